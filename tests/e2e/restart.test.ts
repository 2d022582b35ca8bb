import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer, tempDataDir } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// `npm start`'s data survives kill -9: the same tab signs in again by itself, and finds what was
// set and published, the chart history from before, and its subscriptions resumed with patches.

const availability = browserAvailability();
const examples = fileURLToPath(new URL('../../docs/examples/', import.meta.url));
const KEY = 'e2e-restart-publish-key-0123456789';

interface Frame {
  type: string;
  topic?: string;
  epoch?: string;
  seq?: number;
}

/** What the page's subscription to `topic` holds (the `tether` debugging handle). */
function held(
  page: Page,
  topic: string,
): Promise<{ epoch: string | null; seq: number | null; data: unknown }> {
  return page.evaluate((name) => {
    type View = { epoch: string | null; seq: number | null; data: unknown };
    const { tether } = window as unknown as {
      tether: { subscribe(topic: string): { view: { get(): View }; release(): void } };
    };
    const hold = tether.subscribe(name);
    const view = hold.view.get();
    hold.release();
    return view;
  }, topic);
}

async function publish(server: SpawnedServer, body: unknown): Promise<void> {
  const response = await fetch(`${server.httpUrl}/api/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function serverState(server: SpawnedServer, topic: string): Promise<unknown> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=${topic}`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  const { frames } = (await response.json()) as { frames: { data: unknown }[] };
  return frames[0]?.data;
}

describe.skipIf(!availability.available)('a restart with the embedded store in Chromium', () => {
  const chromium = chromiumSuite();

  it('keeps the sign-in, the threshold, a custom topic and the chart history, and resumes with patches', async () => {
    // The same command twice: no TETHER_JWT_SECRET, so the login secret comes from the data dir.
    const env = {
      TETHER_DATA_DIR: tempDataDir(),
      TETHER_TOPICS: `${examples}topics.json`,
      TETHER_PUBLISH_KEY: KEY,
      TETHER_SAMPLE_MS: '200',
    };
    const first = await spawnServer(env);
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    // The page's own socket (not a SharedWorker's), so its frames can be watched here.
    const sockets: Frame[][] = [];
    page.on('websocket', (socket) => {
      const frames: Frame[] = [];
      sockets.push(frames);
      socket.on('framereceived', ({ payload }) => {
        if (typeof payload === 'string') frames.push(JSON.parse(payload) as Frame);
      });
    });
    await page.goto(first.loginUrl!.replace('/#', '/?share=off#'));
    const badge = page.locator('.badge');
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toMatch(/^Live/);

    // A threshold set in the page, and a custom topic published over HTTP.
    const thresholds = page.locator('[data-widget="thresholds"]');
    const target = 73;
    await thresholds.getByLabel(/CPU/).fill(String(target));
    await thresholds.getByLabel(/CPU/).press('Enter');
    await expect.poll(() => thresholds.textContent(), { timeout: 10_000 }).toMatch(/Saved/);
    const deploy = { at: Date.now(), text: 'v42 rolled out before the crash' };
    await publish(first, {
      topic: 'deploys',
      ops: [{ op: 'add', path: '/items/-', value: deploy }],
    });

    // Some CPU history: a few seconds at 200 ms.
    await expect
      .poll(
        async () =>
          ((await held(page, 'host.cpu')).data as { samples: unknown[] } | null)?.samples.length ??
          0,
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThanOrEqual(15);
    const before = await held(page, 'host.cpu');
    const oldest = (before.data as { samples: { t: number }[] }).samples[0]!.t;

    first.kill('SIGKILL');
    await first.exited;
    const socketsBefore = sockets.length;
    const second = await spawnServer({ ...env, PORT: String(first.port) });
    // No click: the tab reconnects and signs in with the token it already has.
    await expect
      .poll(() => badge.textContent(), { timeout: 70_000, interval: 250 })
      .toMatch(/^Live/);

    expect(await thresholds.getByLabel(/CPU/).inputValue()).toBe(String(target));
    expect((await held(page, 'alerts.thresholds')).data).toMatchObject({ cpuPercent: target });
    expect(await serverState(second, 'deploys')).toEqual({ items: [deploy] });
    const after = await held(page, 'host.cpu');
    expect(after.epoch).toBe(before.epoch);
    expect((after.data as { samples: { t: number }[] }).samples.map((s) => s.t)).toContain(oldest);
    // The chart draws them: its time axis starts at (or before) the oldest sample from before.
    const chart = page.locator('[data-widget="cpu"] [role="figure"]');
    await expect
      .poll(async () => Number(await chart.getAttribute('data-x-min')) * 1000, { timeout: 5_000 })
      .toBeLessThanOrEqual(oldest);

    // What the new connection received: patches after the seq each topic held, no snapshot.
    const resumed = sockets.slice(socketsBefore).flat();
    expect(resumed.some((frame) => frame.type === 'welcome')).toBe(true);
    expect(resumed.filter((frame) => frame.type === 'snapshot')).toEqual([]);
    const cpuPatches = resumed.filter(
      (frame) => frame.type === 'patch' && frame.topic === 'host.cpu',
    );
    expect(cpuPatches.length).toBeGreaterThan(0);
    expect(cpuPatches[0]).toMatchObject({ epoch: before.epoch });
    expect(cpuPatches[0]!.seq).toBeGreaterThan(before.seq!);
  }, 150_000);
});
