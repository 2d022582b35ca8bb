import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appliedPositions,
  beginFold,
  endFold,
  foldFrame,
  foldFrames,
} from '../../machines/sequence.ts';
import type { TopicPosition } from '../../machines/sequence.ts';
import type { PatchDrafts } from '../../machines/wire.ts';
import { applyPatchImmutably, applyToDraft, createPatchDraft } from '../../src/protocol/index.ts';
import type {
  PatchFrame,
  PatchOperation,
  SnapshotFrame,
  TopicFrame,
} from '../../src/protocol/index.ts';

const patchDrafts: PatchDrafts = {
  create: createPatchDraft,
  apply: (draft, ops) => applyToDraft(draft, ops as PatchOperation[]),
};
/** Frozen all the way down: a write into it throws (the tests run in strict mode). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const empty: TopicPosition = { data: undefined, epoch: null, seq: null };
const snapshot = (seq: number, data: unknown, epoch = 'A'): SnapshotFrame => ({
  type: 'snapshot',
  topic: 't',
  epoch,
  seq,
  data,
});
/** The server's topic: `items` gains `seq` at every seq, so the data names exactly the patches applied. */
const patch = (seq: number, epoch = 'A'): PatchFrame => ({
  type: 'patch',
  topic: 't',
  epoch,
  seq,
  ops: [{ op: 'add', path: '/items/-', value: seq }],
});
const stateAt = (seq: number) => ({ items: Array.from({ length: seq }, (_, i) => i + 1) });

describe('foldFrames', () => {
  it('applies a snapshot then the patches that follow it, in order', () => {
    const result = foldFrames(
      empty,
      [snapshot(2, stateAt(2)), patch(3), patch(4)],
      applyPatchImmutably,
    );
    expect(result.position).toEqual({ data: stateAt(4), epoch: 'A', seq: 4 });
    expect(appliedPositions(result.applied)).toEqual([
      { epoch: 'A', seq: 2 },
      { epoch: 'A', seq: 3 },
      { epoch: 'A', seq: 4 },
    ]);
    expect(result.problem).toBeNull();
    expect(result.confirmed).toBe(true);
  });

  it('skips and counts duplicates (seq at or below the held one)', () => {
    const held = { data: stateAt(4), epoch: 'A', seq: 4 };
    const result = foldFrames(held, [patch(3), patch(4), patch(5), patch(5)], applyPatchImmutably);
    expect(result.duplicates).toBe(3);
    expect(appliedPositions(result.applied)).toEqual([{ epoch: 'A', seq: 5 }]);
    expect(result.position.data).toEqual(stateAt(5));
  });

  it('stops at a gap and applies nothing after it', () => {
    const held = { data: stateAt(4), epoch: 'A', seq: 4 };
    const result = foldFrames(held, [patch(5), patch(7), patch(8)], applyPatchImmutably);
    expect(result.problem?.reason).toBe('gap');
    expect(result.position).toEqual({ data: stateAt(5), epoch: 'A', seq: 5 });
    expect(result.confirmed).toBe(false);
  });

  it('refuses a patch from another epoch and accepts that epoch only through a snapshot', () => {
    const held = { data: stateAt(4), epoch: 'A', seq: 4 };
    expect(foldFrames(held, [patch(5, 'B')], applyPatchImmutably).problem?.reason).toBe(
      'epoch_changed',
    );
    const healed = foldFrames(
      held,
      [patch(5, 'B'), snapshot(1, { items: ['fresh'] }, 'B'), patch(2, 'B')],
      applyPatchImmutably,
    );
    expect(healed.problem).toBeNull();
    expect(healed.position).toEqual({ data: { items: ['fresh', 2] }, epoch: 'B', seq: 2 });
  });

  it('ignores an older snapshot of the same epoch, and takes a restatement of ours as confirmation', () => {
    const held = { data: stateAt(4), epoch: 'A', seq: 4 };
    const older = foldFrames(held, [snapshot(3, stateAt(3))], applyPatchImmutably);
    expect(older.position).toBe(held);
    expect(older.confirmed).toBe(false);
    const same = foldFrames(held, [snapshot(4, stateAt(4))], applyPatchImmutably);
    expect(same.position).toBe(held);
    expect(same).toMatchObject({ duplicates: 1, confirmed: true, applied: [] });
  });

  it('says a batch holding the answer to a subscribe was answered, even when a later frame breaks it', () => {
    const held = { data: stateAt(4), epoch: 'A', seq: 4 };
    const foreign = { type: 'patch' as const, topic: 't', epoch: 'Z', seq: 5, ops: [] };
    const broken = foldFrames(held, [snapshot(4, stateAt(4)), foreign], applyPatchImmutably);
    expect(broken).toMatchObject({
      answered: true,
      confirmed: false,
      applied: [],
      problem: { reason: 'epoch_changed' },
    });
    expect(foldFrames(held, [foreign], applyPatchImmutably).answered).toBe(false);
  });

  it('on a patch the applier refuses, keeps the data but drops the position so only a snapshot is accepted', () => {
    const held = { data: { other: true }, epoch: 'A', seq: 4 };
    const failed = foldFrames(held, [patch(5)], applyPatchImmutably);
    expect(failed.problem?.reason).toBe('patch_failed');
    expect(failed.position).toEqual({ data: { other: true }, epoch: null, seq: null });
    const rebased = foldFrames(failed.position, [snapshot(5, stateAt(5))], applyPatchImmutably);
    expect(rebased.position).toEqual({ data: stateAt(5), epoch: 'A', seq: 5 });
  });

  it('writes in-sequence patches into one draft, and on a refused patch falls back to the last safe document', () => {
    let drafts = 0;
    const counting: PatchDrafts = {
      create: (doc) => (drafts++, createPatchDraft(doc)),
      apply: (draft, ops) => applyToDraft(draft, ops as PatchOperation[]),
    };
    const start = { data: deepFreeze(stateAt(2)), epoch: 'A', seq: 2 };
    const run = foldFrames(start, [patch(3), patch(4), patch(5)], counting);
    expect(drafts).toBe(1); // one copy of the document for the three patches
    expect(run.position).toEqual({ data: stateAt(5), epoch: 'A', seq: 5 });
    expect(run.applied).toEqual([{ epoch: 'A', seq: 3, count: 3 }]); // one run for the three

    const refused = (seq: number): PatchFrame => ({
      type: 'patch',
      topic: 't',
      epoch: 'A',
      seq,
      ops: [
        { op: 'add', path: '/items/-', value: seq },
        { op: 'remove', path: '/missing' },
      ],
    });
    const broken = foldFrames(start, [patch(3), refused(4), patch(5)], counting);
    expect(broken.problem).toMatchObject({
      reason: 'patch_failed',
      message: expect.stringContaining('patch 4'),
    });
    // The draft held 3 and half of 4: the fold keeps its start, without a position.
    expect(broken.applied).toEqual([]);
    expect(broken.position).toEqual({ data: stateAt(2), epoch: null, seq: null });

    const rebased = foldFrames(start, [snapshot(3, stateAt(3)), patch(4), refused(5)], counting);
    expect(rebased.applied).toEqual([{ epoch: 'A', seq: 3, count: 1 }]); // the snapshot is the safe point
    expect(rebased.position).toEqual({ data: stateAt(3), epoch: null, seq: null });
  });

  it('folds frame by frame into the same result as a whole batch, never writing the start or a frame', () => {
    const frames = [patch(3), patch(4), snapshot(4, deepFreeze(stateAt(4))), patch(5), patch(6)];
    const start = { data: deepFreeze(stateAt(2)), epoch: 'A', seq: 2 };
    const fold = beginFold(start, patchDrafts);
    for (const frame of frames) foldFrame(fold, deepFreeze(frame));
    const result = endFold(fold);
    expect(result).toEqual(foldFrames(start, frames, applyPatchImmutably));
    expect(result.position).toEqual({ data: stateAt(6), epoch: 'A', seq: 6 });
    expect(start.data).toEqual(stateAt(2));
  });

  it('never mutates the held document', () => {
    const data = Object.freeze({ items: Object.freeze([1, 2]) });
    const result = foldFrames({ data, epoch: 'A', seq: 2 }, [patch(3)], applyPatchImmutably);
    expect(data.items).toEqual([1, 2]);
    expect(result.position.data).toEqual(stateAt(3));
  });

  /**
   * The server's stream (a snapshot, then patches 1..n) delivered through a hostile network:
   * frames dropped, duplicated and reordered, cut into random batches, with fresh snapshots
   * (resync answers) sprinkled in. Whatever arrives, the fold applies every seq at most once, in
   * increasing order, and the data it holds is exactly the server's state at the seq it holds.
   */
  it.each([
    ['an immutable applier', applyPatchImmutably],
    ['drafts', patchDrafts],
  ] as const)(
    'never applies a seq twice or out of order, and never holds data the server did not have (%s)',
    (_name, patcher) => {
      const stream = fc.integer({ min: 1, max: 40 }).chain((n) =>
        fc.record({
          n: fc.constant(n),
          deliveries: fc.array(
            fc.oneof(
              {
                weight: 8,
                arbitrary: fc.integer({ min: 1, max: n }).map((seq) => patch(seq) as TopicFrame),
              },
              {
                weight: 1,
                arbitrary: fc
                  .integer({ min: 0, max: n })
                  .map((seq) => snapshot(seq, stateAt(seq)) as TopicFrame),
              },
            ),
            { maxLength: 80 },
          ),
          cuts: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 80 }),
        }),
      );
      fc.assert(
        fc.property(stream, ({ deliveries, cuts }) => {
          let position = empty;
          const applied: number[] = [];
          let rest = deliveries;
          for (const cut of [...cuts, rest.length]) {
            if (rest.length === 0) break;
            const batch = rest.slice(0, cut);
            rest = rest.slice(cut);
            const result = foldFrames(position, batch, patcher);
            for (const { seq } of appliedPositions(result.applied)) applied.push(seq);
            position = result.position;
            if (position.seq !== null) expect(position.data).toEqual(stateAt(position.seq));
          }
          // Patches are applied only as held + 1; a snapshot may jump ahead but never back.
          for (let i = 1; i < applied.length; i++)
            expect(applied[i]!).toBeGreaterThan(applied[i - 1]!);
        }),
        { numRuns: 500 },
      );
    },
  );
});
