import { afterEach, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import type { Position } from '../../src/protocol/index.ts';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import type { TestRedis } from '../fixtures/redis.ts';
import { onApplied } from '../fixtures/applied.ts';

/**
 * Redis goes away under two nodes and comes back. While it is away the nodes close their clients
 * and refuse new ones (clients show their data as stale); when it is back everything resumes:
 * with persistence in the same epoch (clients resume with patches), without it in a new epoch
 * that carries the last state on (clients take one snapshot).
 */

const redisCheck = redisAvailability();
const FAST = {
  heartbeatMs: 200,
  heartbeatTimeoutMs: 800,
  backoff: { baseMs: 50, capMs: 300, maxAttempts: 1_000_000 },
} as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(persist: boolean) {
  const redis: TestRedis = await startRedis({ persist });
  cleanups.push(() => redis.close());
  const nodes: StartedServer[] = [];
  for (let i = 0; i < 2; i++) {
    const node = await startServer({
      redisUrl: redis.url,
      redis: { unavailableAfterMs: 300 },
      onError: () => undefined,
    });
    cleanups.push(() => node.close());
    node.server.defineTopic('doc', { initial: { n: 0 } });
    await node.server.ready();
    nodes.push(node);
  }
  const [a, b] = nodes as [StartedServer, StartedServer];
  const client: LocalTetherClient = createTetherClient({
    url: a.httpUrl,
    WebSocket,
    network: false,
    fetch: null,
    polling: false,
    ...FAST,
  });
  cleanups.push(() => client.stop());
  const ref = client.subscribe('doc').ref;
  const applied: Position[] = [];
  onApplied(ref, (positions) => applied.push(...positions));
  const statuses = new Set<string>();
  ref.subscribe((snapshot) => statuses.add(subscriptionView(snapshot).status));
  const view = () => subscriptionView(ref.getSnapshot());
  await vi.waitFor(() => expect(view().status).toBe('live'));
  let n = 0;
  const publisher = setInterval(
    () => b.server.publish('doc', [{ op: 'replace', path: '/n', value: ++n }]),
    20,
  );
  cleanups.push(() => clearInterval(publisher));
  return {
    redis,
    a,
    b,
    view,
    applied,
    statuses,
    stopPublishing: () => clearInterval(publisher),
    published: () => n,
  };
}

/** Seqs strictly increasing within an epoch, epochs never revisited. */
function expectOrderly(applied: Position[]) {
  const epochs: string[] = [];
  applied.forEach((position, i) => {
    const previous = applied[i - 1];
    if (previous?.epoch === position.epoch) expect(position.seq).toBeGreaterThan(previous.seq);
    else {
      expect(epochs).not.toContain(position.epoch);
      epochs.push(position.epoch);
    }
  });
  return epochs;
}

describe.skipIf(!redisCheck.available)('Redis restarts under a cluster', () => {
  it(
    'shows stale data while Redis is down, then resumes in the same epoch without loss (appendonly)',
    { timeout: 30_000 },
    async () => {
      const { redis, a, b, view, applied, statuses, stopPublishing, published } = await setup(true);
      await sleep(300);
      const epoch = view().epoch;
      await redis.stop(true); // kill -9: with appendfsync always every commit survives
      await vi.waitFor(() => expect(view().status).toBe('stale'), { timeout: 5000 });
      const health = await fetch(`${a.httpUrl}/healthz`);
      expect(health.status).toBe(503);
      await sleep(500); // publishes keep being queued on node B meanwhile
      await redis.start();
      await vi.waitFor(() => expect(view().status).toBe('live'), { timeout: 10_000 });
      await sleep(300);
      stopPublishing();
      await vi.waitFor(() => expect(b.server.hub.topic('doc')!.state).toEqual({ n: published() }), {
        timeout: 5000,
      });
      const truth = b.server.hub.topic('doc')!;
      await vi.waitFor(
        () => expect({ epoch: view().epoch, seq: view().seq }).toEqual(truth.position),
        { timeout: 5000 },
      );
      expect(view().data).toEqual(truth.state);
      expect(a.server.hub.topic('doc')!.position).toEqual(truth.position);
      expect(truth.epoch).toBe(epoch);
      expect(expectOrderly(applied)).toEqual([epoch]); // resumed, never re-snapshotted
      // Every seq once: the single epoch's applied seqs are exactly 0..seq.
      expect(applied.map((p) => p.seq)).toEqual(Array.from({ length: truth.seq + 1 }, (_, i) => i));
      expect(statuses).toContain('stale');
    },
  );

  it(
    'starts a new epoch that carries the last state on when Redis comes back empty',
    { timeout: 30_000 },
    async () => {
      const { redis, b, view, applied, stopPublishing } = await setup(false);
      await sleep(300);
      const epoch = view().epoch;
      await redis.stop(true);
      await vi.waitFor(() => expect(view().status).toBe('stale'), { timeout: 5000 });
      await redis.start(); // empty: no persistence
      await vi.waitFor(() => expect(view().status).toBe('live'), { timeout: 10_000 });
      await vi.waitFor(() => expect(view().epoch).not.toBe(epoch), { timeout: 5000 });
      await sleep(200);
      stopPublishing();
      const truth = b.server.hub.topic('doc')!;
      await vi.waitFor(
        () => expect({ epoch: view().epoch, seq: view().seq }).toEqual(truth.position),
        { timeout: 5000 },
      );
      expect(view().data).toEqual(truth.state);
      expect((truth.state as { n: number }).n).toBeGreaterThan(10); // carried on, not back to the initial state
      expect(expectOrderly(applied)).toHaveLength(2);
    },
  );

  it(
    'forks a new epoch when Redis comes back behind the nodes, so no seq is reused for another frame',
    { timeout: 30_000 },
    async () => {
      const { redis, a, b, view, applied, stopPublishing } = await setup(false);
      await sleep(300);
      stopPublishing();
      await b.server.hub.update('doc', () => ({ ok: true })); // resolves once B's queued publishes are in
      await vi.waitFor(() =>
        expect(a.server.hub.topic('doc')!.seq).toBe(b.server.hub.topic('doc')!.seq),
      );
      const { epoch, seq } = a.server.hub.topic('doc')!.position;
      const state = a.server.hub.topic('doc')!.state;
      expect(seq).toBeGreaterThan(5);
      // Redis as restored from an AOF that lost its last writes: same epoch, an older seq and state.
      const direct = new Redis(redis.url);
      cleanups.push(() => direct.disconnect());
      await direct.hset('tether:topic:doc', 'seq', '3', 'state', '{"n":3}');
      await direct.xtrim('tether:log:doc', 'MAXLEN', 0);
      await direct.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await direct.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await vi.waitFor(() => expect(a.server.hub.topic('doc')!.epoch).not.toBe(epoch), {
        timeout: 5000,
      });
      await vi.waitFor(
        () => expect(b.server.hub.topic('doc')!.epoch).toBe(a.server.hub.topic('doc')!.epoch),
        { timeout: 5000 },
      );
      // The nodes' newer state carries on in the new epoch, and clients take it as a snapshot.
      expect(a.server.hub.topic('doc')!.state).toEqual(state);
      b.server.publish('doc', [{ op: 'replace', path: '/n', value: 1000 }]);
      await vi.waitFor(() => expect(view().data).toEqual({ n: 1000 }), { timeout: 5000 });
      expect(view().epoch).toBe(a.server.hub.topic('doc')!.epoch);
      expect(expectOrderly(applied)).toHaveLength(2);
    },
  );

  it(
    'loses and repeats nothing when Redis drops connections mid-commit or mid-stream',
    { timeout: 30_000 },
    async () => {
      const { redis, a, b, view, applied, stopPublishing } = await setup(false);
      stopPublishing();
      await b.server.hub.update('doc', () => ({ ok: true }));
      await vi.waitFor(() =>
        expect(a.server.hub.topic('doc')!.seq).toBe(b.server.hub.topic('doc')!.seq),
      );
      const start = b.server.hub.topic('doc')!.seq;
      const direct = new Redis(redis.url);
      cleanups.push(() => direct.disconnect());
      // Writers on both nodes, each value once; meanwhile every connection but ours is cut again and
      // again, so some commit replies are lost after the script ran (the batch id in the stream tells).
      const writes: Promise<unknown>[] = [];
      let cuts = 0;
      for (let i = 1; i <= 300; i++) {
        const node = i % 2 ? a : b;
        writes.push(
          node.server.hub.update('doc', () => ({
            ok: true,
            ops: [{ op: 'replace', path: '/n', value: i }],
          })),
        );
        if (i % 25 === 0) {
          // Alternately the command connections (commit replies lost) and the subscribers (frames missed).
          await direct.call(
            'CLIENT',
            'KILL',
            'TYPE',
            cuts % 2 ? 'pubsub' : 'normal',
            'SKIPME',
            'yes',
          );
          cuts++;
          await sleep(30);
        }
      }
      await Promise.all(writes);
      await vi.waitFor(() => expect(view().seq).toBe(b.server.hub.topic('doc')!.seq), {
        timeout: 10_000,
      });
      expect(cuts).toBe(12);
      const committed = b.server.hub.topic('doc')!.seq - start;
      expect(committed).toBe(300); // every update once: none lost, none committed twice
      const topic = b.server.hub.topic('doc')!;
      const values = topic
        .framesSince({ epoch: topic.epoch, seq: start })
        .map(({ frame }) =>
          frame.type === 'patch' ? (frame.ops[0] as { value: number }).value : -1,
        );
      expect(values.sort((x, y) => x - y)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
      // Both replicas hold the very same frames, whichever messages each of them missed.
      const texts = (node: StartedServer) =>
        node.server.hub
          .topic('doc')!
          .framesSince({ epoch: topic.epoch, seq: start })
          .map(({ text }) => text);
      expect(texts(a)).toEqual(texts(b));
      expect(a.server.hub.topic('doc')!.position).toEqual(b.server.hub.topic('doc')!.position);
      expectOrderly(applied);
    },
  );
});
