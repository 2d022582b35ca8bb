import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startProxy } from '../faults/tcp-proxy.ts';
import type { TcpProxy } from '../faults/tcp-proxy.ts';
import { browserAvailability, launchChromium } from './browser.ts';
import { buildTestPage, freeze, isGapless, probe, startTicksServer } from './cross-tab-fixture.ts';
import type { ProbeState, TicksServer } from './cross-tab-fixture.ts';

// The client in the real browser world, in Chromium: a hidden and frozen tab (timers stopped, then
// all late), the network going away and back, a link that died silently (a TCP proxy black-holes
// it, as a NAT forgets a sleeping laptop), and unload.

const availability = browserAvailability();

async function setVisible(page: Page, visible: boolean): Promise<void> {
  await page.evaluate(
    (state) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
      document.dispatchEvent(new Event('visibilitychange'));
    },
    visible ? 'visible' : 'hidden',
  );
}

describe.skipIf(!availability.available)('the client through the page lifecycle (Chromium)', () => {
  let browser: Browser;
  let built: Awaited<ReturnType<typeof buildTestPage>>;
  let server: TicksServer | undefined;
  let proxy: TcpProxy | undefined;
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
    await proxy?.close();
    proxy = undefined;
    await server?.close();
    server = undefined;
  });

  /** One tab on the test page (through the proxy when asked), live on `ticks`. */
  async function openTab(query: string, { throughProxy = false } = {}): Promise<Page> {
    server = await startTicksServer(built.dir);
    if (throughProxy) proxy = await startProxy(server.port);
    context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`page: ${error.message}`));
    await page.goto(`${proxy?.httpUrl ?? server.httpUrl}/?${query}`);
    await expect
      .poll(async () => (await probe(page)).ticks.status, { timeout: 15_000 })
      .toBe('live');
    return page;
  }

  it('does not reconnect a healthy but quiet link after the tab was hidden and frozen for twice the heartbeat timeout: it asks first', async () => {
    const page = await openTab(
      'mode=local&heartbeatMs=1000&heartbeatTimeoutMs=4000&checkTimeoutMs=1000',
      { throughProxy: true },
    );
    server!.pause(); // a quiet topic: only the pings keep the link heard, and a frozen tab sends none
    await setVisible(page, false); // hidden: no visibility or wake check helps
    // On resume the late heartbeat ping goes out before the late silence timer runs; on a busy
    // machine its pong could reach the tab first and prove the link without the check this test
    // is about. So the link holds what it carries until the tab has asked.
    proxy!.blackhole(true);
    const frozeAt = Date.now();
    await freeze(context!, page, 8_000); // every timer of the tab is due, and late, when it ends
    const since = async () => (await probe(page)).connection.filter((view) => view.at >= frozeAt);
    const asked = (views: ProbeState['connection']) =>
      views.findIndex((view) => view.statePath.includes('liveness.checking'));
    await expect
      .poll(async () => asked(await since()), { timeout: 5_000, interval: 20 })
      .toBeGreaterThanOrEqual(0); // it asked…
    proxy!.blackhole(false);
    const answered = async () => {
      const views = await since();
      return views.slice(asked(views)).some((view) => view.statePath.includes('liveness.watching'));
    };
    await expect.poll(answered, { timeout: 5_000 }).toBe(true); // …and the link answered
    const seen = await since();
    expect(seen.filter((view) => view.status !== 'connected')).toEqual([]);
    expect(server!.server.clients().websocket).toBe(1);
  });

  it('goes offline with the network and is back, resumed without a gap, promptly after it returns', async () => {
    const page = await openTab('mode=local');
    await context!.setOffline(true);
    await expect
      .poll(async () => (await probe(page)).connection.at(-1)?.status, { timeout: 10_000 })
      .toBe('offline');
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // updates are missed meanwhile
    await context!.setOffline(false);
    const back = Date.now();
    await expect
      .poll(async () => (await probe(page)).connection.at(-1)?.status, { timeout: 10_000 })
      .toBe('connected');
    expect(Date.now() - back).toBeLessThan(5_000);
    const target = server!.published();
    await expect
      .poll(async () => (await probe(page)).ticks.data?.values.length ?? 0, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(target);
    expect(isGapless((await probe(page)).ticks.data?.values)).toBe(true);
  });

  it.each(['local', 'shared'])(
    'notices a silently dead link within the check timeout when the tab becomes visible, and resumes (%s)',
    async (mode) => {
      // A heartbeat far longer than the test: only the check on becoming visible can find the dead link.
      const page = await openTab(
        `mode=${mode}&heartbeatMs=30000&heartbeatTimeoutMs=60000&checkTimeoutMs=1000`,
        { throughProxy: true },
      );
      await setVisible(page, false);
      proxy!.blackhole(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const shown = Date.now();
      await setVisible(page, true);
      // The backoff is short: the reconnecting view may already be history when the test looks.
      const lost = async () =>
        (await probe(page)).connection.find(
          (view) => view.at >= shown && view.status === 'reconnecting',
        );
      await expect.poll(lost, { timeout: 10_000 }).toBeDefined();
      expect((await lost())!.at - shown).toBeLessThan(5_000); // the check (1 s), far inside the 60 s heartbeat timeout
      expect(
        (await probe(page)).connection.some((view) => view.statePath.includes('liveness.checking')),
      ).toBe(true);
      proxy!.blackhole(false);
      proxy!.drop(); // the stranded socket goes; the reconnect gets a fresh one
      await expect
        .poll(async () => (await probe(page)).connection.at(-1)?.status, { timeout: 10_000 })
        .toBe('connected');
      const target = server!.published();
      await expect
        .poll(async () => (await probe(page)).ticks.data?.values.length ?? 0, { timeout: 10_000 })
        .toBeGreaterThanOrEqual(target);
      expect(isGapless((await probe(page)).ticks.data?.values)).toBe(true);
    },
  );

  it('after a sleep (the page frozen 12 s while its link died silently), pings on wake and finds the dead link within the check timeout', async () => {
    const page = await openTab(
      'mode=local&heartbeatMs=30000&heartbeatTimeoutMs=60000&checkTimeoutMs=1000',
      { throughProxy: true },
    );
    proxy!.blackhole(true); // the network forgets the connection while the machine sleeps
    await freeze(context!, page, 12_000); // longer than the wake detector notices for sure (10 s)
    const woke = Date.now();
    const lost = async () =>
      (await probe(page)).connection.find(
        (view) => view.at >= woke && view.status === 'reconnecting',
      );
    await expect.poll(lost, { timeout: 10_000 }).toBeDefined();
    expect((await lost())!.at - woke).toBeLessThan(6_000); // wake tick (≤ 5 s) + the 1 s check; the heartbeat timeout is 60 s
    proxy!.blackhole(false);
    proxy!.drop();
    await expect
      .poll(async () => (await probe(page)).connection.at(-1)?.status, { timeout: 10_000 })
      .toBe('connected');
    const target = server!.published();
    await expect
      .poll(async () => (await probe(page)).ticks.data?.values.length ?? 0, { timeout: 10_000 })
      .toBeGreaterThanOrEqual(target);
    expect(isGapless((await probe(page)).ticks.data?.values)).toBe(true);
  }, 40_000);

  it('closes the link on unload and does not come back', async () => {
    const page = await openTab('mode=local');
    expect(server!.server.clients().websocket).toBe(1);
    await page.goto('about:blank');
    await expect.poll(() => server!.server.clients().websocket, { timeout: 5_000 }).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(server!.server.clients().websocket).toBe(0);
  });
});
