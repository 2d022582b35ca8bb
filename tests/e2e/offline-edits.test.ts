import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// Threshold edits made offline, in the built dashboard served by the real server CLI, in
// Chromium: merged per field with what others changed meanwhile, and kept across a reload
// (IndexedDB) until the link is back. `?share=off` gives the page its own socket, which
// Playwright's offline emulation reaches (a SharedWorker's it does not).

const availability = browserAvailability();

interface Thresholds {
  version: number;
  cpuPercent: number;
  memoryPercent: number;
  load1: number;
}
interface Snapshot {
  epoch: string;
  seq: number;
  data: Thresholds;
}

async function thresholds(server: SpawnedServer): Promise<Snapshot> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=alerts.thresholds`, {
    headers: server.authHeaders,
  });
  const { frames } = (await response.json()) as { frames: Snapshot[] };
  return frames[0]!;
}

/** Another user sets memoryPercent, merged per field like the dashboard's own edits. */
async function otherUserSetsMemory(server: SpawnedServer, value: number): Promise<unknown> {
  const { epoch, seq } = await thresholds(server);
  const response = await fetch(`${server.httpUrl}/api/actions`, {
    method: 'POST',
    headers: { ...server.authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'action',
      id: `other-user-${Date.now()}`,
      topic: 'alerts.thresholds',
      payload: { set: { memoryPercent: value } },
      base: { epoch, seq },
      fields: ['/memoryPercent'],
    }),
  });
  return response.json();
}

describe.skipIf(!availability.available)('offline threshold edits in Chromium', () => {
  const chromium = chromiumSuite();
  let context: BrowserContext;
  let page: Page;

  const badge = () => page.locator('.badge').textContent({ timeout: 2_000 });
  const widget = () => page.locator('[data-widget="thresholds"]');
  const saveState = () => widget().locator('.save-state').textContent({ timeout: 2_000 });
  /** How many actions the page's durable outbox (IndexedDB) holds. */
  const storedInPage = () =>
    page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('tether-outbox');
          open.onerror = () => reject(new Error(String(open.error)));
          open.onsuccess = () => {
            const count = open.result.transaction('actions').objectStore('actions').count();
            count.onsuccess = () => resolve(count.result);
            count.onerror = () => reject(new Error(String(count.error)));
          };
        }),
    );
  /** The page's pending actions, read through its `tether` debugging handle. */
  const queuedInPage = () =>
    page.evaluate(() => {
      type Pending = { state: string; payload: { set?: unknown } };
      const { tether } = window as unknown as {
        tether?: { outbox: { get(): { pending: Pending[] } } };
      };
      return tether?.outbox.get().pending.map((a) => ({ state: a.state, set: a.payload.set }));
    });

  async function openOwnSocket(server: SpawnedServer) {
    context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.goto(server.loginUrl!.replace('/#', '/?share=off#'));
    await expect.poll(badge, { timeout: 10_000 }).toMatch(/^Live/);
    // Live comes with the first pong, which can beat the thresholds' snapshot: wait for the form.
    await widget().getByLabel(/Load/).waitFor({ timeout: 10_000 });
  }

  /**
   * The browser cannot load the page while offline (there is no service worker), so the test
   * hands it the dashboard's files itself; the page's socket and API calls stay cut.
   */
  async function servePageWhileOffline(server: SpawnedServer) {
    await page.route('**/*', async (route) => {
      const url = new URL(route.request().url());
      if (url.pathname.startsWith('/api/') || url.pathname === '/ws') return route.abort();
      const response = await fetch(`${server.httpUrl}${url.pathname}`);
      await route.fulfill({
        status: response.status,
        headers: Object.fromEntries(response.headers),
        body: Buffer.from(await response.arrayBuffer()),
      });
    });
  }

  async function editLoadOffline(value: number) {
    await context.setOffline(true);
    await expect.poll(badge, { timeout: 10_000 }).toMatch(/^Offline/);
    const field = widget().getByLabel(/Load/);
    await field.fill(String(value));
    await field.press('Enter');
    await expect.poll(saveState).toMatch(/Queued/);
  }

  it('an offline edit of Load is applied after reconnecting, though another user changed Memory meanwhile', async () => {
    const server = await spawnServer();
    await openOwnSocket(server);
    const before = (await thresholds(server)).data;
    const load = before.load1 === 5 ? 6 : 5;
    const memory = before.memoryPercent === 88 ? 87 : 88;

    await editLoadOffline(load);
    expect(await otherUserSetsMemory(server, memory)).toMatchObject({ type: 'ack' });

    await context.setOffline(false);
    await expect.poll(badge, { timeout: 20_000 }).toMatch(/^Live/);
    await expect.poll(saveState, { timeout: 10_000 }).toMatch(/Saved/);
    expect((await thresholds(server)).data).toEqual({
      ...before,
      version: before.version + 2,
      load1: load,
      memoryPercent: memory,
    });
    await expect.poll(() => widget().getByLabel(/Load/).inputValue()).toBe(String(load));
    await expect
      .poll(() =>
        widget()
          .getByLabel(/Memory/)
          .inputValue(),
      )
      .toBe(String(memory));
  });

  it('an offline edit survives a reload while still offline, and is applied once when the link is back', async () => {
    const server = await spawnServer();
    await openOwnSocket(server);
    const before = (await thresholds(server)).data;
    const load = before.load1 === 5 ? 6 : 5;
    await editLoadOffline(load);
    await expect.poll(storedInPage).toBe(1);

    await servePageWhileOffline(server);
    await page.reload();
    // The new page holds the edit again, queued, before it has any link.
    await expect
      .poll(() => queuedInPage(), { timeout: 10_000 })
      .toEqual([{ state: 'queued', set: { load1: load } }]);
    await expect.poll(badge, { timeout: 10_000 }).toMatch(/^Offline/);
    expect((await thresholds(server)).data).toEqual(before);

    await page.unroute('**/*');
    await context.setOffline(false);
    // Over WebSocket, or over HTTP polling if the page fell back to it while the socket failed.
    await expect.poll(badge, { timeout: 20_000 }).toMatch(/^(Live|Polling)/);
    await expect
      .poll(async () => (await thresholds(server)).data, { timeout: 10_000 })
      .toEqual({ ...before, version: before.version + 1, load1: load });
    // Once: the page kept nothing more to send, for itself or for a tab opened later.
    await expect.poll(storedInPage, { timeout: 10_000 }).toBe(0);
    expect((await thresholds(server)).data).toEqual({
      ...before,
      version: before.version + 1,
      load1: load,
    });
  }, 60_000);
});
