/**
 * 4. Patch encoding: bytes on the wire of each patch frame vs the snapshot frame a client would
 * otherwise get, for every default topic, from the real sources (server/sources) sampled directly
 * (no timer) on a server that never listens. Rounds past the series window (1 s sampling), so the series
 * topics are measured full, where every patch is an add + a remove.
 */
import { createTetherServer } from '../server/tether-server.ts';
import { defineAlertFeed } from '../server/sources/alerts-feed.ts';
import { defineAlertThresholds } from '../server/sources/alerts-thresholds.ts';
import { defineHostCpu } from '../server/sources/host-cpu.ts';
import { defineHostLoad } from '../server/sources/host-load.ts';
import { defineHostMemory } from '../server/sources/host-memory.ts';
import { defineServerClients } from '../server/sources/server-clients.ts';
import { defineServerEventLoop } from '../server/sources/server-eventloop.ts';
import { seriesWindow } from '../server/sources/series.ts';
import { summarize, table } from './lib/stats.ts';
import type { Bench } from './lib/types.ts';

/** The window the sources keep at the 1 s interval sampled here. */
const SERIES_WINDOW = seriesWindow(1000);

export const patchSize: Bench = async ({ quick }) => {
  const rounds = SERIES_WINDOW + (quick ? 30 : 200);
  const server = createTetherServer({ staticDir: false });
  const cpu = defineHostCpu(server, 1000);
  const memory = defineHostMemory(server, 1000);
  const load = defineHostLoad(server);
  const eventLoop = defineServerEventLoop(server);
  const clients = defineServerClients(server);
  const thresholds = defineAlertThresholds(server, {
    version: 1,
    cpuPercent: 90,
    memoryPercent: 90,
    load1: 4,
  });
  // Thresholds alternate, so the feed raises and resolves alerts instead of staying empty.
  const feed = defineAlertFeed(server, () => thresholds.state);

  const bytes = new Map<string, { patch: number[]; snapshot: number[] }>();
  let measuring = false;
  server.hub.onPublish((topic, patch) => {
    if (!measuring) return;
    const entry = bytes.get(topic.name) ?? { patch: [], snapshot: [] };
    bytes.set(topic.name, entry);
    entry.patch.push(Buffer.byteLength(patch.text));
    entry.snapshot.push(Buffer.byteLength(topic.snapshot().text));
  });
  const start = 1_700_000_000_000;
  for (let round = 0; round < rounds; round++) {
    measuring = round >= SERIES_WINDOW; // windows full
    const t = start + round * 1000;
    const readings = { cpu: cpu.sample(t), memory: memory.sample(t), load1: load.sample(t) };
    eventLoop.sample(t);
    clients.sample(t);
    feed.evaluate(t, { ...readings, cpu: round % 20 < 10 ? 95 : 5 });
  }
  eventLoop.stop();
  await server.close();

  const rows = [...bytes].map(([name, { patch, snapshot }]) => {
    const p = summarize(patch);
    const s = summarize(snapshot);
    return [
      name,
      String(p.n),
      p.mean.toFixed(0),
      String(p.max),
      s.mean.toFixed(0),
      `${((p.mean / s.mean) * 100).toFixed(1)}%`,
      `${(s.mean / p.mean).toFixed(1)}×`,
    ];
  });
  const totalPatch = [...bytes.values()].reduce(
    (sum, e) => sum + e.patch.reduce((a, b) => a + b, 0),
    0,
  );
  const totalSnap = [...bytes.values()].reduce(
    (sum, e) => sum + e.snapshot.reduce((a, b) => a + b, 0),
    0,
  );
  rows.push([
    'all topics',
    '',
    '',
    '',
    '',
    `${((totalPatch / totalSnap) * 100).toFixed(1)}%`,
    `${(totalSnap / totalPatch).toFixed(1)}×`,
  ]);
  const body = [
    `${rounds - SERIES_WINDOW} sample rounds after the ${SERIES_WINDOW}-sample windows filled (real sources, this host); bytes are UTF-8 frame texts as sent (no compression: the server disables permessage-deflate).`,
    '',
    table(
      [
        'topic',
        'patches',
        'patch bytes (mean)',
        'patch bytes (max)',
        'snapshot bytes (mean)',
        'patch / snapshot',
        'saved',
      ],
      rows,
    ),
  ].join('\n');
  return { title: 'Patch encoding', body };
};
