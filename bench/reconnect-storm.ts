/**
 * 5. Reconnect storm: N real clients (2 processes) on the real server; the server is restarted
 * (SIGTERM: 1001 to everyone, then a new process on the same port, which takes as long as a
 * real restart takes). Measured: time from the restart until every client is resubscribed
 * (live on the new server's snapshot), the distribution of those times, attempts used, and the
 * server's accept rate (upgrades per 100 ms). Baseline in the same run: the same backoff without
 * jitter, where every client retries at the same instants.
 */
import { processCpuMs, sleep, spawnWorker } from './lib/proc.ts';
import type { Worker } from './lib/proc.ts';
import { fixed, si, summarize, table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';

type Back = { lostAt: number; backAt: number; attempts: number };
type Msg = {
  port?: number;
  listeningAt?: number;
  upgrades?: number[];
  ready?: number;
  back?: Back[];
  status?: { back: number; failed: number };
};
const GENERATORS = 2;
const FDS = 19_000;

async function storm(mode: 'jitter' | 'nojitter', clients: number) {
  let server = spawnWorker<Msg>('storm/server.ts', ['0'], { fds: FDS });
  const generators: Worker<Msg>[] = [];
  try {
    const { port } = await server.next((m) => m.port !== undefined);
    const share = Math.ceil(clients / GENERATORS);
    for (let g = 0; g < GENERATORS; g++)
      generators.push(
        spawnWorker<Msg>(
          'storm/clients.ts',
          [String(port), String(share), String(g * share), mode],
          { fds: FDS },
        ),
      );
    await Promise.all(generators.map((w) => w.next((m) => m.ready !== undefined, 300_000)));
    await sleep(1000);
    for (const w of generators) w.send({ cmd: 'arm' });
    const killedAt = performance.timeOrigin + performance.now();
    // The clients' own CPU during the storm: on 2 cores they, not the server, may set the pace.
    const cpu0 = generators.map((w) => processCpuMs(w.child.pid!));
    await server.stop('SIGTERM', 5000);
    server = spawnWorker<Msg>('storm/server.ts', [String(port)], { fds: FDS });
    const { listeningAt } = await server.next((m) => m.listeningAt !== undefined);
    const backs = await Promise.all(
      generators.map((w) => w.next((m) => m.back !== undefined, 180_000)),
    );
    const stormSeconds = (performance.timeOrigin + performance.now() - killedAt) / 1000;
    const clientCpuPct =
      generators.reduce((sum, w, i) => sum + processCpuMs(w.child.pid!) - cpu0[i]!, 0) /
      10 /
      stormSeconds;
    server.send({ cmd: 'upgrades' });
    const { upgrades } = await server.next((m) => m.upgrades !== undefined);
    const all = backs.flatMap((m) => m.back!);
    const sinceKill = summarize(all.map((b) => b.backAt - killedAt));
    const bins = new Map<number, number>();
    for (const t of upgrades!)
      bins.set(
        Math.floor((t - listeningAt!) / 100),
        (bins.get(Math.floor((t - listeningAt!) / 100)) ?? 0) + 1,
      );
    const seconds = new Map<number, number>();
    for (const t of upgrades!)
      seconds.set(
        Math.floor((t - listeningAt!) / 1000),
        (seconds.get(Math.floor((t - listeningAt!) / 1000)) ?? 0) + 1,
      );
    return {
      mode,
      downMs: listeningAt! - killedAt,
      sinceKill,
      sinceListen: summarize(all.map((b) => b.backAt - listeningAt!)),
      attempts: summarize(all.map((b) => b.attempts)),
      peakPer100ms: Math.max(...bins.values()),
      perSecond: [...seconds]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}s: ${n}`)
        .join(', '),
      accepts: upgrades!.length,
      clientCpuPct,
    };
  } finally {
    for (const w of generators) w.send({ cmd: 'stop' });
    await Promise.all(generators.map((w) => w.stop('SIGTERM', 3000)));
    await server.stop('SIGTERM', 3000);
  }
}

export const reconnectStorm: Bench = async ({ quick }) => {
  const clients = quick ? 300 : 5000;
  const jitter = await storm('jitter', clients);
  const flat = await storm('nojitter', clients);
  const rows = [jitter, flat].map((r) => [
    r.mode === 'jitter' ? 'full jitter (Tether default)' : 'no jitter (baseline)',
    fixed(r.downMs, 0),
    fixed(r.sinceKill.p50, 0),
    fixed(r.sinceKill.p90, 0),
    fixed(r.sinceKill.p99, 0),
    fixed(r.sinceKill.max, 0),
    fixed(r.sinceListen.max, 0),
    `${si(r.peakPer100ms * 10)}/s`,
    `${r.attempts.p50} / ${r.attempts.max}`,
    String(r.accepts),
    `${r.clientCpuPct.toFixed(0)}%`,
  ]);
  const body = [
    `${clients} clients (createTetherClient + ws, one subscription each, default backoff: base 1 s, cap 30 s); server restarted with SIGTERM + a new process on the same port. Times in ms from the SIGTERM; "resubscribed" = the subscription is live again on the new server's snapshot.`,
    '',
    table(
      [
        'backoff',
        'server down ms',
        'resubscribed p50',
        'p90',
        'p99',
        'all (max)',
        'all, from listening',
        'peak accepts (100 ms bins)',
        'attempts p50 / max',
        'upgrades',
        'client processes CPU (of 200%)',
      ],
      rows,
    ),
    '',
    `Accepts per second after the new server listened — jitter: ${jitter.perSecond}; no jitter: ${flat.perSecond}.`,
    '',
    `- Peak accept rate with jitter is ${(jitter.peakPer100ms / flat.peakPer100ms).toFixed(2)}× the no-jitter baseline; all resubscribed ${(jitter.sinceKill.max / 1000).toFixed(1)} s after the restart began (baseline ${(flat.sinceKill.max / 1000).toFixed(1)} s).`,
  ].join('\n');
  return { title: 'Reconnect storm', body };
};
