import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import type { PatchFrame } from '../../src/protocol/index.ts';
import type { ActionHandler } from '../../server/hub.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import type { TestRedis } from '../fixtures/redis.ts';

/**
 * Several server nodes in this process sharing one private redis-server: fan-out across nodes,
 * concurrent writers, actions deduplicated across nodes, polling anywhere, and a node restart
 * that keeps the epoch (so clients resume instead of refetching).
 */

const redisCheck = redisAvailability();
type Frame = Record<string, unknown>;

let redis: TestRedis;
let prefixCounter = 0;
const started: StartedServer[] = [];
const clients: TestClient[] = [];

beforeAll(async () => {
  if (redisCheck.available) redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  await Promise.all(started.splice(0).map((node) => node.close()));
});

/** Nodes of one fresh cluster (its own key prefix), each with the topics `define` gives it. */
function cluster(define: (node: StartedServer) => void) {
  const keyPrefix = `t${++prefixCounter}:`;
  return async (): Promise<StartedServer> => {
    const node = await startServer({ redisUrl: redis.url, redis: { keyPrefix } });
    started.push(node);
    define(node);
    await node.server.ready();
    return node;
  };
}

async function subscribe(
  node: StartedServer,
  topic: string,
  since?: { epoch: string; seq: number },
): Promise<TestClient> {
  const client = await openClient(node.wsUrl);
  clients.push(client);
  client.send(since ? { type: 'subscribe', topic, since } : { type: 'subscribe', topic });
  return client;
}

const patches = (client: TestClient, topic = 'doc') =>
  client.frames.filter((f) => f.type === 'patch' && f.topic === topic) as unknown as PatchFrame[];
const values = (client: TestClient) =>
  patches(client).map((f) => (f.ops[0] as { value: unknown }).value);

describe.skipIf(!redisCheck.available)('a cluster of nodes on Redis', () => {
  it('delivers a publish on node A to the clients of node B, in order', async () => {
    const node = cluster((n) => n.server.defineTopic('doc', { initial: { n: 0 } }));
    const [a, b] = [await node(), await node()];
    const onB = await subscribe(b, 'doc');
    const onA = await subscribe(a, 'doc');
    expect(await onB.take()).toMatchObject({ type: 'snapshot', seq: 0, data: { n: 0 } });
    await onA.take();
    for (let i = 1; i <= 300; i++) {
      a.server.publish('doc', [{ op: 'replace', path: '/n', value: i }]);
      if (i % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await vi.waitFor(() => expect(patches(onB).length).toBe(300), { timeout: 10_000 });
    await vi.waitFor(() => expect(patches(onA).length).toBe(300), { timeout: 10_000 });
    const want = Array.from({ length: 300 }, (_, i) => i + 1);
    expect(patches(onB).map((f) => f.seq)).toEqual(want);
    expect(values(onB)).toEqual(want);
    expect(patches(onA)).toEqual(patches(onB));
    expect(b.server.hub.topic('doc')!.state).toEqual({ n: 300 });
  });

  it('interleaves concurrent writers on two nodes into one gapless sequence that every node agrees on', async () => {
    const node = cluster((n) =>
      n.server.defineTopic('doc', { initial: { items: [] as string[] } }),
    );
    const [a, b] = [await node(), await node()];
    const onA = await subscribe(a, 'doc');
    const onB = await subscribe(b, 'doc');
    await onA.take();
    await onB.take();
    const item = (who: string, i: number) => [
      { op: 'add' as const, path: '/items/-', value: `${who}${i}` },
    ];
    // Synchronous publishes, HTTP-style committed updates, and a publishState diffed at commit time.
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      a.server.publish('doc', item('a', i));
      writes.push(b.server.hub.update('doc', () => ({ ok: true, ops: item('b', i) })));
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await Promise.all(writes);
    await vi.waitFor(() => expect(patches(onA).length).toBe(120), { timeout: 10_000 });
    await vi.waitFor(() => expect(patches(onB).length).toBe(120), { timeout: 10_000 });
    expect(patches(onA).map((f) => f.seq)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(patches(onB)).toEqual(patches(onA));
    const written = values(onA) as string[];
    // Every write exactly once, and each node's writes in the order it made them.
    expect(new Set(written).size).toBe(120);
    expect(written.filter((v) => v.startsWith('a'))).toEqual(
      Array.from({ length: 60 }, (_, i) => `a${i}`),
    );
    expect(written.filter((v) => v.startsWith('b'))).toEqual(
      Array.from({ length: 60 }, (_, i) => `b${i}`),
    );
    await vi.waitFor(() => expect(a.server.hub.topic('doc')!.seq).toBe(120));
    expect(a.server.hub.topic('doc')!.state).toEqual({ items: written });
    expect(b.server.hub.topic('doc')!.state).toEqual(a.server.hub.topic('doc')!.state);
  });

  it('applies an action id once across nodes and gives a repeat on another node the same reply', async () => {
    let runs = 0;
    const onAction: ActionHandler<{ n: number; version: number }> = (payload, { state }) => {
      runs++;
      const { version } = payload as { version: number };
      if (version !== state.version)
        return { ok: false, code: 'conflict', message: `at version ${state.version}` };
      return {
        ok: true,
        ops: [
          { op: 'replace', path: '/n', value: state.n + 1 },
          { op: 'replace', path: '/version', value: version + 1 },
        ],
      };
    };
    const node = cluster((n) =>
      n.server.defineTopic('counter', { initial: { n: 0, version: 1 }, onAction }),
    );
    const [a, b] = [await node(), await node()];
    const ws = await subscribe(a, 'counter');
    await ws.take();
    ws.send({ type: 'action', id: 'same-id', topic: 'counter', payload: { version: 1 } });
    expect(await ws.take((f) => f.type === 'ack' || f.type === 'nack')).toEqual({
      type: 'ack',
      id: 'same-id',
    });
    const repeat = await fetch(`${b.httpUrl}/api/actions`, {
      method: 'POST',
      body: JSON.stringify({
        type: 'action',
        id: 'same-id',
        topic: 'counter',
        payload: { version: 1 },
      }),
    });
    expect(await repeat.json()).toEqual({ type: 'ack', id: 'same-id' });
    expect(runs).toBe(1);
    // Two different actions racing on two nodes against the same version: one wins, one conflicts.
    const race = await Promise.all(
      [a, b].map((n, i) =>
        fetch(`${n.httpUrl}/api/actions`, {
          method: 'POST',
          body: JSON.stringify({
            type: 'action',
            id: `race-${i}`,
            topic: 'counter',
            payload: { version: 2 },
          }),
        }).then((r) => r.json() as Promise<Frame>),
      ),
    );
    expect(race.map((reply) => reply.type).sort()).toEqual(['ack', 'nack']);
    expect(race.find((reply) => reply.type === 'nack')).toMatchObject({ code: 'conflict' });
    await vi.waitFor(() =>
      expect(b.server.hub.topic('counter')!.state).toEqual({ n: 2, version: 3 }),
    );
    expect(a.server.hub.topic('counter')!.state).toEqual({ n: 2, version: 3 });
  });

  it('serves polling on any node: a long poll on B wakes for a publish on A, and resumes from A’s position', async () => {
    const node = cluster((n) => n.server.defineTopic('doc', { initial: { n: 0 } }));
    const [a, b] = [await node(), await node()];
    const epoch = a.server.hub.topic('doc')!.epoch;
    expect(b.server.hub.topic('doc')!.epoch).toBe(epoch);
    const held = fetch(`${b.httpUrl}/api/poll?topic=doc&since=${epoch}:0&wait=5000`).then(
      (r) => r.json() as Promise<{ frames: Frame[] }>,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    a.server.publish('doc', [{ op: 'replace', path: '/n', value: 1 }]);
    a.server.publish('doc', [{ op: 'replace', path: '/n', value: 2 }]);
    const first = await held;
    expect(first.frames[0]).toMatchObject({ type: 'patch', seq: 1 });
    await vi.waitFor(() => expect(b.server.hub.topic('doc')!.seq).toBe(2));
    const resumed = (await (
      await fetch(`${b.httpUrl}/api/poll?topic=doc&since=${epoch}:1`)
    ).json()) as { frames: Frame[] };
    expect(resumed.frames).toEqual([
      {
        type: 'patch',
        topic: 'doc',
        epoch,
        seq: 2,
        ops: [{ op: 'replace', path: '/n', value: 2 }],
      },
    ]);
  });

  it('keeps the epoch and history across node restarts, so a client resumes with patches instead of a snapshot', async () => {
    const node = cluster((n) =>
      n.server.defineTopic('doc', { initial: { n: 0 }, historyLength: 50 }),
    );
    const first = await node();
    for (let i = 1; i <= 20; i++)
      first.server.publish('doc', [{ op: 'replace', path: '/n', value: i }]);
    await first.server.hub.update('doc', () => ({ ok: true }));
    const { epoch } = first.server.hub.topic('doc')!;
    await first.close();
    started.splice(started.indexOf(first), 1);
    // A new node (a restart): same epoch, the state and the last patches loaded from Redis.
    const second = await node();
    expect(second.server.hub.topic('doc')!.position).toEqual({ epoch, seq: 20 });
    expect(second.server.hub.topic('doc')!.state).toEqual({ n: 20 });
    const client = await subscribe(second, 'doc', { epoch, seq: 15 });
    await client.sync();
    expect(client.frames.map((f) => [f.type, f.seq])).toEqual(
      [16, 17, 18, 19, 20].map((seq) => ['patch', seq]),
    );
    // Its seq continues where the cluster was.
    expect(second.server.publish('doc', [{ op: 'replace', path: '/n', value: 21 }])!.seq).toBe(21);
    await vi.waitFor(() => expect(patches(client).at(-1)?.seq).toBe(21));
  });

  it('counts the clients of every node (server.clients in a cluster)', async () => {
    const node = cluster((n) => n.server.defineTopic('doc', { initial: { n: 0 } }));
    const [a, b] = [await node(), await node()];
    for (let i = 0; i < 3; i++) await subscribe(a, 'doc');
    for (let i = 0; i < 2; i++) await subscribe(b, 'doc');
    await fetch(`${b.httpUrl}/api/poll?topic=doc&client=poller-1`);
    expect(a.server.clients()).toEqual({ websocket: 3, polling: 0 });
    // Each node reports its counts every second; the others' last reports are added to its own.
    await vi.waitFor(
      () => expect(a.server.clusterClients()).toEqual({ websocket: 5, polling: 1 }),
      { timeout: 5000 },
    );
    await vi.waitFor(
      () => expect(b.server.clusterClients()).toEqual({ websocket: 5, polling: 1 }),
      { timeout: 5000 },
    );
    for (const client of clients.splice(0, 3)) client.ws.terminate();
    await vi.waitFor(
      () => expect(b.server.clusterClients()).toEqual({ websocket: 2, polling: 1 }),
      { timeout: 5000 },
    );
  });

  it('stores topics as a hash (epoch, seq, state) and a stream of patch frames with ids <seq>-0', async () => {
    const node = cluster((n) => n.server.defineTopic('doc', { initial: { n: 0 } }));
    const a = await node();
    a.server.publish('doc', [{ op: 'replace', path: '/n', value: 1 }]);
    await a.server.hub.update('doc', () => ({ ok: true }));
    const direct = new Redis(redis.url);
    try {
      const prefix = `t${prefixCounter}:`;
      const hash = await direct.hgetall(`${prefix}topic:doc`);
      expect(hash).toEqual({ epoch: a.server.hub.topic('doc')!.epoch, seq: '1', state: '{"n":1}' });
      const entries = await direct.xrange(`${prefix}log:doc`, '-', '+');
      expect(entries.map(([id]) => id)).toEqual(['1-0']);
      expect(JSON.parse(entries[0]![1][3]!)).toMatchObject({ type: 'patch', seq: 1 });
    } finally {
      direct.disconnect();
    }
  });
});

describe('cluster configuration from the environment', () => {
  it('reads REDIS_URL, TETHER_REDIS_PREFIX and TETHER_REDIS_LEASE_MS, and refuses malformed ones', async () => {
    const { readEnv } = await import('../../server/env.ts');
    const base = { TETHER_AUTH: 'off' };
    expect(readEnv(base).server.redisUrl).toBeUndefined();
    expect(readEnv({ ...base, REDIS_URL: 'redis://10.0.0.5:6379' }).server).toMatchObject({
      redisUrl: 'redis://10.0.0.5:6379',
    });
    expect(
      readEnv({
        ...base,
        REDIS_URL: 'rediss://h:6380/2',
        TETHER_REDIS_PREFIX: 'shop:',
        TETHER_REDIS_LEASE_MS: '5000',
      }).server,
    ).toMatchObject({
      redisUrl: 'rediss://h:6380/2',
      redis: { keyPrefix: 'shop:', leaseMs: 5000 },
    });
    expect(() => readEnv({ ...base, REDIS_URL: 'localhost:6379' })).toThrow(
      /REDIS_URL must look like redis:\/\/host:6379/,
    );
    expect(() => readEnv({ ...base, REDIS_URL: 'redis://h', TETHER_REDIS_LEASE_MS: '10' })).toThrow(
      /TETHER_REDIS_LEASE_MS/,
    );
    expect(() => readEnv({ ...base, TETHER_REDIS_PREFIX: 'x:' })).toThrow(/need REDIS_URL/);
  });
});
