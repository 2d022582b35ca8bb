import * as v from 'valibot';
import { ClientFrame, ServerFrame } from './frames.ts';
import { PublishRequest } from './publish.ts';
import { ErrorCode } from './errors.ts';

export type Decoded<F> = { ok: true; frame: F } | { ok: false; code: ErrorCode; message: string };

/** Turns valibot issues into one sentence a person can act on, e.g. `since.seq: seq is an integer`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = v.getDotPath(issue);
      // Strict objects (config files) report an unknown key as "Expected never".
      const message = issue.type === 'strict_object' && issue.expected === 'never' ? 'unknown field (misspelt?)' : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

function decodeWith<S extends v.GenericSchema>(schema: S, text: string): Decoded<v.InferOutput<S>> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.badFrame, message: 'frame is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, code: ErrorCode.badFrame, message: 'frame must be a JSON object' };
  }
  return validateFrame(schema, value);
}

function validateFrame<S extends v.GenericSchema>(schema: S, value: unknown): Decoded<v.InferOutput<S>> {
  const result = v.safeParse(schema, value, { abortPipeEarly: true });
  if (result.success) return { ok: true, frame: result.output };
  return { ok: false, code: ErrorCode.badFrame, message: describeIssues(result.issues) };
}

export const decodeClientFrame = (text: string) => decodeWith(ClientFrame, text);
export const decodeServerFrame = (text: string) => decodeWith(ServerFrame, text);
/** For frames that arrive already parsed (HTTP bodies, poll responses). */
export const validateClientFrame = (value: unknown) => validateFrame(ClientFrame, value);
export const validateServerFrame = (value: unknown) => validateFrame(ServerFrame, value);
/** The body of `POST /api/publish`, already parsed from JSON. */
export const validatePublishRequest = (value: unknown) => validateFrame(PublishRequest, value);

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return JSON.stringify(frame);
}
