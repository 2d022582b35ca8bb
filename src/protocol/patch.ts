import * as v from 'valibot';
import { Reason, isJsonPointer } from './frame-rules.ts';

/** A JSON value is anything but `undefined`: a missing `value` must not pass as one. */
export const JsonValue = v.custom<unknown>((input) => input !== undefined, Reason.jsonValue);

/** RFC 6901 JSON Pointer: empty (the whole document) or `/`-separated reference tokens. */
export const JsonPointer = v.pipe(
  v.string(),
  v.check((path: string) => isJsonPointer(path), Reason.pointer),
);

/** One RFC 6902 operation. */
export const PatchOperation = v.variant('op', [
  v.object({ op: v.literal('add'), path: JsonPointer, value: JsonValue }),
  v.object({ op: v.literal('remove'), path: JsonPointer }),
  v.object({ op: v.literal('replace'), path: JsonPointer, value: JsonValue }),
  v.object({ op: v.literal('move'), from: JsonPointer, path: JsonPointer }),
  v.object({ op: v.literal('copy'), from: JsonPointer, path: JsonPointer }),
  v.object({ op: v.literal('test'), path: JsonPointer, value: JsonValue }),
]);

export type PatchOperation = v.InferOutput<typeof PatchOperation>;
export const PatchOperations = v.array(PatchOperation);
