import { ErrorCode } from './errors.ts';
import { isFrameObject, parseFrameObject } from './frame-json.ts';
import type { Decoded } from './frame-json.ts';
import {
  MAX_ACTION_ID_LENGTH,
  MAX_EPOCH_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_TOPIC_LENGTH,
  Reason,
  TOPIC_PATTERN,
  isJsonPointer,
} from './frame-rules.ts';
import type { ServerFrame } from './frames.ts';

/**
 * The client's check of server frames, by hand: the same rules as the `ServerFrame` schema
 * (frames.ts), which stays the definition and the server's, without shipping valibot to every
 * browser. It copies nothing (a frame is the parsed value itself, unknown fields left on and
 * ignored), because it runs for every frame. A refusal is one line naming the field, e.g.
 * `ops.0.value: a JSON value is required`. tests/unit/server-frame-guard.test.ts checks it agrees
 * with the schema.
 */

/** The table's entry for `key`, if it is one of its own (not `toString` and the like). */
const own = <T>(table: Record<string, T>, key: unknown): T | undefined =>
  typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key)
    ? table[key]
    : undefined;
const oneOf = (table: object) => `expected one of ${Object.keys(table).join(', ')}`;

/** A field's check: undefined when right, else the rest of the message after the field's name. */
type Check = (value: unknown) => string | undefined;

const expected = (what: string) => `: expected ${what}`;
const string: Check = (value) => (typeof value === 'string' ? undefined : expected('a string'));
const stringOf =
  (min: number, max: number): Check =>
  (value) =>
    typeof value !== 'string' || value.length < min || value.length > max
      ? expected(`a string of ${min} to ${max} characters`)
      : undefined;
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined ? undefined : check(value);
const jsonValue: Check = (value) => (value === undefined ? `: ${Reason.jsonValue}` : undefined);
const integerFrom =
  (min: number): Check =>
  (value) =>
    typeof value === 'number' && Number.isInteger(value) && value >= min
      ? undefined
      : expected(`an integer of at least ${min}`);

const topic: Check = (value) => {
  if (typeof value !== 'string') return expected('a string');
  if (value.length === 0) return `: ${Reason.topicEmpty}`;
  if (value.length > MAX_TOPIC_LENGTH) return `: ${Reason.topicTooLong}`;
  return TOPIC_PATTERN.test(value) ? undefined : `: ${Reason.topicPattern}`;
};
const seq: Check = (value) => {
  if (typeof value !== 'number') return expected('a number');
  if (!Number.isInteger(value)) return `: ${Reason.seqInteger}`;
  return value < 0 ? `: ${Reason.seqNegative}` : undefined;
};
const pointer: Check = (value) => (isJsonPointer(value) ? undefined : `: ${Reason.pointer}`);

/** The checks of one element's fields, by name; the message gets the element's path. */
function fields(value: unknown, checks: Record<string, Check>): string | undefined {
  if (!isFrameObject(value)) return expected('an object');
  for (const name in checks) {
    const problem = checks[name]!((value as Record<string, unknown>)[name]);
    if (problem !== undefined) return `.${name}${problem}`;
  }
  return undefined;
}
const arrayOf =
  (element: (value: unknown) => string | undefined): Check =>
  (value) => {
    if (!Array.isArray(value)) return expected('an array');
    for (let i = 0; i < value.length; i++) {
      const problem = element(value[i]);
      if (problem !== undefined) return `.${i}${problem}`;
    }
    return undefined;
  };

const valueOp = { path: pointer, value: jsonValue };
const fromOp = { from: pointer, path: pointer };
const OPERATIONS: Record<string, Record<string, Check>> = {
  add: valueOp,
  remove: { path: pointer },
  replace: valueOp,
  move: fromOp,
  copy: fromOp,
  test: valueOp,
};
function operation(value: unknown): string | undefined {
  const checks = isFrameObject(value) ? own(OPERATIONS, (value as { op?: unknown }).op) : {};
  return checks ? fields(value, checks) : `.op: ${oneOf(OPERATIONS)}`;
}

const epoch = stringOf(1, MAX_EPOCH_LENGTH);
const actionId = stringOf(1, MAX_ACTION_ID_LENGTH);
const finite: Check = (value) => (Number.isFinite(value) ? undefined : expected('a finite number'));

/** Every field of every server frame, checked; the types make sure none is forgotten. */
const FRAMES: {
  [T in ServerFrame['type']]: {
    [F in Exclude<keyof Extract<ServerFrame, { type: T }>, 'type'>]-?: Check;
  };
} = {
  welcome: { heartbeatMs: integerFrom(1) },
  snapshot: { topic, epoch, seq, data: jsonValue },
  patch: { topic, epoch, seq, ops: arrayOf(operation) },
  pong: { t: finite },
  ack: { id: actionId },
  nack: {
    id: actionId,
    code: string,
    message: string,
    conflicts: optional(arrayOf((value) => fields(value, { path: string }))),
  },
  error: { code: string, message: string, topic: optional(string) },
  token: { token: stringOf(0, MAX_TOKEN_LENGTH) },
};

/**
 * The table's check of a patch frame, the bulk of the traffic, in straight code: the field checks
 * called directly and a series' `add` and `remove` checked in line cost a fraction of the table's
 * walk, whose one call site sees every check. True only where the table finds nothing wrong;
 * otherwise the table decides, and names the problem.
 */
function isWellFormedPatch(frame: Record<string, unknown>): boolean {
  const { ops } = frame;
  if (
    frame.type !== 'patch' ||
    topic(frame.topic) ||
    epoch(frame.epoch) ||
    seq(frame.seq) ||
    !Array.isArray(ops)
  )
    return false;
  for (const op of ops as Array<Record<string, unknown>>) {
    const plain =
      isFrameObject(op) &&
      isJsonPointer(op.path) &&
      (op.op === 'remove' || (op.op === 'add' && op.value !== undefined));
    if (!plain && operation(op)) return false;
  }
  return true;
}

/** A server frame already parsed from JSON (a poll response's `frames`), checked. */
export function validateServerFrame(value: unknown): Decoded<ServerFrame> {
  if (!isFrameObject(value))
    return { ok: false, code: ErrorCode.badFrame, message: 'frame must be a JSON object' };
  if (isWellFormedPatch(value as Record<string, unknown>))
    return { ok: true, frame: value as ServerFrame };
  const checks: Record<string, Check> | undefined = own(FRAMES, (value as { type?: unknown }).type);
  const problem = checks ? fields(value, checks) : `.type: ${oneOf(FRAMES)}`;
  return problem === undefined
    ? { ok: true, frame: value as ServerFrame }
    : { ok: false, code: ErrorCode.badFrame, message: problem.slice(1) };
}

/** A server frame's JSON text, parsed and checked. */
export function decodeServerFrame(text: string): Decoded<ServerFrame> {
  const parsed = parseFrameObject(text);
  return parsed.ok ? validateServerFrame(parsed.frame) : parsed;
}
