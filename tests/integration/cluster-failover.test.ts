import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { connectionView, createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type { LocalTetherClient, SubscriptionActorRef } from '../../src/client/index.ts';
import type { Position, SnapshotFrame } from '../../src/protocol/index.ts';
import { startRoundRobinProxy } from '../../server/cluster/round-robin-proxy.ts';
import type { RoundRobinProxy } from '../../server/cluster/round-robin-proxy.ts';
import { killSpawnedServers, spawnServer } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import type { TestRedis } from '../fixtures/redis.ts';
import { onApplied } from '../fixtures/applied.ts';

/**
 * Three CLI nodes (separate processes) on one redis-server behind a round-robin proxy, with real
 * Tether clients. Nodes are killed with SIGKILL mid-stream (and one restarted): every client must
 * resume on another node with no seq applied twice or out of order, and end equal to the server.
 * The host metrics keep flowing through lease failover.
 */

const redisCheck = redisAvailability();
const PUBLISH_KEY = 'cluster-failover-publish-key-0123456789';
const TOPICS = ['orders', 'host.cpu', 'server.clients'];
const FAST = {
  heartbeatMs: 200,
  heartbeatTimeoutMs: 800,
  backoff: { baseMs: 50, capMs: 300, maxAttempts: 1_000_000 },
} as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: TestRedis;
let dir: string;
let proxy: RoundRobinProxy | undefined;
const clients: LocalTetherClient[] = [];

beforeAll(async () => {
  if (!redisCheck.available) return;
  redis = await startRedis();
  dir = mkdtempSync(path.join(tmpdir(), 'tether-cluster-'));
  writeFileSync(
    path.join(dir, 'topics.json'),
    JSON.stringify([{ name: 'orders', initial: { n: 0, list: [] } }]),
  );
});
afterAll(async () => {
  await redis?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const client of clients.splice(0)) client.stop();
  await proxy?.close();
  proxy = undefined;
  await killSpawnedServers();
});

function node(port = 0, leaseMs = 1000): Promise<SpawnedServer> {
  return spawnServer({
    PORT: String(port),
    REDIS_URL: redis.url,
    TETHER_AUTH: 'off',
    TETHER_SAMPLE_MS: '100',
    TETHER_REDIS_LEASE_MS: String(leaseMs),
    TETHER_PUBLISH_KEY: PUBLISH_KEY,
    TETHER_TOPICS: path.join(dir, 'topics.json'),
  });
}

/** Every position a subscription applied, checked for order as it goes. */
class Recorder {
  readonly applied: Position[] = [];
  readonly problems: string[] = [];
  readonly #epochs = new Set<string>();
  constructor(readonly ref: SubscriptionActorRef) {
    onApplied(ref, (positions) => {
      for (const position of positions) {
        const previous = this.applied.at(-1);
        if (previous?.epoch === position.epoch && position.seq <= previous.seq)
          this.problems.push(`${this.view.topic}: ${position.seq} after ${previous.seq}`);
        if (previous?.epoch !== position.epoch && this.#epochs.has(position.epoch))
          this.problems.push(`${this.view.topic}: back to epoch ${position.epoch}`);
        this.#epochs.add(position.epoch);
        this.applied.push(position);
      }
    });
  }
  get view() {
    return subscriptionView(this.ref.getSnapshot());
  }
}

async function snapshot(server: SpawnedServer, topic: string): Promise<SnapshotFrame> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=${encodeURIComponent(topic)}`);
  return ((await response.json()) as { frames: SnapshotFrame[] }).frames[0]!;
}

describe.skipIf(!redisCheck.available)('cluster failover', () => {
  it(
    'resumes every client on another node after kill -9, with nothing lost, repeated or reordered',
    { timeout: 60_000 },
    async () => {
      const nodes = await Promise.all([node(), node(), node()]);
      proxy = await startRoundRobinProxy({ backends: nodes.map((n) => n.port) });
      const recorders: Recorder[] = [];
      const url = `http://127.0.0.1:${proxy.port}`;
      for (let i = 0; i < 6; i++) {
        const client = createTetherClient({
          url,
          WebSocket,
          network: false,
          fetch: null,
          polling: false,
          ...FAST,
        });
        clients.push(client);
        for (const topic of TOPICS) recorders.push(new Recorder(client.subscribe(topic).ref));
      }
      // Two polling-only clients: their requests land on whichever node the proxy picks.
      for (let i = 0; i < 2; i++) {
        const polling = {
          waitMs: 1000,
          minIntervalMs: 20,
          probe: { baseMs: 60_000, capMs: 60_000 },
          retry: { baseMs: 50, capMs: 300 },
        };
        const client = createTetherClient({
          url,
          WebSocket: null,
          network: false,
          polling,
          ...FAST,
        });
        clients.push(client);
        for (const topic of TOPICS) recorders.push(new Recorder(client.subscribe(topic).ref));
      }
      await vi.waitFor(() => expect(recorders.every((r) => r.view.status === 'live')).toBe(true), {
        timeout: 10_000,
      });
      // Clients are spread over the nodes.
      expect(
        [...proxy.counts().values()].filter((count) => count > 0).length,
      ).toBeGreaterThanOrEqual(2);

      // A publisher over HTTP that goes to whichever node answers.
      let n = 0;
      let publishing = true;
      let live = [...nodes];
      const publisher = (async () => {
        let turn = 0;
        while (publishing) {
          const target = live[turn++ % live.length]!;
          const ops = [
            { op: 'replace', path: '/n', value: ++n },
            { op: 'add', path: '/list/-', value: n },
            ...(n > 5 ? [{ op: 'remove', path: '/list/0' }] : []),
          ];
          await fetch(`${target.httpUrl}/api/publish`, {
            method: 'POST',
            headers: { authorization: `Bearer ${PUBLISH_KEY}` },
            body: JSON.stringify({ topic: 'orders', ops }),
          }).catch(() => undefined);
          await sleep(15);
        }
      })();

      await sleep(1000);
      const [first, second, third] = nodes;
      live = [second, third];
      first.kill('SIGKILL');
      await first.exited;
      await sleep(1500);
      const restarted = await node(first.port);
      live = [restarted, second, third];
      await sleep(1000);
      live = [restarted, third];
      second.kill('SIGKILL');
      await second.exited;
      await sleep(1500);
      publishing = false;
      await publisher;

      // Converged: every subscription live at the cluster's position and equal to a fresh snapshot.
      for (const topic of TOPICS) {
        await vi.waitFor(
          async () => {
            const truth = await snapshot(third, topic);
            for (const recorder of recorders.filter((r) => r.view.topic === topic)) {
              const { status, epoch, seq, data } = recorder.view;
              expect({ topic, status, epoch, seq }).toEqual({
                topic,
                status: 'live',
                epoch: truth.epoch,
                seq: truth.seq,
              });
              expect(data).toEqual(truth.data);
            }
          },
          { timeout: 15_000, interval: 100 },
        );
      }
      for (const recorder of recorders) expect(recorder.problems).toEqual([]);
      // Every client went through a reconnect or two, yet applied each orders seq once and in order.
      const orders = recorders.filter((r) => r.view.topic === 'orders');
      for (const recorder of orders) expect(recorder.applied.length).toBeGreaterThan(50);
      expect(clients.map((client) => connectionView(client.actor.getSnapshot()).status)).toEqual([
        ...Array(6).fill('connected'),
        'polling',
        'polling',
      ]);
      console.log(
        `[cluster] kill -9 failover: ${clients.length} clients × ${TOPICS.length} topics, ${n} publishes, ${recorders.reduce((sum, r) => sum + r.applied.length, 0)} positions applied, 0 problems`,
      );
    },
  );

  it(
    'hands the host metrics to another node when the lease holder dies, never publishing them twice',
    { timeout: 40_000 },
    async () => {
      const nodes = await Promise.all([node(), node()]);
      const holder = () => nodes.find((n) => n.output().includes('now samples the host metrics'));
      await vi.waitFor(() => expect(holder()).toBeDefined(), { timeout: 5000 });
      const first = holder()!;
      const other = nodes.find((n) => n !== first)!;
      const client = createTetherClient({
        url: other.httpUrl,
        WebSocket,
        network: false,
        fetch: null,
        polling: false,
        ...FAST,
      });
      clients.push(client);
      const cpu = new Recorder(client.subscribe('host.cpu').ref);
      await vi.waitFor(() => expect(cpu.view.status).toBe('live'));
      // One sampler: about one sample per 100 ms, not two.
      const before = cpu.view.seq!;
      await sleep(2000);
      const perSecond = (cpu.view.seq! - before) / 2;
      expect(perSecond).toBeGreaterThan(4);
      expect(perSecond).toBeLessThan(14);
      first.kill('SIGKILL');
      await first.exited;
      const killedAt = cpu.view.seq!;
      // The lease (1000 ms) runs out, the other node takes over and the series continues.
      await vi.waitFor(() => expect(other.output()).toContain('now samples the host metrics'), {
        timeout: 5000,
      });
      await vi.waitFor(() => expect(cpu.view.seq!).toBeGreaterThan(killedAt + 10), {
        timeout: 5000,
      });
      expect(cpu.problems).toEqual([]);
      const epochs = new Set(cpu.applied.map((p) => p.epoch));
      expect(epochs.size).toBe(1); // same epoch throughout: no client had to start over
      const seqs = cpu.applied.map((p) => p.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));
    },
  );

  it(
    'hands the lease on at once when its holder shuts down cleanly, without waiting for it to expire',
    { timeout: 40_000 },
    async () => {
      const nodes = await Promise.all([node(0, 4000), node(0, 4000)]);
      const sampling = (n: SpawnedServer) =>
        (n.output().match(/now samples the host metrics/g) ?? []).length;
      await vi.waitFor(() => expect(nodes.filter((n) => sampling(n) > 0)).toHaveLength(1), {
        timeout: 8000,
      });
      const holder = nodes.find((n) => sampling(n) > 0)!;
      const other = nodes.find((n) => n !== holder)!;
      const stoppedAt = performance.now();
      holder.kill('SIGTERM');
      await vi.waitFor(() => expect(sampling(other)).toBe(1), { timeout: 5000, interval: 20 });
      const handOverMs = performance.now() - stoppedAt;
      // Released on shutdown: the other node takes it at its next try (every 4000/3 ms), long
      // before the 4000 ms lease could have expired.
      expect(handOverMs).toBeLessThan(2500);
      expect(await holder.exited).toBe(0);
      console.log(
        `[cluster] clean shutdown of the lease holder: taken over after ${Math.round(handOverMs)} ms (lease 4000 ms)`,
      );
    },
  );
});
