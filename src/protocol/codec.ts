import * as v from 'valibot';
import { ClientFrame, ServerFrame, TOPIC_PATTERN } from './frames.ts';
import type { TopicFrame } from './frames.ts';
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
      const message =
        issue.type === 'strict_object' && issue.expected === 'never'
          ? 'unknown field (misspelt?)'
          : issue.message;
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

/**
 * The frame schemas are `v.variant('type', …)`s, which try their options one by one on every
 * frame. Picking the option by `type` first gives the same result (a variant returns the dataset
 * of the option whose discriminator matches) at a fraction of the cost on the per-frame hot path;
 * a missing or unknown `type` still goes through the variant, for its message.
 */
type FrameVariant = typeof ClientFrame | typeof ServerFrame;
function optionsByType(schema: FrameVariant): (value: object) => v.GenericSchema {
  const byType = new Map<unknown, v.GenericSchema>(
    schema.options.map((option) => [option.entries.type.literal, option]),
  );
  return (value) => byType.get((value as { type?: unknown }).type) ?? schema;
}
const optionPickers = new Map<v.GenericSchema, (value: object) => v.GenericSchema>([
  [ClientFrame, optionsByType(ClientFrame)],
  [ServerFrame, optionsByType(ServerFrame)],
]);
const PARSE_CONFIG = { abortPipeEarly: true } as const;

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

function validateFrame<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
): Decoded<v.InferOutput<S>> {
  if ((schema as v.GenericSchema) === ServerFrame) {
    const frame = acceptTopicFrame(value);
    if (frame) return { ok: true, frame };
  }
  const pick = optionPickers.get(schema);
  const option = pick && typeof value === 'object' && value !== null ? pick(value) : schema;
  const result = v.safeParse(option, value, PARSE_CONFIG) as v.SafeParseResult<S>;
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

/**
 * The per-frame hot path of a client: snapshot and patch frames checked by hand for exactly what
 * their schemas (frames.ts, patch.ts) accept, without valibot's copying. Only frames with no
 * extra keys take it, so the frame returned is the parsed value itself, equal to what valibot
 * would return; null sends anything else through valibot, which stays the definition (and
 * writes the messages). tests/unit/fast-frames.test.ts checks it never accepts what valibot refuses.
 */
export function acceptTopicFrame(value: unknown): TopicFrame | null {
  if (typeof value !== 'object' || value === null) return null;
  const frame = value as Record<string, unknown>;
  const body = frame.type === 'patch' ? 'ops' : frame.type === 'snapshot' ? 'data' : null;
  if (body === null || !hasExactly(frame, 5, 'type', 'topic', 'epoch', 'seq', body)) return null;
  const { topic, epoch, seq } = frame;
  if (
    typeof topic !== 'string' ||
    topic.length < 1 ||
    topic.length > 128 ||
    !TOPIC_PATTERN.test(topic)
  )
    return null;
  if (typeof epoch !== 'string' || epoch.length < 1 || epoch.length > 64) return null;
  if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 0) return null;
  if (body === 'data') return frame.data === undefined ? null : (frame as TopicFrame);
  const ops = frame.ops;
  if (!Array.isArray(ops)) return null;
  for (const op of ops) if (!isPatchOperation(op)) return null;
  return frame as TopicFrame;
}

const isPointer = (value: unknown) =>
  typeof value === 'string' && (value === '' || value.startsWith('/'));

function isPatchOperation(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const op = value as Record<string, unknown>;
  switch (op.op) {
    case 'add':
    case 'replace':
    case 'test':
      return (
        hasExactly(op, 3, 'op', 'path', 'value') && isPointer(op.path) && op.value !== undefined
      );
    case 'remove':
      return hasExactly(op, 2, 'op', 'path') && isPointer(op.path);
    case 'move':
    case 'copy':
      return hasExactly(op, 3, 'op', 'from', 'path') && isPointer(op.from) && isPointer(op.path);
    default:
      return false;
  }
}

/** Own keys exactly these (JSON.parse makes only own, enumerable keys). */
function hasExactly(object: Record<string, unknown>, count: number, ...keys: string[]): boolean {
  let own = 0;
  for (const key in object) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) return false;
    own++;
  }
  if (own !== count) return false;
  for (const key of keys) if (!Object.prototype.hasOwnProperty.call(object, key)) return false;
  return true;
}
