/**
 * Tabs and server connections: N tabs of one origin in one Chromium profile, with the client
 * shared through a SharedWorker, shared through the BroadcastChannel + leader fallback (the page
 * has no SharedWorker), and not shared. Reports the WebSocket connections the server holds once
 * every tab is live on the `ticks` topic, and how long that took. Then what one update of a
 * dashboard-sized topic costs on the worker→tab channel: the whole view, or its frames.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../tests/e2e/browser.ts';
import { buildTestPage, probe, startTicksServer } from '../tests/e2e/cross-tab-fixture.ts';
import type { Bench } from './lib/types.ts';

type Mode = 'SharedWorker' | 'leader tab (no SharedWorker)' | 'not shared';
const MODES: Mode[] = ['SharedWorker', 'leader tab (no SharedWorker)', 'not shared'];

async function waitLive(page: Page, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await probe(page)).ticks.status !== 'live') {
    if (Date.now() > until) throw new Error('a tab did not go live');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function measure(browser: Browser, dir: string, tabs: number, mode: Mode) {
  const server = await startTicksServer(dir, 100);
  const context = await browser.newContext();
  try {
    if (mode === 'leader tab (no SharedWorker)')
      await context.addInitScript(() => {
        delete (window as { SharedWorker?: unknown }).SharedWorker;
      });
    const query = mode === 'not shared' ? '?mode=local' : '';
    const started = Date.now();
    const pages: Page[] = [];
    for (let i = 0; i < tabs; i++) {
      const page = await context.newPage();
      await page.goto(`${server.httpUrl}/${query}`);
      pages.push(page);
    }
    for (const page of pages) await waitLive(page);
    const allLiveMs = Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 500)); // let stray connections show
    return { connections: server.server.clients().websocket, allLiveMs };
  } finally {
    await context.close();
    await server.close();
  }
}

/** A `host.cpu` document as the server keeps it (120 samples, 2 cores) and one update of it. */
function channelCost() {
  const sample = (i: number) => ({
    t: 1_795_458_358_741 + i * 1_000,
    total: 12.5 + (i % 7),
    perCore: [10.25 + (i % 3), 14.75 - (i % 5)],
  });
  const data = {
    cores: 2,
    model: 'AMD EPYC',
    intervalMs: 1_000,
    samples: Array.from({ length: 120 }, (_, i) => sample(i)),
  };
  const view = {
    topic: 'host.cpu',
    status: 'live',
    data,
    epoch: 'mwtljq3d-786aaa7212d4',
    seq: 1_234,
    updatedAt: 1_795_458_358_741,
    staleSince: null,
    error: null,
    statePath: 'live',
  };
  const whole = { type: 'topic', view, withData: true };
  const ops = [
    { op: 'add', path: '/samples/-', value: sample(120) },
    { op: 'remove', path: '/samples/0' },
  ];
  const frames = {
    type: 'frames',
    topic: 'host.cpu',
    frames: [{ type: 'patch', topic: 'host.cpu', epoch: view.epoch, seq: 1_235, ops }],
  };
  const cloneMicros = (message: unknown) => {
    for (let i = 0; i < 500; i++) structuredClone(message); // warm-up
    const started = performance.now();
    for (let i = 0; i < 5_000; i++) structuredClone(message);
    return ((performance.now() - started) / 5_000) * 1_000;
  };
  return [
    `| whole view | ${JSON.stringify(whole).length} | ${cloneMicros(whole).toFixed(1)} |`,
    `| frames (what is sent) | ${JSON.stringify(frames).length} | ${cloneMicros(frames).toFixed(1)} |`,
  ];
}

export const tabs: Bench = async ({ quick }) => {
  const counts = quick ? [1, 3] : [1, 3, 10];
  const [browser, built] = await Promise.all([launchChromium(), buildTestPage()]);
  const rows: string[] = [];
  try {
    for (const count of counts) {
      for (const mode of MODES) {
        const { connections, allLiveMs } = await measure(browser, built.dir, count, mode);
        rows.push(`| ${count} | ${mode} | ${connections} | ${allLiveMs} |`);
      }
    }
  } finally {
    await browser.close();
    await built.remove();
  }
  return {
    title: 'Tabs and server connections',
    body: [
      'N tabs of the test page (tests/e2e/cross-tab-page) in one Chromium profile, each holding `ticks`; the WebSocket connections the server holds once every tab is live.',
      '',
      '| tabs | client | server WebSocket connections | all tabs live after (ms, tabs opened one after another) |',
      '|---:|---|---:|---:|',
      ...rows,
      '',
      'One update of a 120-sample `host.cpu` document on the worker→tab channel, per tab (structured clone in Node, as `postMessage` does):',
      '',
      '| message | JSON bytes | structured clone µs |',
      '|---|---:|---:|',
      ...channelCost(),
    ].join('\n'),
  };
};
