import * as v from 'valibot';
import { ClientFrame } from './frames.ts';
import { PublishRequest } from './publish.ts';
import { ErrorCode } from './errors.ts';
import { parseFrameObject } from './frame-json.ts';
import type { Decoded } from './frame-json.ts';

/** Turns valibot issues into one sentence a person can act on, e.g. `since.seq: seq is an integer`. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .slice(0, 3)
    .map((issue) => {
      const path = v.getDotPath(issue);
      // Strict objects (config files) report an unknown key as "Expected never".
      const message =
        issue.type === 'strict_object' && issue.expected === 'never'
          ? 'unknown field (misspelt?)'
          : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

/**
 * The client-frame schema is a `v.variant('type', …)`, which tries its options one by one on
 * every frame. Picking the option by `type` first gives the same result (a variant returns the
 * dataset of the option whose discriminator matches) at a fraction of the cost; a missing or
 * unknown `type` still goes through the variant, for its message.
 */
const clientFrameOptions = new Map<unknown, v.GenericSchema>(
  ClientFrame.options.map((option) => [option.entries.type.literal, option]),
);
const PARSE_CONFIG = { abortPipeEarly: true } as const;

function validateWith<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
): Decoded<v.InferOutput<S>> {
  const result = v.safeParse(schema, value, PARSE_CONFIG);
  if (result.success) return { ok: true, frame: result.output };
  return { ok: false, code: ErrorCode.badFrame, message: describeIssues(result.issues) };
}

/** A client frame already parsed from JSON (an HTTP body), checked by the server. */
export function validateClientFrame(value: unknown): Decoded<ClientFrame> {
  const option =
    typeof value === 'object' && value !== null
      ? clientFrameOptions.get((value as { type?: unknown }).type)
      : undefined;
  return validateWith(option ?? ClientFrame, value) as Decoded<ClientFrame>;
}

/** A client frame's JSON text, parsed and checked by the server. */
export function decodeClientFrame(text: string): Decoded<ClientFrame> {
  const parsed = parseFrameObject(text);
  return parsed.ok ? validateClientFrame(parsed.frame) : parsed;
}

/** The body of `POST /api/publish`, already parsed from JSON. */
export const validatePublishRequest = (value: unknown) => validateWith(PublishRequest, value);
