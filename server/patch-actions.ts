import * as v from 'valibot';
import {
  ErrorCode,
  TopicChange,
  applyPatchImmutably,
  changedFields,
  describeIssues,
} from '../src/protocol/index.ts';
import { undeclared, undeclaredRefusal } from './field-merge.ts';
import type { ActionHandler } from './hub.ts';
import { DEFAULT_TOPIC_LIMITS, checkChange } from './limits.ts';
import { diffStates } from './topic.ts';

/**
 * An action handler that lets clients change a topic directly: the payload is `{ ops }` (RFC 6902
 * operations) or `{ data }` (the next state), exactly like a `POST /api/publish` body without
 * `topic`. A malformed payload is refused with `bad_frame`, operations that do not apply with
 * `bad_patch`, values past the topic's limits with `too_deep` or `too_large`; the topic is then untouched. Every client that can reach the server can write,
 * so use it for shared, low-stakes state (feature flags on a trusted network, notes).
 *
 * An action with a base and fields (docs/protocol.md § Merging concurrent edits) must carry `ops`
 * that change only those fields: `data` would also write back the stale values of every field
 * changed since the base.
 */
export function acceptPatches<T>(): ActionHandler<T> {
  return (payload, { state, base, limits = DEFAULT_TOPIC_LIMITS }) => {
    const change = v.safeParse(TopicChange, payload, { abortPipeEarly: true });
    if (!change.success)
      return { ok: false, code: ErrorCode.badFrame, message: describeIssues(change.issues) };
    if (base && !change.output.ops)
      return {
        ok: false,
        code: ErrorCode.badFrame,
        message: 'an action with a base sends ops, not data',
      };
    // Measured before diffing or applying, which recurse into the values.
    const overLimit = checkChange(change.output, limits);
    if (overLimit) return { ok: false, ...overLimit };
    const ops = change.output.ops ?? diffStates(state, change.output.data);
    const outside = base ? undeclared(changedFields(ops), base.fields) : [];
    if (outside.length > 0) return undeclaredRefusal(outside);
    // Tried here first, so a bad patch is a clear refusal rather than a failed publish.
    const tried = applyPatchImmutably(state, ops);
    if (!tried.ok)
      return { ok: false, code: ErrorCode.badPatch, message: `patch refused: ${tried.error}` };
    return ops.length > 0 ? { ok: true, ops } : { ok: true };
  };
}
