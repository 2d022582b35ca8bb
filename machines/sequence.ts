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
export function foldFrames(
  start: TopicPosition,
  frames: readonly TopicFrame[],
  applyPatch: PatchApplier,
): FoldResult {
  // One state object and module-level steps rather than closures: this runs once per topic per
  // batch, so it allocates as little as it can.
  const fold: Fold = {
    position: start,
    applied: [],
    duplicates: 0,
    confirmed: false,
    answered: false,
    problem: null,
    run: [],
    applyPatch,
  };
  for (const frame of frames) {
    if (frame.type === 'patch' && extendsRun(fold, frame)) {
      fold.run.push(frame);
      continue;
    }
    applyRun(fold);
    const { position } = fold;
    const sameEpoch = position.epoch === frame.epoch && position.seq !== null;
    if (frame.type === 'snapshot') {
      fold.answered = true;
      if (sameEpoch && frame.seq <= position.seq!) {
        // Older, or a restatement of what we hold: nothing to apply, but the latter proves we are in step.
        fold.duplicates++;
        if (frame.seq === position.seq && fold.problem === null) fold.confirmed = true;
      } else {
        fold.position = { data: frame.data, epoch: frame.epoch, seq: frame.seq };
        fold.applied.push({ epoch: frame.epoch, seq: frame.seq });
        fold.confirmed = true;
        fold.problem = null;
      }
      continue;
    }
    // In-sequence patches went into the run above: this one is a duplicate or a break.
    if (fold.problem !== null) continue;
    if (position.seq === null) {
      fold.problem = { reason: 'gap', message: `patch ${frame.seq} arrived before any snapshot` };
    } else if (position.epoch !== frame.epoch) {
      fold.problem = {
        reason: 'epoch_changed',
        message: `patch for epoch ${frame.epoch}, holding ${position.epoch}`,
      };
    } else if (frame.seq <= position.seq) {
      fold.duplicates++;
    } else {
      fold.problem = {
        reason: 'gap',
        message: `expected seq ${position.seq + 1}, got ${frame.seq}`,
      };
    }
  }
  applyRun(fold);
  const { position, applied, duplicates, confirmed, answered, problem } = fold;
  return {
    position,
    applied,
    duplicates,
    confirmed: confirmed && problem === null,
    answered,
    problem,
  };
}

/** A fold in progress: the result so far, and the in-sequence patches after `position` not applied yet. */
interface Fold extends FoldResult {
  run: PatchFrame[];
  applyPatch: PatchApplier;
}

function extendsRun(fold: Fold, frame: PatchFrame): boolean {
  const { run, position } = fold;
  const tip = run.length > 0 ? run[run.length - 1]!.seq : position.seq;
  return (
    fold.problem === null && tip !== null && frame.epoch === position.epoch && frame.seq === tip + 1
  );
}

function applyRun(fold: Fold): void {
  const patches = fold.run;
  if (patches.length === 0) return;
  fold.run = [];
  if (patches.length > 1) {
    const ops: PatchOp[] = []; // a plain loop: flatMap cost more than the application it feeds
    for (const frame of patches) for (const op of frame.ops) ops.push(op);
    const outcome = fold.applyPatch(fold.position.data, ops);
    if (outcome.ok) {
      const last = patches[patches.length - 1]!;
      fold.position = { data: outcome.doc, epoch: last.epoch, seq: last.seq };
      for (const frame of patches) fold.applied.push({ epoch: frame.epoch, seq: frame.seq });
      fold.confirmed = true;
      return;
    }
  }
  for (const frame of patches) if (!applyOne(fold, frame)) return;
}

/** Applies one patch to `fold.position`; false (and `problem` set) when the applier refuses it. */
function applyOne(fold: Fold, frame: PatchFrame): boolean {
  const outcome = fold.applyPatch(fold.position.data, frame.ops);
  if (outcome.ok) {
    fold.position = { data: outcome.doc, epoch: frame.epoch, seq: frame.seq };
    fold.applied.push({ epoch: frame.epoch, seq: frame.seq });
    fold.confirmed = true;
    return true;
  }
  fold.problem = { reason: 'patch_failed', message: `patch ${frame.seq}: ${outcome.error}` };
  // The held document disagrees with the server's; keep it on screen but drop its position,
  // so only a fresh snapshot (even at the same seq) is accepted next.
  fold.position = { data: fold.position.data, epoch: null, seq: null };
  return false;
}
