import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import {
  browserAvailability,
  closeBrowserAndServers,
  closeContextAndServers,
  launchChromium,
} from './browser.ts';

// The dashboard's view settings as a person uses them: the charts' time range and pause.

const availability = browserAvailability();
const badge = (page: Page) => page.locator('.badge');
const cpuChart = (page: Page) => page.locator('[data-widget="cpu"] .chart');

/** The time window the CPU chart draws, [min, max] in seconds, as uPlot set its x scale. */
async function drawnWindow(page: Page): Promise<[number, number]> {
  const chart = cpuChart(page);
  return [
    Number(await chart.getAttribute('data-x-min')),
    Number(await chart.getAttribute('data-x-max')),
  ];
}

/** The seq of the page's host.cpu subscription: proof that data keeps arriving. */
function cpuSeq(page: Page): Promise<number> {
  return page.evaluate(() => {
    const { tether } = window as unknown as {
      tether: { subscribe(topic: string): { view: { get(): { seq: number } }; release(): void } };
    };
    const hold = tether.subscribe('host.cpu');
    const { seq } = hold.view.get();
    hold.release();
    return seq;
  });
}

describe.skipIf(!availability.available)('dashboard range and pause in Chromium', () => {
  let browser: Browser;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(() => closeBrowserAndServers(browser));
  afterEach(() => closeContextAndServers(context));

  it('switches every chart between time ranges, keeps the choice across a reload, and pauses without touching the connection', async () => {
    const server = await spawnServer();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(server.loginUrl!);
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toMatch(/^Live/);
    await expect
      .poll(async () => (await drawnWindow(page))[1], { timeout: 10_000 })
      .toBeGreaterThan(0);

    const span = async () => {
      const [min, max] = await drawnWindow(page);
      return Math.round(max - min);
    };
    expect(await span()).toBe(300);
    await page.getByRole('button', { name: 'Last 1 minute' }).click();
    await expect.poll(span).toBe(60);
    const memory = page.locator('[data-widget="memory"] .chart');
    await expect
      .poll(async () =>
        Math.round(
          Number(await memory.getAttribute('data-x-max')) -
            Number(await memory.getAttribute('data-x-min')),
        ),
      )
      .toBe(60);
    await page.getByRole('button', { name: 'Last 15 minutes' }).click();
    await expect.poll(span).toBe(900);
    await page.reload();
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toMatch(/^Live/);
    await expect.poll(span, { timeout: 10_000 }).toBe(900);
    expect(
      await page.getByRole('button', { name: 'Last 15 minutes' }).getAttribute('aria-pressed'),
    ).toBe('true');

    // Pause: the picture holds still while samples keep arriving; the connection stays live.
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.locator('[data-paused]').textContent()).toMatch(/^Paused/);
    const frozen = await drawnWindow(page);
    const seq = await cpuSeq(page);
    await expect.poll(() => cpuSeq(page), { timeout: 10_000 }).toBeGreaterThan(seq + 1);
    expect(await drawnWindow(page)).toEqual(frozen);
    expect(await badge(page).textContent()).toMatch(/^Live/);

    await page.getByRole('button', { name: 'Resume' }).click();
    expect(await page.locator('[data-paused]').count()).toBe(0);
    await expect
      .poll(async () => (await drawnWindow(page))[1], { timeout: 5_000 })
      .toBeGreaterThan(frozen[1]);
  }, 60_000);
});
