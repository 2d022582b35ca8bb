import * as v from 'valibot';
import {
  ErrorCode,
  TopicChange,
  applyPatchImmutably,
  describeIssues,
} from '../src/protocol/index.ts';
import type { ActionHandler } from './hub.ts';
import { diffStates } from './topic.ts';

/**
 * An action handler that lets clients change a topic directly: the payload is `{ ops }` (RFC 6902
 * operations) or `{ data }` (the next state), exactly like a `POST /api/publish` body without
 * `topic`. A malformed payload is refused with `bad_frame`, operations that do not apply with
 * `bad_patch`; the topic is then untouched. Every client that can reach the server can write,
 * so use it for shared, low-stakes state (feature flags on a trusted network, notes).
 */
export function acceptPatches<T>(): ActionHandler<T> {
  return (payload, { state }) => {
    const change = v.safeParse(TopicChange, payload, { abortPipeEarly: true });
    if (!change.success)
      return { ok: false, code: ErrorCode.badFrame, message: describeIssues(change.issues) };
    const ops = change.output.ops ?? diffStates(state, change.output.data);
    // Tried here first, so a bad patch is a clear refusal rather than a failed publish.
    const tried = applyPatchImmutably(state, ops);
    if (!tried.ok)
      return { ok: false, code: ErrorCode.badPatch, message: `patch refused: ${tried.error}` };
    return ops.length > 0 ? { ok: true, ops } : { ok: true };
  };
}
