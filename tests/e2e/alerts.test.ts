import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import type { SpawnedServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// Thresholds, drafts, alerts, toasts and notifications as a person meets them: the built
// dashboard served by the real CLI in Chromium. host.cpu is driven by a test-only preload
// (tests/fixtures/fake-cpu.mjs) so a metric can flap or stay high on cue.

const availability = browserAvailability();
const artifacts = fileURLToPath(new URL('./artifacts/', import.meta.url));
const fakeCpu = pathToFileURL(fileURLToPath(new URL('../fixtures/fake-cpu.mjs', import.meta.url)));

/** A server whose host.cpu reads `percents` in turn, one per sample (every 250 ms). */
function serverWithCpu(percents: number[]): Promise<SpawnedServer> {
  return spawnServer({
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${fakeCpu.href}`.trim(),
    TETHER_TEST_CPU_PERCENTS: percents.join(','),
  });
}

interface Snapshot<T> {
  epoch: string;
  seq: number;
  data: T;
}
async function snapshot<T>(server: SpawnedServer, topic: string): Promise<Snapshot<T>> {
  const response = await fetch(`${server.httpUrl}/api/poll?topic=${encodeURIComponent(topic)}`, {
    headers: server.authHeaders,
  });
  const { frames } = (await response.json()) as { frames: Snapshot<T>[] };
  return frames[0]!;
}

type Thresholds = Record<string, number>;
interface FeedItem {
  metric: string;
  level: string;
  message: string;
}
const cpuItems = async (server: SpawnedServer) =>
  (await snapshot<{ items: FeedItem[] }>(server, 'alerts.feed')).data.items.filter(
    (item) => item.metric === 'cpu',
  );
const cpuSamples = async (server: SpawnedServer) =>
  (await snapshot<{ samples: unknown[] }>(server, 'host.cpu')).seq;

/** Another user's edit, as the dashboard sends it: merged per field against the current position. */
async function setThresholds(server: SpawnedServer, set: Thresholds): Promise<void> {
  const { epoch, seq } = await snapshot(server, 'alerts.thresholds');
  const id = randomUUID();
  const response = await fetch(`${server.httpUrl}/api/actions`, {
    method: 'POST',
    headers: { ...server.authHeaders, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'action',
      id,
      topic: 'alerts.thresholds',
      payload: { set },
      base: { epoch, seq },
      fields: Object.keys(set).map((key) => `/${key}`),
    }),
  });
  expect(await response.json()).toEqual({ type: 'ack', id });
}

/** Waits until host.cpu has published `count` more samples, so alerts had that many chances. */
async function waitSamples(server: SpawnedServer, count: number): Promise<void> {
  const start = await cpuSamples(server);
  await expect
    .poll(() => cpuSamples(server), { timeout: 20_000, interval: 100 })
    .toBeGreaterThanOrEqual(start + count);
}

const thresholdField = (page: Page, label: RegExp) =>
  page.locator('[data-widget="thresholds"]').getByLabel(label);

/** `shared: false` opens the page with `?share=off`: its own socket, which Playwright's offline emulation reaches. */
async function openLive(
  context: BrowserContext,
  server: SpawnedServer,
  { shared = true } = {},
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(shared ? server.loginUrl! : server.loginUrl!.replace('/#', '/?share=off#'));
  await expect
    .poll(() => page.locator('.badge').textContent(), { timeout: 15_000 })
    .toMatch(/^Live/);
  await expect.poll(() => thresholdField(page, /CPU/).inputValue()).not.toBe('');
  return page;
}

/**
 * Interactive elements (and the form's save state) that a toast overlaps, by bounding box. Each
 * control counts with its visible part only: what its scrolling ancestors clip is not on screen.
 */
function controlsUnderToasts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Box = { left: number; top: number; right: number; bottom: number };
    const intersect = (a: Box, b: Box): Box => ({
      left: Math.max(a.left, b.left),
      top: Math.max(a.top, b.top),
      right: Math.min(a.right, b.right),
      bottom: Math.min(a.bottom, b.bottom),
    });
    const empty = (box: Box) => box.right <= box.left || box.bottom <= box.top;
    const visiblePart = (element: Element): Box => {
      let box: Box = element.getBoundingClientRect();
      for (let up = element.parentElement; up; up = up.parentElement)
        if (getComputedStyle(up).overflowY !== 'visible')
          box = intersect(box, up.getBoundingClientRect());
      return intersect(box, { left: 0, top: 0, right: innerWidth, bottom: innerHeight });
    };
    const toasts = [...document.querySelectorAll('.toast')].map((t) => t.getBoundingClientRect());
    const covered: string[] = [];
    const controls = document.querySelectorAll(
      'button, input, select, textarea, a[href], summary, [tabindex], .save-state',
    );
    for (const control of controls) {
      if (control.closest('.toast')) continue;
      const box = visiblePart(control);
      if (empty(box)) continue;
      if (toasts.some((toast) => !empty(intersect(box, toast))))
        covered.push(
          `${control.tagName} ${control.getAttribute('aria-label') ?? control.textContent ?? ''}`,
        );
    }
    return covered;
  });
}

describe.skipIf(!availability.available)('alerts and thresholds end to end in Chromium', () => {
  const chromium = chromiumSuite();

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
  });

  it('keeps a draft typed in one tab while another tab saves the same field, then saves it on Enter', async () => {
    const server = await spawnServer();
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const a = await openLive(context, server);
    const b = await openLive(context, server);

    await thresholdField(a, /CPU/).fill('70'); // typed, not saved
    await thresholdField(b, /CPU/).fill('75');
    await thresholdField(b, /CPU/).press('Enter');
    await expect
      .poll(async () => (await snapshot<Thresholds>(server, 'alerts.thresholds')).data.cpuPercent)
      .toBe(75);
    await expect
      .poll(() => a.locator('[data-widget="thresholds"]').textContent(), { timeout: 10_000 })
      .toContain('Server now 75');
    expect(await thresholdField(a, /CPU/).inputValue()).toBe('70');

    await thresholdField(a, /CPU/).press('Enter');
    await expect
      .poll(async () => (await snapshot<Thresholds>(server, 'alerts.thresholds')).data.cpuPercent, {
        timeout: 10_000,
      })
      .toBe(70);
    await expect
      .poll(() => a.locator('[data-widget="thresholds"]').textContent(), { timeout: 10_000 })
      .toMatch(/Saved/);
    expect(await thresholdField(a, /CPU/).inputValue()).toBe('70');

    // The input's limits are the server's: 85.5 is valid in the browser and saved as it is.
    await thresholdField(b, /CPU/).fill('85.5');
    expect(
      await thresholdField(b, /CPU/).evaluate((el: HTMLInputElement) => el.checkValidity()),
    ).toBe(true);
    await thresholdField(b, /CPU/).press('Enter');
    await expect
      .poll(async () => (await snapshot<Thresholds>(server, 'alerts.thresholds')).data.cpuPercent, {
        timeout: 10_000,
      })
      .toBe(85.5);
  });

  it('shows both values when an offline edit meets a newer edit of the same field; Keep mine saves it', async () => {
    const server = await spawnServer();
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await openLive(context, server, { shared: false });
    const widget = page.locator('[data-widget="thresholds"]');

    await context.setOffline(true);
    await expect
      .poll(() => page.locator('.badge').textContent(), { timeout: 10_000 })
      .toMatch(/^Offline/);
    await thresholdField(page, /CPU/).fill('70');
    await thresholdField(page, /CPU/).press('Enter');
    await expect.poll(() => widget.textContent()).toMatch(/Queued/);
    await setThresholds(server, { cpuPercent: 75 }); // someone else, meanwhile
    await context.setOffline(false);

    const choice = widget.getByRole('group', { name: 'Conflicting values' });
    await expect
      .poll(() => choice.textContent(), { timeout: 20_000 })
      .toContain('yours 70, theirs 75');
    expect((await snapshot<Thresholds>(server, 'alerts.thresholds')).data.cpuPercent).toBe(75);
    await choice.getByRole('button', { name: 'Keep mine' }).click();
    await expect
      .poll(async () => (await snapshot<Thresholds>(server, 'alerts.thresholds')).data.cpuPercent, {
        timeout: 10_000,
      })
      .toBe(70);
    await expect.poll(() => choice.count()).toBe(0);
  }, 60_000);

  it('raises no alert for a value flapping around its threshold, and exactly one for a sustained one; toasts cover no control at 1400 and 360 px', async () => {
    // 95 and 85 in turn: around the default CPU threshold of 90 on every sample.
    const server = await serverWithCpu([95, 85]);
    const context = await chromium.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await openLive(context, server);
    // Quiet the host's real load and memory, so only CPU can alert here.
    await setThresholds(server, { load1: 1000, memoryPercent: 100 });

    await waitSamples(server, 16);
    expect(await cpuItems(server)).toEqual([]);
    expect(await page.locator('.toast', { hasText: 'CPU' }).count()).toBe(0);

    // Below both values: sustained from now on.
    await setThresholds(server, { cpuPercent: 80 });
    await expect.poll(() => cpuItems(server), { timeout: 10_000 }).toHaveLength(1);
    await waitSamples(server, 12);
    const items = await cpuItems(server);
    expect(items).toEqual([
      expect.objectContaining({ level: 'warning', message: expect.stringMatching(/^CPU 9?5%/) }),
    ]);
    await expect.poll(() => page.locator('.toast', { hasText: 'CPU' }).count()).toBe(1);
    await expect.poll(() => page.title()).toMatch(/^\(1\) /);

    // A refused edit adds a second toast; neither may hide a control or the refusal text.
    await thresholdField(page, /CPU/).fill('150');
    await thresholdField(page, /CPU/).press('Enter');
    await expect.poll(() => page.locator('.toast').count()).toBeGreaterThanOrEqual(2);
    expect(await controlsUnderToasts(page)).toEqual([]);
    await page.screenshot({ path: `${artifacts}alerts-toasts-1400.png` });
    await page.setViewportSize({ width: 360, height: 740 });
    await thresholdField(page, /Memory/).scrollIntoViewIfNeeded();
    expect(await page.locator('.toast').count()).toBeGreaterThanOrEqual(1);
    expect(await controlsUnderToasts(page)).toEqual([]);
    await page.screenshot({ path: `${artifacts}alerts-toasts-360.png` });
  }, 60_000);

  it('notifies a firing alert once for two hidden tabs of the origin, after the user opts in', async () => {
    const server = await serverWithCpu([60]);
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['notifications'], { origin: server.httpUrl });
    // Page side: record notifications, and let the test hide the tab (headless pages are always visible).
    await context.addInitScript(() => {
      const w = window as unknown as {
        shown: { title: string; tag?: string }[];
        setHidden(hidden: boolean): void;
      };
      let hidden = false;
      Object.defineProperty(Document.prototype, 'visibilityState', {
        configurable: true,
        get: () => (hidden ? 'hidden' : 'visible'),
      });
      Object.defineProperty(Document.prototype, 'hidden', {
        configurable: true,
        get: () => hidden,
      });
      w.setHidden = (value) => {
        hidden = value;
        document.dispatchEvent(new Event('visibilitychange'));
      };
      w.shown = [];
      const Real = window.Notification;
      class Recorded extends Real {
        constructor(title: string, options?: NotificationOptions) {
          w.shown.push({ title, tag: options?.tag });
          super(title, options);
        }
      }
      Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
      window.Notification = Recorded;
    });
    const a = await openLive(context, server);
    const b = await openLive(context, server);
    await setThresholds(server, { load1: 1000, memoryPercent: 100 });

    const optIn = a.getByLabel('Notify me when this tab is hidden');
    await optIn.check();
    await expect
      .poll(() => b.getByLabel('Notify me when this tab is hidden').isChecked())
      .toBe(true);
    for (const page of [a, b])
      await page.evaluate(() =>
        (window as unknown as { setHidden(h: boolean): void }).setHidden(true),
      );

    await setThresholds(server, { cpuPercent: 50 });
    await expect.poll(() => cpuItems(server), { timeout: 10_000 }).toHaveLength(1);
    const shown = async () => {
      const lists = await Promise.all(
        [a, b].map((page) =>
          page.evaluate(() => (window as unknown as { shown: { title: string }[] }).shown),
        ),
      );
      return lists.flat();
    };
    await expect.poll(shown, { timeout: 10_000 }).toHaveLength(1);
    await waitSamples(server, 8);
    expect(await shown()).toEqual([{ title: 'Tether alert: cpu', tag: expect.any(String) }]);
    await expect.poll(() => a.title()).toMatch(/^\(1\) /);
  }, 60_000);
});
