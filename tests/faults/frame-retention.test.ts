import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { createTetherClient } from '../../src/client/index.ts';
import { EPOCH, cpuSample, topicName } from '../../bench/lib/shapes.ts';
import { standInSocket } from '../../bench/lib/stand-in-socket.ts';

/**
 * Frames must die young: once a hand-over has been applied, nothing may keep its frames alive.
 * xstate 5 keeps the event of a step whose actions include anything but `assign` (`sendTo`,
 * `emit`, `raise`, custom actions, `enqueueActions`) reachable from closures it makes per step,
 * which V8's young-generation collector does not free; an event carrying frames then promotes
 * them all, and the client spends far more CPU per frame (bench/xstate-retention). So frames
 * travel in no such event: the transports hand them to the subscriptions, which fold them with
 * `assign` alone (docs/architecture.md, "Frames and the statecharts"). Routed through the
 * connection with `sendTo` instead, the old generation gains ~3.5 MB here.
 *
 * Measured here as what the old generation gains while a young-generation GC runs after every
 * hand-over: a frame promoted must have survived two of them, i.e. outlived the next hand-over.
 */

type MinorGc = (options?: { type: 'minor' | 'major' }) => void;
const gc = (globalThis as { gc?: MinorGc }).gc;
const TOPIC = topicName(0);
const FRAMES_PER_HANDOVER = 200;
const HANDOVERS = 40;
/** Frames kept by xstate gain ~3.5 MB (the frames themselves); none kept, ~0.25 MB. */
const OLD_SPACE_BOUND = 1024 * 1024;

const oldSpaceUsed = () =>
  getHeapSpaceStatistics().find((space) => space.space_name === 'old_space')!.space_used_size;
const nextTask = () => new Promise((resolve) => setImmediate(resolve));

const FrameSource = standInSocket();

/**
 * A patch shaped like the bench's (a cpu sample), but replacing the first sample rather than
 * appending to the window: what it brings dies with the next patch, so only frames kept by
 * something else can reach the old generation, whatever the window's length.
 */
const patchText = (topic: string, seq: number) =>
  JSON.stringify({
    type: 'patch',
    topic,
    epoch: EPOCH,
    seq,
    ops: [{ op: 'replace', path: '/samples/0', value: cpuSample(seq) }],
  });

describe('frame retention', () => {
  it('keeps no frame alive past the next hand-over', async () => {
    if (!gc)
      throw new Error('needs --expose-gc (vitest.config.ts gives the node project execArgv)');
    const client = createTetherClient({
      url: 'http://127.0.0.1:1',
      WebSocket: FrameSource,
      fetch: null,
      network: false,
      handover: 'task',
    });
    const { view } = client.subscribe(TOPIC);
    while (view.get().status !== 'live') await new Promise((resolve) => setTimeout(resolve, 2));
    let seq = 0;
    const handOver = async () => {
      for (let i = 0; i < FRAMES_PER_HANDOVER; i++)
        FrameSource.last!.onmessage?.({ data: patchText(TOPIC, ++seq) });
      await nextTask(); // the transport hands the batch over in the next task
    };
    for (let i = 0; i < 5; i++) await handOver(); // warm up: code, feedback and shapes settle
    gc();
    gc();
    const before = oldSpaceUsed();
    for (let i = 0; i < HANDOVERS; i++) {
      await handOver();
      gc({ type: 'minor' });
    }
    const gained = oldSpaceUsed() - before;
    const { seq: applied } = view.get();
    client.stop();
    console.log(
      `frame retention: old generation gained ${(gained / 1024).toFixed(0)} KB over ${HANDOVERS * FRAMES_PER_HANDOVER} frames`,
    );

    expect(applied, 'every patch was applied').toBe(seq);
    expect(
      gained,
      `old generation gained ${(gained / 1024).toFixed(0)} KB over ${HANDOVERS * FRAMES_PER_HANDOVER} frames`,
    ).toBeLessThan(OLD_SPACE_BOUND);
  });
});
