import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// The dashboard's view settings as a person uses them: the charts' time range and pause, and the
// layout (moved by mouse and keyboard, exported and imported).

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

describe.skipIf(!availability.available)('dashboard range, pause and layout in Chromium', () => {
  const chromium = chromiumSuite();

  it('switches every chart between time ranges, keeps the choice across a reload, and pauses without touching the connection', async () => {
    const server = await spawnServer();
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
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
    await page.getByRole('button', { name: /last 1 minute$/ }).click();
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
    await page.getByRole('button', { name: /last 15 minutes$/ }).click();
    await expect.poll(span).toBe(900);
    await page.reload();
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toMatch(/^Live/);
    await expect.poll(span, { timeout: 10_000 }).toBe(900);
    expect(
      await page.getByRole('button', { name: /last 15 minutes$/ }).getAttribute('aria-pressed'),
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

  /** The order of the widgets in the grid, by id. */
  const order = (page: Page) =>
    page
      .locator('.grid > .slot')
      .evaluateAll((els) => els.map((el) => el.getAttribute('data-slot')));
  const handle = (page: Page, widget: string) => page.locator(`[data-slot="${widget}"] .grip`);

  it('reorders widgets by mouse and by keyboard, keeps the order, and exports it for a fresh browser to import', async () => {
    const server = await spawnServer();
    const context = await chromium.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
    });
    let page = await context.newPage();
    await page.goto(server.loginUrl!);
    await expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toMatch(/^Live/);
    const initial = await order(page);
    expect(initial.slice(0, 3)).toEqual(['cpu', 'memory', 'load']);

    // Mouse: drag the load widget's handle onto the CPU chart.
    await handle(page, 'load').dragTo(page.locator('[data-slot="cpu"]'));
    await expect.poll(() => order(page)).toEqual(['load', 'cpu', 'memory', ...initial.slice(3)]);

    // Keyboard: the clients widget's handle, End, then one step back up.
    await handle(page, 'clients').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowUp');
    const arranged = await order(page);
    expect(arranged.at(-2)).toBe('clients');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(
      /^Move Connected clients, position 7 of 8$/,
    );
    // Width: the memory chart to one column.
    await page.getByRole('button', { name: 'Wide Memory chart' }).click();
    await page.reload();
    await expect.poll(() => order(page), { timeout: 10_000 }).toEqual(arranged);
    expect(await page.locator('[data-slot="memory"]').getAttribute('class')).not.toMatch(/wide/);

    // Export, then import into a fresh browser profile: the same layout.
    await page.getByText('Layout', { exact: true }).click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export layout' }).click(),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'tether-layout-'));
    const file = join(dir, 'layout.json');
    await download.saveAs(file);
    expect(
      JSON.parse(readFileSync(file, 'utf8')).widgets.map((w: { view: string }) => w.view),
    ).toEqual(arranged);
    await context.close();

    const freshProfile = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    page = await freshProfile.newPage();
    await page.goto(server.loginUrl!);
    await expect.poll(() => order(page), { timeout: 15_000 }).toEqual(initial);
    await page.getByText('Layout', { exact: true }).click();
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ widgets: [{ view: 'pie-chart' }] }));
    await page.locator('input[type="file"]').setInputFiles(bad);
    await expect
      .poll(() => page.getByRole('alert').filter({ hasText: 'bad.json' }).textContent())
      .toMatch(/bad\.json was not imported\. Not a dashboard config: .*view/);
    expect(await order(page)).toEqual(initial);
    await page.locator('input[type="file"]').setInputFiles(file);
    await expect.poll(() => order(page)).toEqual(arranged);
    expect(await page.locator('[data-slot="memory"]').getAttribute('class')).not.toMatch(/wide/);
  }, 90_000);
});
