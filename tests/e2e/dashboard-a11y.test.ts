import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer, type SpawnedServer } from '../fixtures/real-server.ts';
import { axeViolations } from './axe.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// Accessibility and themes as a person meets them: axe-core run inside Chromium over every state the
// dashboard can be in, in both themes and at phone width, and the theme's preference and toggle.

const availability = browserAvailability();
const badge = (page: Page) => page.locator('.badge');

describe.skipIf(!availability.available)('dashboard accessibility and themes in Chromium', () => {
  const chromium = chromiumSuite();

  async function open(
    url: string,
    { width = 1280, colorScheme }: { width?: number; colorScheme?: 'dark' | 'light' } = {},
  ): Promise<Page> {
    // bypassCSP: the page's CSP (script-src 'self') would refuse axe-core's injected script.
    const context = await chromium.newContext({
      viewport: { width, height: 900 },
      colorScheme: colorScheme ?? 'dark',
      bypassCSP: true,
    });
    const page = await context.newPage();
    await page.goto(url);
    return page;
  }

  async function expectNoViolations(page: Page, state: string) {
    const violations = await axeViolations(page);
    expect({ state, violations }).toEqual({ state, violations: [] });
  }

  const live = (page: Page) =>
    expect.poll(() => badge(page).textContent(), { timeout: 15_000 }).toMatch(/^Live/);

  it('has no axe violations live, with the menu open, with the State panel open, in both themes and at 360 px', async () => {
    const server = await spawnServer();
    for (const colorScheme of ['dark', 'light'] as const) {
      for (const width of [1280, 360]) {
        const page = await open(server.loginUrl!, { width, colorScheme });
        await live(page);
        expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe(colorScheme);
        await expectNoViolations(page, `live, ${colorScheme}, ${width} px`);

        await page.getByText('Widgets', { exact: true }).click();
        await expect.poll(() => page.locator('details.menu[open]').count()).toBe(1);
        await expectNoViolations(page, `menu open, ${colorScheme}, ${width} px`);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.locator('details.menu[open]').count()).toBe(0);
        expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(
          'Widgets',
        );

        await page.getByRole('button', { name: 'State', exact: true }).click();
        await expect.poll(() => page.locator('.state-panel').count()).toBe(1);
        await expectNoViolations(page, `State panel open, ${colorScheme}, ${width} px`);
        await page.context().close();
      }
    }
  }, 120_000);

  it('has no axe violations while reconnecting', async () => {
    const server = await spawnServer();
    const page = await open(server.loginUrl!);
    await live(page);
    server.kill('SIGKILL');
    await server.exited;
    await expect
      .poll(() => badge(page).textContent(), { timeout: 10_000 })
      .toMatch(/Reconnecting|Connecting/);
    await expectNoViolations(page, 'reconnecting');
  }, 60_000);

  it('has no axe violations on polling', async () => {
    const server = await spawnServer({ TETHER_NO_WEBSOCKET: '1' });
    const page = await open(server.loginUrl!);
    await expect.poll(() => badge(page).textContent(), { timeout: 30_000 }).toMatch(/^Polling/);
    await expectNoViolations(page, 'polling');
  }, 60_000);

  it('has no axe violations when the connection failed', async () => {
    const server: SpawnedServer = await spawnServer();
    const page = await open(server.httpUrl); // no login token: the server refuses
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Failed/);
    await expectNoViolations(page, 'failed');
  }, 60_000);

  it('follows the system theme, and a toggled theme persists across a reload', async () => {
    const server = await spawnServer();
    const page = await open(server.loginUrl!, { colorScheme: 'light' });
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    const background = () =>
      page.evaluate(() => getComputedStyle(document.body.parentElement!).backgroundColor);
    await live(page);
    expect(await theme()).toBe('light');
    expect(await background()).toBe('rgb(246, 248, 250)');
    await page.emulateMedia({ colorScheme: 'dark' });
    await expect.poll(theme).toBe('dark');
    expect(await background()).toBe('rgb(13, 17, 23)');

    await page.getByRole('button', { name: /dark theme/i }).click();
    await expect.poll(theme).toBe('light');
    await page.reload();
    await live(page);
    expect(await theme()).toBe('light'); // the system still says dark; the pick wins
    expect(
      await page.getByRole('button', { name: /dark theme/i }).getAttribute('aria-pressed'),
    ).toBe('false');
  }, 60_000);
});
