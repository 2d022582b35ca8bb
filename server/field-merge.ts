// The default import: Node's ESM loader cannot see fast-json-patch's CommonJS named exports.
import jsonpatch from 'fast-json-patch';
import { ErrorCode, changedFields, fieldsOverlap } from '../src/protocol/index.ts';
import type { FieldConflict, Position } from '../src/protocol/index.ts';
import { diffStates } from './topic.ts';
import type { Topic, UpdateRefusal } from './topic.ts';

/** What an action says about what it changes: the position it was made against and its fields. */
export interface ActionBase {
  base: Position;
  fields: readonly string[];
}

/** The current value at `path`; a field that is no longer there has none. */
function current(state: unknown, path: string): FieldConflict {
  try {
    const value: unknown = jsonpatch.getValueByPointer(state, path);
    return value === undefined ? { path } : { path, value };
  } catch {
    return { path };
  }
}

/**
 * The per-field merge of a writable topic: refuses an action whose fields changed since its base,
 * and lets through one whose fields did not, whatever else changed (docs/protocol.md § Merging
 * concurrent edits). What changed when is read from the topic's history, which every broker keeps
 * with the state, plus the difference between the recorded state and `state` (a distributed broker
 * decides on the committed state with the writes batched before this one, which history lacks).
 * Returns null when the action may apply.
 */
export function checkFields(
  topic: Topic,
  state: unknown,
  { base, fields }: ActionBase,
): UpdateRefusal | null {
  const sameEpoch = base.epoch === topic.epoch;
  const history = topic.history;
  const oldest = history[0]?.frame.seq ?? topic.seq + 1;
  // Every change after `base` is known when base is the current seq or history starts right after it.
  const complete = sameEpoch && base.seq <= topic.seq && base.seq >= oldest - 1;
  const after = sameEpoch ? base.seq : -1;
  const changed = new Set<string>();
  for (const { frame } of history)
    if (frame.seq > after) for (const field of changedFields(frame.ops)) changed.add(field);
  if (state !== topic.state)
    for (const field of changedFields(diffStates(topic.state, state))) changed.add(field);

  const hit = fields.filter((field) => [...changed].some((other) => fieldsOverlap(field, other)));
  if (hit.length > 0)
    return {
      ok: false,
      code: ErrorCode.conflict,
      message: `${hit.join(', ')} changed since ${describe(base)}; the current values are in conflicts`,
      conflicts: hit.map((path) => current(state, path)),
    };
  if (complete) return null;
  const why = !sameEpoch
    ? `the topic's history restarted (epoch ${topic.epoch})`
    : base.seq > topic.seq
      ? `the topic is at seq ${topic.seq}`
      : `the history kept starts at seq ${oldest}`;
  return {
    ok: false,
    code: ErrorCode.staleBase,
    message: `cannot tell whether ${fields.join(', ')} changed since ${describe(base)}: ${why}; resend against the current values`,
    conflicts: fields.map((path) => current(state, path)),
  };
}

const describe = (base: Position) => `seq ${base.seq} (epoch ${base.epoch})`;

/** The fields among `changed` that lie outside every declared field: an action must not change those. */
export function undeclared(changed: readonly string[], fields: readonly string[]): string[] {
  return changed.filter(
    (field) =>
      !fields.some(
        (declared) => declared === '' || field === declared || field.startsWith(`${declared}/`),
      ),
  );
}

/** The refusal for an action that changes more than it declared. */
export function undeclaredRefusal(fields: readonly string[]): UpdateRefusal {
  return {
    ok: false,
    code: ErrorCode.badFrame,
    message: `the action changes ${fields.join(', ')}, which its fields do not name`,
  };
}
