/**
 * 1. Client throughput: frames/s from the socket to an up-to-date subscription snapshot, for 1 and
 * 50 subscriptions, Tether vs raw `ws` + JSON.parse (the floor), the same plus keeping each topic's
 * document (written in place: `mutate`; a new immutable document per patch: `apply`; Tether's
 * validation and one new document per topic per hand-over, without statecharts: `fold` with the
 * frames kept until the hand-over, `eager` writing each frame into the hand-over's copy at once)
 * and socket.io-client, each receiving
 * the same frames, at the same pace, from a sender in another process (for socket.io pre-encoded
 * as its packets; bench/throughput/sender.ts). Each receiver runs in a fresh process; the
 * variants alternate over the repeats so drift hits them alike. Wall time on 2 cores is noisy
 * (the sender competes for the CPU), so the ratio is also given per CPU-second of the receiver.
 */
import { sleep, spawnWorker } from './lib/proc.ts';
import { median, si, table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';
import { seriesWindow } from '../server/sources/series.ts';

const ALL = ['raw', 'mutate', 'apply', 'fold', 'eager', 'socketio', 'tether'] as const;
type Variant = (typeof ALL)[number];
// BENCH_VARIANTS=tether runs one receiver only (for profiling); the ratios then need `raw` too.
// BENCH_TOPICS=50 runs one subscription count only.
const VARIANTS = ALL.filter((v) =>
  (process.env.BENCH_VARIANTS ?? ALL.join(',')).split(',').includes(v),
);
const TOPICS = [1, 50].filter((n) =>
  (process.env.BENCH_TOPICS ?? '1,50').split(',').includes(String(n)),
);

interface Measured {
  variant: Variant;
  wallMs: number;
  cpuMs: number;
  /** Tether only: hand-overs (connection steps) while measuring. */
  handovers?: number;
}

async function once(variant: Variant, topics: number, frames: number): Promise<Measured> {
  const sender = spawnWorker<{ port?: number; sent?: number }>('throughput/sender.ts', [
    variant === 'socketio' && !process.env.ONMSG ? 'socketio' : 'ws',
    String(topics),
    String(frames),
  ]);
  try {
    const { port } = await sender.next((m) => m.port !== undefined);
    // BENCH_CPU_PROF=DIR writes a V8 profile of every receiver (read it with bench/lib/profile-summary.ts);
    // BENCH_NODE_ARGS passes flags to the receivers (`--trace-gc` prints every collection).
    const profile = process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF]
      : [];
    const nodeArgs = [
      ...profile,
      ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ];
    const receiver = spawnWorker<Measured>(
      'throughput/receiver.ts',
      [variant, String(port), String(topics), String(frames)],
      { nodeArgs },
    );
    try {
      return await receiver.next((m) => 'wallMs' in m, 180_000);
    } finally {
      await Promise.race([receiver.exited, sleep(3000)]); // it exits by itself (and writes its profile)
      await receiver.stop();
    }
  } finally {
    await sender.stop();
  }
}

export const clientThroughput: Bench = async ({ quick }) => {
  const frames = quick ? 20_000 : 200_000;
  // Five, alternating: one receiver's CPU per frame moves by up to 1.8× between back-to-back
  // runs on these shared machines, and the median of five is steadier than that of three.
  const repeats = quick ? 1 : 5;
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const topics of TOPICS) {
    const runs = new Map<Variant, Measured[]>(VARIANTS.map((v) => [v, []]));
    for (let r = 0; r < repeats; r++)
      for (const variant of VARIANTS) runs.get(variant)!.push(await once(variant, topics, frames));
    const rate = (variant: Variant, key: 'wallMs' | 'cpuMs') =>
      median((runs.get(variant) ?? []).map((m) => frames / (m[key] / 1000)));
    const floorWall = rate('raw', 'wallMs');
    const floorCpu = rate('raw', 'cpuMs');
    for (const variant of VARIANTS) {
      const wall = rate(variant, 'wallMs');
      const cpu = rate(variant, 'cpuMs');
      const each = (runs.get(variant) ?? [])
        .map((m) => ((m.cpuMs * 1000) / frames).toFixed(1))
        .join(', ');
      rows.push([
        String(topics),
        variant,
        si(wall),
        si(cpu),
        (1e6 / cpu).toFixed(2),
        each,
        `${((wall / floorWall) * 100).toFixed(0)}%`,
        `${((cpu / floorCpu) * 100).toFixed(0)}%`,
      ]);
    }
    const tetherCpu = rate('tether', 'cpuMs');
    const perHandover = (runs.get('tether') ?? [])
      .map((m) => (m.handovers ? (frames / m.handovers).toFixed(0) : '?'))
      .join(', ');
    if (perHandover)
      notes.push(
        `${topics} sub: Tether's frames per hand-over, each run in the order above: ${perHandover}.`,
      );
    const share = (variant: Variant) =>
      `${((rate(variant, 'cpuMs') / floorCpu) * 100).toFixed(0)}%`;
    notes.push(
      `${topics} sub: per CPU-second Tether does ${((tetherCpu / floorCpu) * 100).toFixed(0)}% of the raw floor's frames (fold ${share('fold')}, eager ${share('eager')}), ${((tetherCpu / rate('mutate', 'cpuMs')) * 100).toFixed(0)}% of the in-place floor's, ${(tetherCpu / rate('apply', 'cpuMs')).toFixed(2)}× the immutable floor's and ${(tetherCpu / rate('socketio', 'cpuMs')).toFixed(2)}× socket.io-client's.`,
    );
  }
  // Without a socket: what the client itself costs per frame when frames are handed over 1 at a
  // time (a browser with `handover: 'task'`: every WebSocket message is a task), ~17 at a time (a
  // browser's default hand-over per display frame at 1,000 frames/s), or in bursts (Node's `ws`).
  const perTask: string[][] = [];
  const small = quick ? 5_000 : 30_000;
  for (const [batch, windowNote] of [
    [1, "browser, handover: 'task' (a task per message)"],
    [4, "browser, handover: 'task' + batchWindowMs 4 at 1 frame/ms"],
    [17, 'browser default (a hand-over per display frame at 1 frame/ms)'],
    [256, 'ws under load'],
  ] as const) {
    const worker = spawnWorker<Measured>('throughput/in-process.ts', [
      '1',
      String(small),
      String(batch),
    ]);
    const m = await worker.next((msg) => 'cpuMs' in msg, 120_000);
    await worker.stop();
    perTask.push([String(batch), windowNote, ((m.cpuMs * 1000) / small).toFixed(1)]);
  }
  const body = [
    `${frames} patch frames (host.cpu shape: add a sample, drop the oldest, ${seriesWindow(1000)}-sample window), median of ${repeats}; receiver CPU = user + system of the receiving process.`,
    '',
    table(
      [
        'subs',
        'receiver',
        'frames/s wall',
        'frames/CPU-s',
        'CPU µs/frame',
        'CPU µs/frame, each run',
        'vs raw (wall)',
        'vs raw (CPU)',
      ],
      rows,
    ),
    '',
    ...notes.map((n) => `- ${n}`),
    '',
    `The client alone (bench/throughput/in-process.ts: createTetherClient over a stand-in socket, ${small} frames, 1 subscription), by frames per task:`,
    '',
    table(['frames per task', 'like', 'CPU µs/frame'], perTask),
  ].join('\n');
  return { title: 'Client throughput', body };
};
