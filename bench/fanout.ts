/**
 * 3. Server fan-out: N WebSocket connections on 127.0.0.1 (load generators in 2 other processes),
 * each subscribed to 3 topics, every topic published `rate` times a second, against the real
 * Tether server and a bare `ws` broadcast server (bench/fanout/server.ts). Reported: delivered
 * messages/s (offered = N·3·rate), publish → receive latency, server CPU per delivered message
 * (the comparison the goal is about), and server memory per idle connection after a GC.
 * The generators share the 2 cores with the server, so at full load the machine, not the server,
 * may be the limit; CPU per delivered message stays comparable.
 */
import { processCpuMs, sleep, spawnWorker } from './lib/proc.ts';
import type { Worker } from './lib/proc.ts';
import { fixed, si, summarize, table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';

interface ServerStats {
  rss: number;
  heapUsed: number;
  external: number;
  cpuMs: number;
  connections: number;
}
interface ClientStats {
  received: number;
  open: number;
  latencies: number[];
}
type Msg = {
  port?: number;
  stats?: ServerStats & ClientStats;
  connected?: number;
  failed?: number;
};

const TOPICS = 3;
const GENERATORS = 2;
// The hard limit here is 20000; each process holds at most N/2 + a few sockets (the server N).
const FDS = 19_000;

async function stats<T>(worker: Worker<Msg>, cmd = 'stats'): Promise<T> {
  worker.send({ cmd });
  return (await worker.next((m) => m.stats !== undefined, 60_000)).stats as T;
}

interface Outcome {
  kind: string;
  idleRssPerConn: number;
  idleHeapPerConn: number;
  idleExternalPerConn: number;
  loads: {
    rate: number;
    offered: number;
    delivered: number;
    serverCpuPct: number;
    cpuUsPerMsg: number;
    clientCpuPct: number;
    open: number;
    lat: ReturnType<typeof summarize>;
  }[];
}

async function run(
  kind: 'tether' | 'bare',
  connections: number,
  rates: number[],
  seconds: number,
): Promise<Outcome> {
  const server = spawnWorker<Msg>('fanout/server.ts', [kind, String(TOPICS)], {
    nodeArgs: ['--expose-gc'],
    fds: FDS,
  });
  const generators: Worker<Msg>[] = [];
  try {
    const { port } = await server.next((m) => m.port !== undefined);
    await sleep(500);
    const base = await stats<ServerStats>(server);
    const share = Math.ceil(connections / GENERATORS);
    for (let g = 0; g < GENERATORS; g++) {
      generators.push(
        spawnWorker<Msg>(
          'fanout/clients.ts',
          [String(port), String(share), String(g * share), '3', String(TOPICS)],
          { fds: FDS },
        ),
      );
    }
    const connected = await Promise.all(
      generators.map((w) => w.next((m) => m.connected !== undefined, 300_000)),
    );
    const failed = connected.reduce((sum, m) => sum + (m.failed ?? 0), 0);
    if (failed > 0) throw new Error(`${kind}: ${failed} connections failed`);
    await sleep(2000); // subscribes answered, buffers settled
    const idle = await stats<ServerStats>(server);
    const n = idle.connections;
    const outcome: Outcome = {
      kind,
      idleRssPerConn: (idle.rss - base.rss) / n,
      idleHeapPerConn: (idle.heapUsed - base.heapUsed) / n,
      idleExternalPerConn: (idle.external - base.external) / n,
      loads: [],
    };

    for (const rate of rates) {
      server.send({ cmd: 'publish', rate });
      await sleep(2000); // warm-up; its latencies are dropped below
      await Promise.all(generators.map((w) => stats<ClientStats>(w)));
      const t0 = performance.now();
      const s0 = await stats<ServerStats>(server, 'stats-nogc');
      const c0 = await Promise.all(generators.map((w) => stats<ClientStats>(w)));
      const g0 = generators.map((w) => processCpuMs(w.child.pid!));
      await sleep(seconds * 1000);
      const s1 = await stats<ServerStats>(server, 'stats-nogc');
      const c1 = await Promise.all(generators.map((w) => stats<ClientStats>(w)));
      const g1 = generators.map((w) => processCpuMs(w.child.pid!));
      const elapsed = (performance.now() - t0) / 1000;
      server.send({ cmd: 'quiet' });
      const delivered = c1.reduce((s, c, i) => s + c.received - c0[i]!.received, 0);
      const serverCpu = s1.cpuMs - s0.cpuMs;
      outcome.loads.push({
        rate,
        offered: n * 3 * rate,
        delivered: delivered / elapsed,
        serverCpuPct: serverCpu / 10 / elapsed,
        cpuUsPerMsg: (serverCpu * 1000) / delivered,
        clientCpuPct: g1.reduce((s, v, i) => s + v - g0[i]!, 0) / 10 / elapsed,
        open: c1.reduce((s, c) => s + c.open, 0),
        lat: summarize(c1.flatMap((c) => c.latencies)),
      });
      await sleep(1500); // drain before the next load
    }
    return outcome;
  } finally {
    for (const w of generators) w.send({ cmd: 'close' });
    await Promise.all(generators.map((w) => w.stop('SIGTERM', 3000)));
    await server.stop('SIGTERM', 3000);
  }
}

export const fanOut: Bench = async ({ quick }) => {
  // BENCH_FANOUT_CONNECTIONS / BENCH_FANOUT_RATES (comma-separated) override the sizes, for experiments.
  const connections = Number(process.env.BENCH_FANOUT_CONNECTIONS ?? (quick ? 1000 : 10_000));
  // The goal's load (10/s per topic) and a lighter one, for latency.
  const rates = (process.env.BENCH_FANOUT_RATES ?? (quick ? '10' : '1,10')).split(',').map(Number);
  const seconds = quick ? 3 : 10;
  const bare = await run('bare', connections, rates, seconds);
  const tether = await run('tether', connections, rates, seconds);
  const rows: string[][] = [];
  for (const [index, rate] of rates.entries()) {
    for (const o of [bare, tether]) {
      const l = o.loads[index]!;
      const ratio = l.cpuUsPerMsg / bare.loads[index]!.cpuUsPerMsg;
      rows.push([
        o.kind,
        `${rate}/s`,
        si(l.offered),
        si(l.delivered),
        String(l.open),
        fixed(l.lat.p50, 1),
        fixed(l.lat.p99, 1),
        fixed(l.serverCpuPct, 0),
        fixed(l.cpuUsPerMsg, 2),
        `${ratio.toFixed(2)}×`,
        fixed(l.clientCpuPct, 0),
      ]);
    }
  }
  const mem = [bare, tether].map((o) => [
    o.kind,
    `${(o.idleRssPerConn / 1024).toFixed(1)} KB`,
    `${(o.idleHeapPerConn / 1024).toFixed(1)} KB`,
    `${(o.idleExternalPerConn / 1024).toFixed(1)} KB`,
    `${(o.idleRssPerConn / bare.idleRssPerConn).toFixed(2)}×`,
  ]);
  const last = rates.length - 1;
  const body = [
    `${connections} connections × ${TOPICS} topics (every connection on all ${TOPICS}); ${seconds} s per load after a 2 s warm-up; latency from every 10th connection, ms, publish (server clock) → parsed in the generator.`,
    '',
    table(
      [
        'server',
        'rate/topic',
        'offered msg/s',
        'delivered msg/s',
        'open at end',
        'p50 ms',
        'p99 ms',
        'server CPU %',
        'server CPU µs/msg',
        'vs bare',
        'generators CPU %',
      ],
      rows,
    ),
    '',
    'Server memory per idle connection (connected and subscribed, after a GC; RSS and V8 heap growth ÷ connections):',
    '',
    table(['server', 'RSS / conn', 'V8 heap / conn', 'external / conn', 'RSS vs bare'], mem),
    '',
    `- CPU per delivered message at ${rates[last]}/s: Tether ${(tether.loads[last]!.cpuUsPerMsg / bare.loads[last]!.cpuUsPerMsg).toFixed(2)}× bare (goal ≤ 1.5×); RSS per idle connection ${(tether.idleRssPerConn / 1024).toFixed(1)} KB (goal < 10 KB).`,
  ].join('\n');
  return { title: 'Server fan-out', body };
};
