import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killSpawnedServers, spawnServer } from '../fixtures/real-server.ts';
import { browserAvailability, launchChromium } from './browser.ts';
import {
  buildTestPage,
  freeze,
  inSharedWorker,
  isGapless,
  probe,
  startTicksServer,
} from './cross-tab-fixture.ts';
import type { TicksServer } from './cross-tab-fixture.ts';

// Cross-tab sharing in real Chromium: the test page built by Vite, its SharedWorker emitted and
// served by the real server (with its CSP), pages of one browser context as a user's tabs.

const availability = browserAvailability();

describe.skipIf(!availability.available)('one connection for every tab (Chromium)', () => {
  let browser: Browser;
  let built: Awaited<ReturnType<typeof buildTestPage>>;
  let server: TicksServer | undefined;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    [browser, built] = await Promise.all([launchChromium(), buildTestPage()]);
  });
  afterAll(async () => {
    await browser?.close();
    await built?.remove();
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    await server?.close();
    server = undefined;
  });

  async function openTabs(
    count: number,
    query = '',
    { withoutSharedWorker = false } = {},
  ): Promise<Page[]> {
    server ??= await startTicksServer(built.dir);
    if (!context) {
      context = await browser.newContext();
      // As in browsers without SharedWorker (Chrome on Android): the BroadcastChannel + leader fallback.
      if (withoutSharedWorker)
        await context.addInitScript(() => {
          delete (window as { SharedWorker?: unknown }).SharedWorker;
        });
    }
    const pages: Page[] = [];
    for (let i = 0; i < count; i++) {
      const page = await context.newPage();
      page.on('pageerror', (error) => console.error(`tab ${i}: ${error.message}`));
      await page.goto(`${server.httpUrl}/${query}`);
      pages.push(page);
    }
    for (const page of pages)
      await expect
        .poll(async () => (await probe(page)).ticks.status, { timeout: 15_000 })
        .toBe('live');
    return pages;
  }

  /** Samples the server's WebSocket count every 10 ms until stopped: what it was throughout. */
  function watchConnections(): () => { min: number; max: number } {
    const seen = { min: Infinity, max: -Infinity };
    const sample = () => {
      const { websocket } = server!.server.clients();
      seen.min = Math.min(seen.min, websocket);
      seen.max = Math.max(seen.max, websocket);
    };
    sample();
    const timer = setInterval(sample, 10);
    return () => {
      clearInterval(timer);
      sample();
      return seen;
    };
  }

  it('three tabs open one WebSocket on the server; without sharing they open three', async () => {
    const shared = await openTabs(3);
    expect(server!.server.clients().websocket).toBe(1);
    for (const page of shared)
      expect((await probe(page)).connection.at(-1)).toMatchObject({ status: 'connected' });
    await context!.close();
    context = undefined;
    await expect.poll(() => server!.server.clients().websocket, { timeout: 10_000 }).toBe(0);

    await openTabs(3, '?mode=local');
    expect(server!.server.clients().websocket).toBe(3);
  });

  it('closing the tab that started the shared connection leaves the others updating, with no gap and no reconnect', async () => {
    const [first, ...others] = await openTabs(3);
    const connections = watchConnections();
    await first!.close();
    const target = server!.published() + 20; // another second of updates after the close
    for (const page of others) {
      await expect
        .poll(async () => (await probe(page)).ticks.data?.values.length ?? 0, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(target);
    }
    expect(connections()).toEqual({ min: 1, max: 1 });
    for (const page of others) {
      const seen = await probe(page);
      expect(isGapless(seen.ticks.data?.values)).toBe(true);
      expect(seen.tickStatuses.slice(seen.tickStatuses.indexOf('live'))).toEqual(['live']);
      expect(
        seen.connection.filter(
          (view) =>
            view.status !== 'connected' && view.status !== 'connecting' && view.status !== 'idle',
        ),
      ).toEqual([]);
    }
  });

  it('the worker counts topics per tab: a tab that closes releases what only it held, and keeps what others hold', async () => {
    server ??= await startTicksServer(built.dir);
    server.server.defineTopic('extra', { initial: { n: 0 } });
    const [leaving, staying] = await openTabs(2);
    await leaving!.evaluate(() =>
      (
        window as unknown as { probe: { client: { subscribe(topic: string): unknown } } }
      ).probe.client.subscribe('extra'),
    );
    const hub = () =>
      inSharedWorker<{ tabs: number; topics: string[] }>(
        browser,
        '({ tabs: tetherHub.tabCount, topics: tetherHub.topics })',
      );
    await expect.poll(hub, { timeout: 5_000 }).toEqual({ tabs: 2, topics: ['ticks', 'extra'] });
    await leaving!.close();
    await expect.poll(hub, { timeout: 5_000 }).toEqual({ tabs: 1, topics: ['ticks'] });
    expect((await probe(staying!)).ticks.status).toBe('live');
  });

  it('a hidden, frozen tab does not disturb the shared connection and catches up, gapless, when it comes back', async () => {
    const [hidden, other] = await openTabs(2);
    const connections = watchConnections();
    await hidden!.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => 'hidden',
      });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const frozenAt = server!.published();
    await freeze(context!, hidden!, 4_000);
    expect((await probe(other!)).ticks.data?.values.length ?? 0).toBeGreaterThan(frozenAt + 40); // the other tab went on meanwhile
    await hidden!.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => 'visible',
      });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const target = server!.published();
    await expect
      .poll(async () => (await probe(hidden!)).ticks.data?.values.length ?? 0, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(target);
    expect(isGapless((await probe(hidden!)).ticks.data?.values)).toBe(true);
    expect(connections()).toEqual({ min: 1, max: 1 });
    expect(
      (await probe(hidden!)).connection.filter((view) => view.status === 'reconnecting'),
    ).toEqual([]);
  });

  it('offline emulation does not reach the SharedWorker: the shared link stays up, and the tabs ask for a check when back online', async () => {
    const pages = await openTabs(2);
    const connections = watchConnections();
    await context!.setOffline(true);
    const before = server!.published();
    await expect
      .poll(async () => (await probe(pages[0]!)).ticks.data?.values.length ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(before + 10);
    await context!.setOffline(false);
    // The tab's `online` makes the worker ping at once (liveness.checking), answered at once.
    await expect
      .poll(
        async () =>
          (await probe(pages[0]!)).connection.some((view) =>
            view.statePath.includes('liveness.checking'),
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    await expect
      .poll(async () => (await probe(pages[0]!)).connection.at(-1)?.statePath, { timeout: 10_000 })
      .toContain('liveness.watching');
    expect(connections()).toEqual({ min: 1, max: 1 });
  });

  it('without SharedWorker, the tabs elect a leader that holds the one connection; when it closes another takes over and the data stays whole', async () => {
    const [leader, ...others] = await openTabs(3, '', { withoutSharedWorker: true });
    expect(
      await leader!.evaluate(() => typeof (window as { SharedWorker?: unknown }).SharedWorker),
    ).toBe('undefined');
    expect(server!.server.clients().websocket).toBe(1);
    await leader!.close();
    const closedAt = Date.now();
    const target = server!.published() + 20;
    for (const page of others) {
      await expect
        .poll(async () => (await probe(page)).ticks.data?.values.length ?? 0, { timeout: 15_000 })
        .toBeGreaterThanOrEqual(target);
    }
    console.log(
      `leader handover: updates flowing again in every tab ${Date.now() - closedAt} ms after the leader closed`,
    );
    await expect.poll(() => server!.server.clients().websocket, { timeout: 10_000 }).toBe(1);
    for (const page of others) {
      const seen = await probe(page);
      expect(seen.ticks.status).toBe('live');
      expect(isGapless(seen.ticks.data?.values)).toBe(true);
    }
  });

  it("the built dashboard (npm run build, served by the CLI) shares one connection; a tab opened without the login link uses the signed-in tab's credential", async () => {
    // The CLI serves dist/ as it is: without a build every page would wait for a badge that never comes.
    if (!existsSync(new URL('../../dist/index.html', import.meta.url)))
      throw new Error(
        'dist/ holds no built dashboard: run `npx vite build` first (`npm test` does)',
      );
    const cli = await spawnServer(); // auth on, host metrics, dist/ with its CSP
    try {
      context = await browser.newContext();
      const problems: string[] = [];
      const signedIn = await context.newPage();
      const plain = await context.newPage();
      for (const page of [signedIn, plain]) {
        page.on('pageerror', (error) => problems.push(error.message));
        page.on(
          'console',
          (message) => message.type() === 'error' && problems.push(message.text()),
        );
      }
      await signedIn.goto(cli.loginUrl!);
      await plain.goto(cli.httpUrl); // no token in this tab's storage
      for (const page of [signedIn, plain])
        await expect
          .poll(() => page.locator('.badge').textContent(), { timeout: 15_000 })
          .toMatch(/^Live/);
      const clients = async () => {
        const response = await fetch(`${cli.httpUrl}/api/poll?topic=server.clients`, {
          headers: cli.authHeaders,
        });
        return ((await response.json()) as { frames: { data: { websocket: number } }[] }).frames[0]!
          .data.websocket;
      };
      await expect.poll(clients, { timeout: 10_000 }).toBe(1);
      expect(await plain.evaluate(() => sessionStorage.getItem('tether.token'))).toBeNull();
      expect(problems).toEqual([]);
    } finally {
      await killSpawnedServers();
    }
  });

  it('when the shared worker cannot start (its script is gone after a deploy), each tab connects by itself and shows the data', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'tether-no-worker-'));
    try {
      await cp(built.dir, broken, {
        recursive: true,
        filter: (source) => !/[\\/]worker-[^\\/]*\.js$/.test(source),
      });
      server = await startTicksServer(broken);
      const pages = await openTabs(2);
      for (const page of pages)
        expect(isGapless((await probe(page)).ticks.data?.values)).toBe(true);
      expect(server.server.clients().websocket).toBe(2);
    } finally {
      await context?.close();
      context = undefined;
      await rm(broken, { recursive: true, force: true });
    }
  });

  it('closes the shared connection once every tab is gone', async () => {
    await openTabs(3);
    expect(server!.server.clients().websocket).toBe(1);
    for (const page of context!.pages()) await page.close();
    await expect.poll(() => server!.server.clients().websocket, { timeout: 10_000 }).toBe(0);
  });
});
