import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldFrames } from '../../machines/sequence.ts';
import type { TopicPosition } from '../../machines/sequence.ts';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchFrame, SnapshotFrame, TopicFrame } from '../../src/protocol/index.ts';

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
    expect(result.applied).toEqual([
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
    expect(result.applied).toEqual([{ epoch: 'A', seq: 5 }]);
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

  it('applies a run of in-sequence patches in one call, and finds the refused one patch by patch', () => {
    const calls: number[] = [];
    const counting: typeof applyPatchImmutably = (doc, ops) => (
      calls.push(ops.length),
      applyPatchImmutably(doc, ops)
    );
    const run = foldFrames(
      { data: stateAt(2), epoch: 'A', seq: 2 },
      [patch(3), patch(4), patch(5)],
      counting,
    );
    expect(calls).toEqual([3]); // one call with the three patches' operations
    expect(run.position).toEqual({ data: stateAt(5), epoch: 'A', seq: 5 });
    expect(run.applied.map((p) => p.seq)).toEqual([3, 4, 5]);

    calls.length = 0;
    const refused: PatchFrame = {
      type: 'patch',
      topic: 't',
      epoch: 'A',
      seq: 4,
      ops: [{ op: 'remove', path: '/missing' }],
    };
    const broken = foldFrames(
      { data: stateAt(2), epoch: 'A', seq: 2 },
      [patch(3), refused, patch(5)],
      counting,
    );
    expect(calls).toEqual([3, 1, 1]); // the run, then 3 alone, then the refused 4
    expect(broken.problem).toMatchObject({
      reason: 'patch_failed',
      message: expect.stringContaining('patch 4'),
    });
    expect(broken.applied.map((p) => p.seq)).toEqual([3]);
    expect(broken.position).toEqual({ data: stateAt(3), epoch: null, seq: null });
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
  it('never applies a seq twice or out of order, and never holds data the server did not have', () => {
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
          const result = foldFrames(position, batch, applyPatchImmutably);
          for (const { seq } of result.applied) applied.push(seq);
          position = result.position;
          if (position.seq !== null) expect(position.data).toEqual(stateAt(position.seq));
        }
        // Patches are applied only as held + 1; a snapshot may jump ahead but never back.
        for (let i = 1; i < applied.length; i++)
          expect(applied[i]!).toBeGreaterThan(applied[i - 1]!);
      }),
      { numRuns: 500 },
    );
  });
});
