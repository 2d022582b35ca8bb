import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchFrame } from '../../src/protocol/index.ts';
import { PatchRefusedError, encodeOrRefuse } from '../topic.ts';
import type { Encoded, Topic, UpdateDecision, UpdateResult } from '../topic.ts';

/** One queued write: how to decide it on a given state, and whom to tell the outcome. */
export interface Item {
  decide: (state: unknown) => UpdateDecision;
  resolve: (result: UpdateResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { frame: number } | { result: UpdateResult } | { error: unknown };

/** Writes decided together and committed in one script call (server/broker/redis-replica.ts). */
export interface Batch {
  id: string;
  items: Item[];
  /** Per item: the frame it produced, its refusal or empty result, or why it failed. */
  outcomes: Outcome[];
  frames: Encoded<PatchFrame>[];
  /** The topic's state once the frames are applied. */
  state: unknown;
}

/**
 * Runs every decision against the topic's committed state, in queue order, each on the state the
 * previous ones left, and encodes the frames with the seqs they will have if the commit succeeds.
 * A decision that throws or whose ops do not apply fails alone; the others go ahead.
 */
export function buildBatch(topic: Topic, id: string, items: Item[]): Batch {
  const batch: Batch = { id, items, outcomes: [], frames: [], state: topic.state };
  for (const item of items) {
    try {
      const decision = item.decide(batch.state);
      if (!decision.ok || !decision.ops?.length) {
        batch.outcomes.push({ result: decision.ok ? { ok: true, patch: null } : decision });
        continue;
      }
      const applied = applyPatchImmutably(batch.state, decision.ops);
      if (!applied.ok) throw new PatchRefusedError(topic.name, applied.error);
      const frame: PatchFrame = {
        type: 'patch',
        topic: topic.name,
        epoch: topic.epoch,
        seq: topic.seq + batch.frames.length + 1,
        ops: decision.ops,
      };
      batch.frames.push({ frame, text: encodeOrRefuse(topic.name, frame) });
      batch.outcomes.push({ frame: batch.frames.length - 1 });
      batch.state = applied.doc;
    } catch (error) {
      batch.outcomes.push({ error });
    }
  }
  return batch;
}

/** Tells every item of a committed batch (or one with nothing to commit) its outcome. */
export function settleBatch(batch: Batch): void {
  batch.items.forEach((item, index) => {
    const outcome = batch.outcomes[index]!;
    if ('error' in outcome) item.reject(outcome.error);
    else if ('result' in outcome) item.resolve(outcome.result);
    else item.resolve({ ok: true, patch: batch.frames[outcome.frame]! });
  });
}
