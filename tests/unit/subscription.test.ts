import { afterEach, describe, expect, it } from 'vitest';
import { foldFrames } from '../../machines/sequence.ts';
import type { TopicPosition } from '../../machines/sequence.ts';
import { createSubscriptionMachine } from '../../machines/subscription.ts';
import type { TopicFrame } from '../../machines/wire.ts';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchFrame, SnapshotFrame } from '../../src/protocol/index.ts';
import { subscriptionView } from '../../src/client/views.ts';
import { underRecordingParent } from '../model/harness.ts';

let clock = 1_000;
const now = () => clock;
const snapshot = (seq: number, data: unknown, epoch = 'A'): SnapshotFrame => ({
  type: 'snapshot',
  topic: 'cpu',
  epoch,
  seq,
  data,
});
const patch = (seq: number, epoch = 'A'): PatchFrame => ({
  type: 'patch',
  topic: 'cpu',
  epoch,
  seq,
  ops: [{ op: 'replace', path: '/v', value: seq }],
});

const run = (linkUp: boolean) =>
  underRecordingParent(createSubscriptionMachine({ now }), {
    topic: 'cpu',
    linkUp,
  });
let running: ReturnType<typeof run> | undefined;
function start(linkUp = true) {
  running = run(linkUp);
  return running;
}
afterEach(() => running?.stop());

const view = (sub: ReturnType<typeof start>) => subscriptionView(sub.actor.getSnapshot());

/** Hands frames over as the frame router does: folded from the position held, in one `FOLDED`. */
function handOver(sub: ReturnType<typeof start>, frames: TopicFrame[]) {
  const from = sub.actor.getSnapshot().context.position;
  sub.actor.send({ type: 'FOLDED', result: foldFrames(from, frames, applyPatchImmutably), from });
}

describe('subscription', () => {
  it('subscribes as soon as there is a link, and goes live on the snapshot', () => {
    const sub = start();
    expect(sub.frames).toEqual([{ type: 'subscribe', topic: 'cpu' }]);
    expect(view(sub).status).toBe('subscribing');
    handOver(sub, [snapshot(3, { v: 3 })]);
    expect(view(sub)).toMatchObject({
      status: 'live',
      data: { v: 3 },
      epoch: 'A',
      seq: 3,
      updatedAt: 1_000,
    });
  });

  it('waits in pending without a link and subscribes on LINK.UP', () => {
    const sub = start(false);
    expect(view(sub).status).toBe('pending');
    expect(sub.frames).toEqual([]);
    sub.actor.send({ type: 'LINK.UP' });
    expect(sub.frames).toEqual([{ type: 'subscribe', topic: 'cpu' }]);
  });

  it('on a gap, resyncs with since = the last good position and goes live on the catch-up', () => {
    const sub = start();
    handOver(sub, [snapshot(3, { v: 3 }), patch(4)]);
    handOver(sub, [patch(6), patch(7)]);
    expect(view(sub)).toMatchObject({ status: 'resyncing', seq: 4, data: { v: 4 } });
    expect(sub.frames.at(-1)).toEqual({
      type: 'subscribe',
      topic: 'cpu',
      since: { epoch: 'A', seq: 4 },
    });
    // Frames still in flight from before the resubscribe are not a reason to ask again.
    handOver(sub, [patch(8)]);
    expect(sub.frames).toHaveLength(2);
    handOver(sub, [patch(5), patch(6), patch(7), patch(8)]);
    expect(view(sub)).toMatchObject({ status: 'live', seq: 8, data: { v: 8 } });
  });

  it('takes a fold made outside it from the position it holds, and resyncs instead of taking one from another', () => {
    const sub = start();
    const fold = (from: TopicPosition, frames: TopicFrame[]) => ({
      type: 'FOLDED' as const,
      result: foldFrames(from, frames, applyPatchImmutably),
      from,
    });
    sub.actor.send(
      fold(sub.actor.getSnapshot().context.position, [snapshot(3, { v: 3 }), patch(4)]),
    );
    expect(view(sub)).toMatchObject({ status: 'live', seq: 4, data: { v: 4 } });
    const held = sub.actor.getSnapshot().context.position;
    sub.actor.send(fold({ ...held }, [patch(5)]));
    expect(view(sub)).toMatchObject({ status: 'resyncing', seq: 4, data: { v: 4 } });
    expect(sub.frames.at(-1)).toEqual({
      type: 'subscribe',
      topic: 'cpu',
      since: { epoch: 'A', seq: 4 },
    });
  });

  it('asks again when the answer to a resync itself breaks', () => {
    const sub = start();
    handOver(sub, [snapshot(3, { v: 3 })]);
    handOver(sub, [patch(5)]);
    handOver(sub, [patch(4), patch(6)]);
    expect(view(sub)).toMatchObject({ status: 'resyncing', seq: 4 });
    expect(sub.frames.at(-1)).toEqual({
      type: 'subscribe',
      topic: 'cpu',
      since: { epoch: 'A', seq: 4 },
    });
    expect(sub.frames).toHaveLength(3);
  });

  it('after a patch that does not apply, asks for a fresh snapshot (no since) and keeps showing the data', () => {
    const sub = start();
    handOver(sub, [snapshot(3, 'not an object')]);
    handOver(sub, [patch(4)]);
    expect(view(sub)).toMatchObject({ status: 'resyncing', data: 'not an object', seq: null });
    expect(sub.frames.at(-1)).toEqual({ type: 'subscribe', topic: 'cpu' });
    handOver(sub, [snapshot(4, { v: 4 })]);
    expect(view(sub)).toMatchObject({ status: 'live', seq: 4, data: { v: 4 } });
  });

  it('goes stale on LINK.DOWN, keeps the data, and resumes with since on LINK.UP', () => {
    const sub = start();
    handOver(sub, [snapshot(3, { v: 3 })]);
    clock = 5_000;
    sub.actor.send({ type: 'LINK.DOWN' });
    expect(view(sub)).toMatchObject({ status: 'stale', data: { v: 3 }, staleSince: 5_000 });
    clock = 6_000;
    sub.actor.send({ type: 'LINK.UP' });
    expect(sub.frames.at(-1)).toEqual({
      type: 'subscribe',
      topic: 'cpu',
      since: { epoch: 'A', seq: 3 },
    });
    // Still stale (since 5 000) until the server confirms where we are.
    expect(view(sub)).toMatchObject({ status: 'subscribing', staleSince: 5_000 });
    handOver(sub, [patch(4)]);
    expect(view(sub)).toMatchObject({ status: 'live', staleSince: null, seq: 4 });
  });

  it('resuming at the server’s current seq gets no frames: SYNCED confirms it', () => {
    const sub = start();
    handOver(sub, [snapshot(3, { v: 3 })]);
    sub.actor.send({ type: 'LINK.DOWN' });
    sub.actor.send({ type: 'LINK.UP' });
    sub.actor.send({ type: 'SYNCED' });
    expect(view(sub).status).toBe('live');
  });

  it('SYNCED does not make a subscription without data live', () => {
    const sub = start();
    sub.actor.send({ type: 'SYNCED' });
    expect(view(sub).status).toBe('subscribing');
  });

  it('a new epoch replaces the data through its snapshot', () => {
    const sub = start();
    handOver(sub, [snapshot(30, { v: 30 })]);
    sub.actor.send({ type: 'LINK.DOWN' });
    sub.actor.send({ type: 'LINK.UP' });
    handOver(sub, [snapshot(2, { v: 'new' }, 'B')]);
    expect(view(sub)).toMatchObject({ status: 'live', epoch: 'B', seq: 2, data: { v: 'new' } });
  });

  it('shows a refusal of the topic, and tries again on RETRY', () => {
    const sub = start();
    sub.actor.send({ type: 'REFUSED', code: 'forbidden', message: 'not yours' });
    expect(view(sub)).toMatchObject({
      status: 'error',
      error: { code: 'forbidden', message: 'not yours' },
    });
    sub.actor.send({ type: 'RETRY' });
    expect(view(sub)).toMatchObject({ status: 'subscribing', error: null });
    expect(sub.frames).toEqual([
      { type: 'subscribe', topic: 'cpu' },
      { type: 'subscribe', topic: 'cpu' },
    ]);
  });

  it('leaves error for pending on RETRY without a link, and subscribes when the link returns', () => {
    const sub = start();
    sub.actor.send({ type: 'REFUSED', code: 'unknown_topic', message: 'no topic' });
    sub.actor.send({ type: 'LINK.DOWN' });
    sub.actor.send({ type: 'RETRY' });
    expect(view(sub).status).toBe('pending');
    sub.actor.send({ type: 'LINK.UP' });
    expect(view(sub).status).toBe('subscribing');
  });

  it('records what each batch applied, in order', () => {
    const sub = start();
    const batch = [snapshot(1, { v: 1 }), patch(2), patch(2)];
    handOver(sub, batch);
    expect(sub.actor.getSnapshot().context.applied).toEqual([
      { epoch: 'A', seq: 1, count: 1 },
      { epoch: 'A', seq: 2, count: 1 },
    ]);
    handOver(sub, [patch(2)]);
    expect(sub.actor.getSnapshot().context.applied).toEqual([]);
    expect(sub.actor.getSnapshot().context.duplicates).toBe(2);
  });

  it('has a context of plain data: its persisted snapshot survives JSON', () => {
    const sub = start();
    handOver(sub, [snapshot(1, { v: 1 }), patch(2), patch(4)]);
    const persisted = sub.actor.getPersistedSnapshot();
    expect(JSON.parse(JSON.stringify(persisted))).toEqual(persisted);
    expect(JSON.parse(JSON.stringify(persisted)).context).toEqual(sub.actor.getSnapshot().context);
  });

  it('keeps the same data reference when nothing was applied', () => {
    const sub = start();
    handOver(sub, [snapshot(1, { v: 1 })]);
    const before = view(sub).data;
    handOver(sub, [snapshot(1, { v: 1 })]);
    expect(view(sub).data).toBe(before);
  });
});
