import type {
  PatchApplier,
  PatchDraftLike,
  PatchDrafts,
  PatchFrame,
  Position,
  TopicFrame,
} from './wire.ts';

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

/**
 * `count` positions applied one after the other: `seq`, `seq + 1`, … in `epoch`. A fold applies
 * thousands of patches between two hand-overs, and one run instead of a position per patch keeps
 * that bookkeeping from outliving the frames (`appliedPositions` lists them).
 */
export interface AppliedRun {
  epoch: string;
  seq: number;
  count: number;
}

/** The positions that runs stand for, in order. */
export function appliedPositions(runs: readonly AppliedRun[]): Position[] {
  const positions: Position[] = [];
  for (const { epoch, seq, count } of runs)
    for (let i = 0; i < count; i++) positions.push({ epoch, seq: seq + i });
  return positions;
}

export interface FoldResult {
  position: TopicPosition;
  /** Positions applied, in the order applied (snapshots included), as runs. */
  applied: AppliedRun[];
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
 * A fold in progress, frame by frame (`beginFold`, `foldFrame`, `endFold`). The only rule that
 * makes a live view trustworthy: a patch applies to exactly the state it was computed from (same
 * epoch, seq + 1). Anything older is a duplicate and skipped; anything else breaks the sequence,
 * and every later patch is skipped too, because its base is missing. A later snapshot re-bases the
 * position and heals the break (it is the server's answer to a resync).
 *
 * In-sequence patches are written at once into one draft of the document (`PatchDrafts`), made
 * at the first patch after the fold's start or its last snapshot: each container is copied once
 * per fold however many patches change it, and a frame is garbage as soon as it is folded. The
 * document the fold started from is never written. A refused patch leaves the draft half-written,
 * so the fold falls back to its last safe document (its start, or its last snapshot) without a
 * position, and forgets the positions applied since.
 */
export interface Fold {
  readonly start: TopicPosition;
  readonly drafts: PatchDrafts;
  /** The last safe position: the start, the last snapshot, or (after a refusal) its document without a position. */
  base: TopicPosition;
  /** How many of `applied` the base includes; any after it is the run of patches since. */
  baseApplied: number;
  /** `base.data` with the patches applied since, or null while none has been. */
  draft: PatchDraftLike | null;
  /** The position reached. */
  epoch: string | null;
  seq: number | null;
  applied: AppliedRun[];
  duplicates: number;
  confirmed: boolean;
  answered: boolean;
  problem: SequenceProblem | null;
}

/** Opens a fold at `start`, which it never writes (the draft copies what it changes). */
export function beginFold(start: TopicPosition, drafts: PatchDrafts): Fold {
  return {
    start,
    drafts,
    base: start,
    baseApplied: 0,
    draft: null,
    epoch: start.epoch,
    seq: start.seq,
    applied: [],
    duplicates: 0,
    confirmed: false,
    answered: false,
    problem: null,
  };
}

/** Folds one frame into an open fold. */
export function foldFrame(fold: Fold, frame: TopicFrame): void {
  const { seq } = fold;
  const sameEpoch = fold.epoch === frame.epoch && seq !== null;
  if (frame.type === 'patch') {
    if (fold.problem === null && sameEpoch && frame.seq === seq + 1)
      return applyPatchFrame(fold, frame);
    if (fold.problem !== null) return;
    if (seq === null) {
      fold.problem = { reason: 'gap', message: `patch ${frame.seq} arrived before any snapshot` };
    } else if (fold.epoch !== frame.epoch) {
      fold.problem = {
        reason: 'epoch_changed',
        message: `patch for epoch ${frame.epoch}, holding ${fold.epoch}`,
      };
    } else if (frame.seq <= seq) {
      fold.duplicates++;
    } else {
      fold.problem = { reason: 'gap', message: `expected seq ${seq + 1}, got ${frame.seq}` };
    }
    return;
  }
  fold.answered = true;
  if (sameEpoch && frame.seq <= seq) {
    // Older, or a restatement of what we hold: nothing to apply, but the latter proves we are in step.
    fold.duplicates++;
    if (frame.seq === seq && fold.problem === null) fold.confirmed = true;
    return;
  }
  fold.base = { data: frame.data, epoch: frame.epoch, seq: frame.seq };
  fold.draft = null;
  fold.epoch = frame.epoch;
  fold.seq = frame.seq;
  fold.applied.push({ epoch: frame.epoch, seq: frame.seq, count: 1 });
  fold.baseApplied = fold.applied.length;
  fold.confirmed = true;
  fold.problem = null;
}

function applyPatchFrame(fold: Fold, frame: PatchFrame): void {
  const draft = (fold.draft ??= fold.drafts.create(fold.base.data));
  const outcome = fold.drafts.apply(draft, frame.ops);
  if (outcome.ok) {
    fold.seq = frame.seq;
    const { applied } = fold;
    if (applied.length > fold.baseApplied) applied[applied.length - 1]!.count++;
    else applied.push({ epoch: frame.epoch, seq: frame.seq, count: 1 });
    fold.confirmed = true;
    return;
  }
  fold.problem = { reason: 'patch_failed', message: `patch ${frame.seq}: ${outcome.error}` };
  // The held document disagrees with the server's; keep the last safe one on screen but drop its
  // position, so only a fresh snapshot (even at the same seq) is accepted next.
  fold.base = { data: fold.base.data, epoch: null, seq: null };
  fold.draft = null;
  fold.epoch = fold.seq = null;
  fold.applied.length = fold.baseApplied;
}

/** Closes a fold; it must not be used afterwards (its draft is now the result's document). */
export function endFold(fold: Fold): FoldResult {
  const { draft, base, applied, duplicates, confirmed, answered, problem } = fold;
  return {
    position: draft ? { data: draft.root, epoch: fold.epoch, seq: fold.seq } : base,
    applied,
    duplicates,
    confirmed: confirmed && problem === null,
    answered,
    problem,
  };
}

/**
 * Folds a batch of snapshot/patch frames into a position (see `Fold`). With a `PatchApplier`
 * (which must not mutate: src/protocol's applyPatchImmutably) each patch makes a new document.
 */
export function foldFrames(
  start: TopicPosition,
  frames: readonly TopicFrame[],
  patcher: PatchApplier | PatchDrafts,
): FoldResult {
  const fold = beginFold(start, typeof patcher === 'function' ? immutableDrafts(patcher) : patcher);
  for (const frame of frames) foldFrame(fold, frame);
  return endFold(fold);
}

/** Drafts over an applier that never writes: each call makes a new document. */
const immutableDrafts = (applyPatch: PatchApplier): PatchDrafts => ({
  create: (doc) => ({ root: doc }),
  apply(draft, ops) {
    const outcome = applyPatch(draft.root, ops);
    if (outcome.ok) (draft as { root: unknown }).root = outcome.doc;
    return outcome;
  },
});
