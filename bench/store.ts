/**
 * The embedded store (server/broker/sqlite-broker.ts): what storing a publish costs, against the
 * in-memory broker in the same run, and how big the data directory is after an hour of sampling
 * the host metrics at the default 1 s (the real sources, sampled directly with simulated time).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PatchOperation } from '../src/protocol/index.ts';
import type { Broker } from '../server/broker/broker.ts';
import { MemoryBroker } from '../server/broker/memory-broker.ts';
import { SqliteBroker } from '../server/broker/sqlite-broker.ts';
import { Hub } from '../server/hub.ts';
import { defineAlertFeed } from '../server/sources/alerts-feed.ts';
import { defineAlertThresholds } from '../server/sources/alerts-thresholds.ts';
import { defineHostCpu } from '../server/sources/host-cpu.ts';
import { defineHostLoad } from '../server/sources/host-load.ts';
import { defineHostMemory } from '../server/sources/host-memory.ts';
import { defineServerClients } from '../server/sources/server-clients.ts';
import { defineServerEventLoop } from '../server/sources/server-eventloop.ts';
import { seriesWindow } from '../server/sources/series.ts';
import { createTetherServer } from '../server/tether-server.ts';
import { cpuMs } from './lib/proc.ts';
import { cpuSample } from './lib/shapes.ts';
import { table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';

const WINDOW = seriesWindow(1000);

/** Publishes `count` host.cpu-shaped samples (add + remove once full) and returns µs per publish. */
function publishCost(broker: Broker, count: number): { cpuUs: number; wallUs: number } {
  const hub = new Hub({ broker });
  const topic = hub.defineTopic<{ samples: unknown[] }>('bench.cpu', { initial: { samples: [] } });
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const ops: PatchOperation[] = [{ op: 'add', path: '/samples/-', value: cpuSample(i) }];
    if (topic.state.samples.length >= WINDOW) ops.push({ op: 'remove', path: '/samples/0' });
    topic.publish(ops);
  }
  return {
    cpuUs: (cpuMs(cpu) * 1000) / count,
    wallUs: ((performance.now() - started) * 1000) / count,
  };
}

function dirBytes(dir: string): number {
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
}

/** An hour of the default sources at 1 s into a fresh data directory; its size after a clean stop. */
async function hourOfSampling(
  rounds: number,
): Promise<{ publishes: number; bytes: number; walBytes: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-store-'));
  try {
    const server = createTetherServer({ staticDir: false, dataDir });
    const cpu = defineHostCpu(server, 1000);
    const memory = defineHostMemory(server, 1000);
    const load = defineHostLoad(server);
    const eventLoop = defineServerEventLoop(server);
    const clients = defineServerClients(server);
    const thresholds = defineAlertThresholds(server);
    const feed = defineAlertFeed(server, () => thresholds.state);
    let publishes = 0;
    server.hub.onPublish(() => publishes++);
    const start = Date.now();
    for (let round = 0; round < rounds; round++) {
      const t = start + round * 1000;
      const readings = { cpu: cpu.sample(t), memory: memory.sample(t), load1: load.sample(t) };
      eventLoop.sample(t);
      clients.sample(t);
      feed.evaluate(t, readings);
    }
    eventLoop.stop();
    const walBytes = dirBytes(dataDir);
    await server.close();
    return { publishes, bytes: dirBytes(dataDir), walBytes };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const store: Bench = async ({ quick }) => {
  const count = quick ? 3000 : 30_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'tether-bench-store-'));
  const memory: { cpuUs: number; wallUs: number }[] = [];
  const sqlite: { cpuUs: number; wallUs: number }[] = [];
  try {
    // Alternated, so both see the same machine load; the first round of each warms up.
    for (let round = 0; round < 3; round++) {
      memory.push(publishCost(new MemoryBroker(), count));
      const broker = new SqliteBroker({ dataDir: join(dataDir, String(round)) });
      sqlite.push(publishCost(broker, count));
      await broker.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const best = (list: { cpuUs: number; wallUs: number }[]) => ({
    cpuUs: Math.min(...list.slice(1).map((r) => r.cpuUs)),
    wallUs: Math.min(...list.slice(1).map((r) => r.wallUs)),
  });
  const m = best(memory);
  const s = best(sqlite);
  const rounds = quick ? 600 : 3600;
  const hour = await hourOfSampling(rounds);
  const scale = 3600 / rounds;
  const mb = (bytes: number) => `${((bytes * scale) / 1e6).toFixed(2)} MB`;
  const body = [
    `Publish cost: ${count} host.cpu-shaped publishes (add a sample, drop the oldest once ${WINDOW} are kept) to one topic, best of 2 rounds after a warm-up, both brokers alternated in this run.`,
    '',
    table(
      ['broker', 'CPU µs / publish', 'wall µs / publish'],
      [
        ['memory', m.cpuUs.toFixed(1), m.wallUs.toFixed(1)],
        ['sqlite (WAL, synchronous=NORMAL)', s.cpuUs.toFixed(1), s.wallUs.toFixed(1)],
        ['sqlite − memory', (s.cpuUs - m.cpuUs).toFixed(1), (s.wallUs - m.wallUs).toFixed(1)],
      ],
    ),
    '',
    `Data directory after ${rounds === 3600 ? 'an hour' : `${rounds} s (scaled ×${scale} to an hour)`} of the default sources at 1 s (${hour.publishes} publishes${rounds === 3600 ? '' : ' measured'}): ${mb(hour.walBytes)} while running (database + WAL), ${mb(hour.bytes)} after a clean stop. The series windows (${WINDOW} samples) and patch histories are bounded, so it stays near this size.`,
  ].join('\n');
  return { title: 'Embedded store: write cost and data size', body };
};
