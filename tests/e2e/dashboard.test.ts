import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// The dashboard as a person sees it: built by `npm test` (vite build), served by the real server
// CLI, driven in Debian's Chromium. Every check waits on what the page shows, bounded in time.

const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));
const availability = browserAvailability();
/** One secret for a server and its restarted self, so the page's login token stays valid across the restart. */
const TETHER_JWT_SECRET = 'e2e-dashboard-secret-0123456789abcdef';
const TOPICS = [
  'host.cpu',
  'host.memory',
  'host.load',
  'server.eventloop',
  'server.clients',
  'alerts.thresholds',
  'alerts.feed',
];

interface Held {
  epoch: string | null;
  seq: number | null;
  data: unknown;
}
interface PolledSnapshot {
  type: 'snapshot';
  topic: string;
  epoch: string;
  seq: number;
  data: unknown;
}

/**
 * What the page's subscriptions to `topics` hold, read through the `tether` debugging handle's
 * views (a second hold on a topic a widget holds shares its subscription, and is given back at once).
 */
function heldInPage(page: Page, topics: readonly string[]): Promise<Record<string, Held>> {
  return page.evaluate((names) => {
    type View = { epoch: string | null; seq: number | null; data: unknown };
    const { tether } = window as unknown as {
      tether: { subscribe(topic: string): { view: { get(): View }; release(): void } };
    };
    const held: Record<string, Held> = {};
    for (const topic of names) {
      const hold = tether.subscribe(topic);
      const { epoch, seq, data } = hold.view.get();
      hold.release();
      held[topic] = { epoch, seq, data };
    }
    return held;
  }, topics);
}

async function serverSnapshot(server: SpawnedServer, topic: string): Promise<PolledSnapshot> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=${encodeURIComponent(topic)}`, {
    headers: server.authHeaders,
  });
  const { frames } = (await response.json()) as { frames: PolledSnapshot[] };
  return frames[0]!;
}

/**
 * Every subscription in the page equals the server's own snapshot at the same epoch and seq.
 * Topics keep moving, so each is compared at a seq both sides have seen: poll until they meet.
 */
async function expectPageMatchesServer(
  page: Page,
  server: SpawnedServer,
  topics: readonly string[],
) {
  for (const topic of topics) {
    await expect
      .poll(
        async () => {
          const snapshot = await serverSnapshot(server, topic);
          const held = (await heldInPage(page, [topic]))[topic];
          if (!held || held.epoch !== snapshot.epoch || held.seq !== snapshot.seq)
            return `page at ${held?.epoch}:${held?.seq}, server at ${snapshot.epoch}:${snapshot.seq}`;
          return JSON.stringify(held.data) === JSON.stringify(snapshot.data)
            ? 'equal'
            : `data differs at seq ${snapshot.seq}`;
        },
        { timeout: 15_000, interval: 50 },
      )
      .toBe('equal');
  }
}

const badge = (page: Page) => page.locator('.badge');

describe.skipIf(!availability.available)('dashboard end to end in Chromium', () => {
  const chromium = chromiumSuite();
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
  });

  /** `shared: false` opens the page with `?share=off`: its own socket, which Playwright's offline emulation reaches (a SharedWorker's does not). */
  async function open(server: SpawnedServer, width = 1280, { shared = true } = {}) {
    context = await chromium.newContext({ viewport: { width, height: 900 } });
    page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    // Signs in: the token rides in the fragment.
    await page.goto(shared ? server.loginUrl! : server.loginUrl!.replace('/#', '/?share=off#'));
    return errors;
  }

  it('loads and shows live numbers measured on this host', async () => {
    const server = await spawnServer();
    const errors = await open(server);
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    // Every widget reaches live; the clients tile counts this very page.
    await expect
      .poll(
        () =>
          page
            .locator('[data-indicator]')
            .evaluateAll((els) => els.map((el) => el.getAttribute('data-indicator'))),
        { timeout: 10_000 },
      )
      .toSatisfy(
        (states: string[]) =>
          states.length >= 7 && states.every((s) => s === 'live' || s === 'updating'),
      );
    await expectPageMatchesServer(page, server, TOPICS);
    const load = await serverSnapshot(server, 'host.load');
    expect((load.data as { cores: number }).cores).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-widget="clients"]').textContent()).toMatch(/1/);
    await expect.poll(() => page.locator('[data-widget="cpu"] canvas').count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${artifacts}dashboard.png`, fullPage: true });
    expect(errors).toEqual([]);
  });

  it('works at 360 px wide without horizontal scrolling', async () => {
    const server = await spawnServer();
    await open(server, 360);
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${artifacts}dashboard-360.png`, fullPage: true });
  });

  it('shows reconnecting and stale widgets while the server is down, then converges on the restarted server', async () => {
    const first = await spawnServer({ TETHER_JWT_SECRET });
    await open(first);
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    // The badge is Live at the first pong; the widgets hold data a moment later.
    await expect
      .poll(() => page.locator('[data-indicator="live"], [data-indicator="updating"]').count(), {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(7);
    const before = (await heldInPage(page, ['host.load']))['host.load']!;

    first.kill('SIGKILL');
    await first.exited;
    await expect
      .poll(() => badge(page).textContent(), { timeout: 10_000 })
      .toMatch(/Reconnecting|Connecting/);
    await expect
      .poll(() => page.locator('[data-indicator="stale"]').count(), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: `${artifacts}dashboard-reconnecting.png`, fullPage: true });

    const second = await spawnServer({ TETHER_JWT_SECRET, PORT: String(first.port) });
    // Skips the backoff wait; the badge must reach Live either way.
    await page
      .getByRole('button', { name: 'Retry now' })
      .first()
      .click({ timeout: 5_000 })
      .catch(() => undefined);
    await expect.poll(() => badge(page).textContent(), { timeout: 20_000 }).toMatch(/^Live/);
    await expectPageMatchesServer(page, second, TOPICS);
    const after = (await heldInPage(page, ['host.load']))['host.load']!;
    expect(after.epoch).not.toBe(before.epoch);
  }, 60_000); // two server processes start in this test: seconds each on a loaded machine

  it('keeps data flowing over HTTP polling when WebSocket upgrades are refused', async () => {
    const server = await spawnServer({ TETHER_NO_WEBSOCKET: '1' });
    await open(server);
    await expect.poll(() => badge(page).textContent(), { timeout: 30_000 }).toMatch(/^Polling/);
    const first = (await heldInPage(page, ['host.cpu']))['host.cpu']!.seq!;
    await expect
      .poll(async () => (await heldInPage(page, ['host.cpu']))['host.cpu']!.seq!, {
        timeout: 10_000,
      })
      .toBeGreaterThan(first + 2);
    await expectPageMatchesServer(page, server, ['host.load', 'alerts.thresholds']);
    await page.screenshot({ path: `${artifacts}dashboard-polling.png`, fullPage: true });
  });

  // Its waits add up to 50 s, so a slow step fails with that wait's message, not the suite's 20-s timeout.
  it('applies a threshold edited offline exactly once after the network returns', async () => {
    const server = await spawnServer();
    await open(server, 1280, { shared: false });
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    const before = (await serverSnapshot(server, 'alerts.thresholds')).data as {
      version: number;
      cpuPercent: number;
    };
    const target = before.cpuPercent === 77 ? 78 : 77;

    await context.setOffline(true);
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Offline/);
    const field = page.locator('[data-widget="thresholds"]').getByLabel(/CPU/);
    await field.fill(String(target));
    await field.press('Enter');
    await expect
      .poll(() => page.locator('[data-widget="thresholds"]').textContent())
      .toMatch(/Queued/);
    expect(await field.inputValue()).toBe(String(target));

    await context.setOffline(false);
    await expect.poll(() => badge(page).textContent(), { timeout: 20_000 }).toMatch(/^Live/);
    await expect
      .poll(() => page.locator('[data-widget="thresholds"]').textContent(), { timeout: 10_000 })
      .toMatch(/Saved/);
    const after = (await serverSnapshot(server, 'alerts.thresholds')).data as {
      version: number;
      cpuPercent: number;
    };
    expect(after).toMatchObject({ version: before.version + 1, cpuPercent: target });
  }, 60_000);
});
