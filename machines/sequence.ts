import type { PatchApplier, PatchFrame, PatchOp, Position, TopicFrame } from './wire.ts';

/** What a subscription holds: the document at (epoch, seq). `seq === null` means no position. */
export interface TopicPosition {
  data: unknown;
  epoch: string | null;
  seq: number | null;
}

export type SequenceBreak = 'gap' | 'epoch_changed' | 'patch_failed';

export interface SequenceProblem {
  reason: SequenceBreak;
  message: string;
}

export interface FoldResult {
  position: TopicPosition;
  /** Positions applied, in the order applied (snapshots included). */
  applied: Position[];
  /** Frames skipped because we already hold their seq (or newer) in the same epoch. */
  duplicates: number;
  /** The batch showed our position agrees with the server's (applied, or a snapshot at our seq). */
  confirmed: boolean;
  /**
   * The batch held a snapshot, i.e. the server's answer to a subscribe: a holder that was waiting
   * for that answer must ask again if the batch still broke, because no further answer is coming.
   */
  answered: boolean;
  /** Why the batch could not be applied to the end; the holder must resync. */
  problem: SequenceProblem | null;
}

/**
 * Folds a batch of snapshot/patch frames into a position. The only rule that makes a live view
 * trustworthy: a patch applies to exactly the state it was computed from (same epoch, seq + 1).
 * Anything older is a duplicate and skipped; anything else breaks the sequence, and every later
 * patch in the batch is skipped too, because its base is missing. A later snapshot in the same
 * batch re-bases the position and heals the break (it is the server's answer to a resync).
 * Pure: `applyPatch` must not mutate (src/protocol's applyPatchImmutably).
 *
 * Consecutive in-sequence patches are applied in one `applyPatch` call with their operations
 * concatenated: the applier copies each container it changes once per call, so a burst of
 * appends to one series copies the series once instead of once per patch. Only the state after
 * the last one is kept, and it is the same; if the call fails, the run is applied patch by patch
 * to find the one that broke and keep the state before it.
 */
export function foldFrames(start: TopicPosition, frames: readonly TopicFrame[], applyPatch: PatchApplier): FoldResult {
  let position = start;
  const applied: Position[] = [];
  let duplicates = 0;
  let confirmed = false;
  let answered = false;
  let problem: SequenceProblem | null = null;
  /** In-sequence patches after `position`, not applied yet. */
  let run: PatchFrame[] = [];

  /** Applies one patch to `position`; false (and `problem` set) when the applier refuses it. */
  const applyOne = (frame: PatchFrame): boolean => {
    const outcome = applyPatch(position.data, frame.ops);
    if (outcome.ok) {
      position = { data: outcome.doc, epoch: frame.epoch, seq: frame.seq };
      applied.push({ epoch: frame.epoch, seq: frame.seq });
      confirmed = true;
      return true;
    }
    problem = { reason: 'patch_failed', message: `patch ${frame.seq}: ${outcome.error}` };
    // The held document disagrees with the server's; keep it on screen but drop its position,
    // so only a fresh snapshot (even at the same seq) is accepted next.
    position = { data: position.data, epoch: null, seq: null };
    return false;
  };
  const applyRun = () => {
    if (run.length === 0) return;
    const patches = run;
    run = [];
    if (patches.length > 1) {
      const ops: PatchOp[] = []; // a plain loop: flatMap cost more than the application it feeds
      for (const frame of patches) for (const op of frame.ops) ops.push(op);
      const outcome = applyPatch(position.data, ops);
      if (outcome.ok) {
        const last = patches[patches.length - 1]!;
        position = { data: outcome.doc, epoch: last.epoch, seq: last.seq };
        for (const frame of patches) applied.push({ epoch: frame.epoch, seq: frame.seq });
        confirmed = true;
        return;
      }
    }
    for (const frame of patches) if (!applyOne(frame)) return;
  };
  const extendsRun = (frame: PatchFrame) => {
    const tip = run.length > 0 ? run[run.length - 1]!.seq : position.seq;
    return problem === null && tip !== null && frame.epoch === position.epoch && frame.seq === tip + 1;
  };

  for (const frame of frames) {
    if (frame.type === 'patch' && extendsRun(frame)) {
      run.push(frame);
      continue;
    }
    applyRun();
    const sameEpoch = position.epoch === frame.epoch && position.seq !== null;
    if (frame.type === 'snapshot') {
      answered = true;
      if (sameEpoch && frame.seq <= position.seq!) {
        // Older, or a restatement of what we hold: nothing to apply, but the latter proves we are in step.
        duplicates++;
        if (frame.seq === position.seq && problem === null) confirmed = true;
      } else {
        position = { data: frame.data, epoch: frame.epoch, seq: frame.seq };
        applied.push({ epoch: frame.epoch, seq: frame.seq });
        confirmed = true;
        problem = null;
      }
      continue;
    }
    // In-sequence patches went into the run above: this one is a duplicate or a break.
    if (problem !== null) continue;
    if (position.seq === null) {
      problem = { reason: 'gap', message: `patch ${frame.seq} arrived before any snapshot` };
    } else if (position.epoch !== frame.epoch) {
      problem = { reason: 'epoch_changed', message: `patch for epoch ${frame.epoch}, holding ${position.epoch}` };
    } else if (frame.seq <= position.seq) {
      duplicates++;
    } else {
      problem = { reason: 'gap', message: `expected seq ${position.seq + 1}, got ${frame.seq}` };
    }
  }
  applyRun();
  return { position, applied, duplicates, confirmed: confirmed && problem === null, answered, problem };
}
