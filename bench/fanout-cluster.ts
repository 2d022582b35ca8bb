/**
 * Fan-out across 2 nodes on Redis: the same load as bench/fanout.ts (N connections × 3 topics,
 * each topic published `rate` times a second), with the connections split over two server nodes
 * sharing one redis-server and the publisher on the first node, against one node in memory and
 * one node on Redis, in the same run. Reported per setup: delivered messages/s, publish → receive
 * latency (the second node's clients get every frame through Redis), CPU of the server nodes and
 * of redis-server per delivered message, and the ratio to the single in-memory node.
 * 127.0.0.1 only; needs redis-server (apt-get install redis-server).
 */
import { startRedis } from '../tests/fixtures/redis.ts';
import type { TestRedis } from '../tests/fixtures/redis.ts';
import { processCpuMs, sleep, spawnWorker } from './lib/proc.ts';
import type { Worker } from './lib/proc.ts';
import { fixed, si, summarize, table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';

type Msg = {
  port?: number;
  stats?: {
    cpuMs: number;
    connections: number;
    received: number;
    open: number;
    latencies: number[];
  };
  connected?: number;
  failed?: number;
};
const TOPICS = 3;
const FDS = 19_000;

async function stats(worker: Worker<Msg>, cmd = 'stats-nogc'): Promise<NonNullable<Msg['stats']>> {
  worker.send({ cmd });
  return (await worker.next((m) => m.stats !== undefined, 60_000)).stats!;
}

interface Setup {
  label: string;
  nodes: number;
  redis: boolean;
}

async function run(
  setup: Setup,
  connections: number,
  rate: number,
  seconds: number,
  redis: TestRedis,
) {
  const nodes: Worker<Msg>[] = [];
  const generators: Worker<Msg>[] = [];
  try {
    for (let i = 0; i < setup.nodes; i++) {
      nodes.push(
        spawnWorker<Msg>(
          'cluster/node.ts',
          [setup.redis ? redis.url : 'memory', i === 0 ? 'publisher' : 'follower', String(TOPICS)],
          { nodeArgs: ['--expose-gc'], fds: FDS },
        ),
      );
    }
    const ports = await Promise.all(
      nodes.map(async (node) => (await node.next((m) => m.port !== undefined)).port!),
    );
    // Two generators, as in bench/fanout.ts; with two nodes each generator talks to one node.
    const share = Math.ceil(connections / 2);
    for (let g = 0; g < 2; g++)
      generators.push(
        spawnWorker<Msg>(
          'fanout/clients.ts',
          [String(ports[g % ports.length]), String(share), String(g * share), '3', String(TOPICS)],
          { fds: FDS },
        ),
      );
    const connected = await Promise.all(
      generators.map((w) => w.next((m) => m.connected !== undefined, 300_000)),
    );
    if (connected.some((m) => (m.failed ?? 0) > 0))
      throw new Error(`${setup.label}: connections failed`);
    await sleep(1500);
    nodes[0]!.send({ cmd: 'publish', rate });
    await sleep(2000);
    await Promise.all(generators.map((w) => stats(w, 'stats')));
    const t0 = performance.now();
    const n0 = await Promise.all(nodes.map((w) => stats(w)));
    const c0 = await Promise.all(generators.map((w) => stats(w, 'stats')));
    const r0 = setup.redis ? processCpuMs(redis.pid()!) : 0;
    await sleep(seconds * 1000);
    const n1 = await Promise.all(nodes.map((w) => stats(w)));
    const c1 = await Promise.all(generators.map((w) => stats(w, 'stats')));
    const r1 = setup.redis ? processCpuMs(redis.pid()!) : 0;
    const elapsed = (performance.now() - t0) / 1000;
    nodes[0]!.send({ cmd: 'quiet' });
    const delivered = c1.reduce((sum, c, i) => sum + c.received - c0[i]!.received, 0);
    const nodeCpu = n1.reduce((sum, s, i) => sum + s.cpuMs - n0[i]!.cpuMs, 0);
    const redisCpu = r1 - r0;
    return {
      setup,
      offered: connections * 3 * rate,
      delivered: delivered / elapsed,
      open: c1.reduce((sum, c) => sum + c.open, 0),
      nodeCpuPct: nodeCpu / 10 / elapsed,
      redisCpuPct: redisCpu / 10 / elapsed,
      usPerMsg: ((nodeCpu + redisCpu) * 1000) / delivered,
      lat: summarize(c1.flatMap((c) => c.latencies)),
      perNode: c1.map((c, i) => (c.received - c0[i]!.received) / elapsed),
    };
  } finally {
    for (const w of generators) w.send({ cmd: 'close' });
    await Promise.all(generators.map((w) => w.stop('SIGTERM', 3000)));
    await Promise.all(nodes.map((w) => w.stop('SIGTERM', 3000)));
  }
}

export const fanOutCluster: Bench = async ({ quick }) => {
  const connections = Number(process.env.BENCH_CLUSTER_CONNECTIONS ?? (quick ? 1000 : 2000));
  const rate = 10;
  const seconds = quick ? 3 : 8;
  const redis = await startRedis();
  try {
    const setups: Setup[] = [
      { label: '1 node, in memory', nodes: 1, redis: false },
      { label: '1 node, Redis', nodes: 1, redis: true },
      { label: '2 nodes, Redis', nodes: 2, redis: true },
    ];
    const results = [];
    for (const setup of setups) results.push(await run(setup, connections, rate, seconds, redis));
    const base = results[0]!;
    const rows = results.map((r) => [
      r.setup.label,
      si(r.offered),
      si(r.delivered),
      `${(r.delivered / base.delivered).toFixed(2)}×`,
      String(r.open),
      fixed(r.lat.p50, 1),
      fixed(r.lat.p99, 1),
      fixed(r.nodeCpuPct, 0),
      fixed(r.redisCpuPct, 1),
      fixed(r.usPerMsg, 2),
      `${(r.usPerMsg / base.usPerMsg).toFixed(2)}×`,
    ]);
    const two = results[2]!;
    const body = [
      `${connections} connections × ${TOPICS} topics, ${rate}/s per topic; ${seconds} s after a 2 s warm-up; two load generators (with 2 nodes: one per node; the publisher runs on the first node). Latency from every 10th connection, publish → parsed, ms.`,
      '',
      table(
        [
          'setup',
          'offered msg/s',
          'delivered msg/s',
          'vs 1 node',
          'open at end',
          'p50 ms',
          'p99 ms',
          'nodes CPU %',
          'redis CPU %',
          'CPU µs/msg (nodes + redis)',
          'vs 1 node',
        ],
        rows,
      ),
      '',
      `- 2 nodes deliver ${(two.delivered / base.delivered).toFixed(2)}× the messages/s of one in-memory node at the same offered load (${two.perNode.map((n) => si(n)).join(' + ')} msg/s per node's clients), at ${(two.usPerMsg / base.usPerMsg).toFixed(2)}× the CPU per delivered message (Redis and the second node's replica included).`,
    ].join('\n');
    return { title: 'Fan-out across 2 nodes (Redis)', body };
  } finally {
    await redis.close();
  }
};
