import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// The State panel's statechart follows the connection through a dead server and back, in the
// default shared mode (statecharts in a SharedWorker) and per tab (`?share=off`).

const availability = browserAvailability();
const TETHER_JWT_SECRET = 'e2e-state-panel-secret-0123456789abcdef';

/** Every state the drawing highlighted, sampled in the page so a short-lived one is not missed. */
async function recordHighlights(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    const read = () => {
      for (const node of document.querySelectorAll('[data-state][data-active="true"]')) {
        seen.add(node.getAttribute('data-state')!);
      }
    };
    new MutationObserver(read).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
    });
    read();
    (window as unknown as { highlighted: Set<string> }).highlighted = seen;
  });
}
const highlighted = (page: Page) =>
  page.evaluate(() => [...(window as unknown as { highlighted: Set<string> }).highlighted]);
const isActive = (page: Page, state: string) =>
  page.locator(`[data-state="${state}"]`).getAttribute('data-active');

describe.skipIf(!availability.available)('the State panel in Chromium', () => {
  const chromium = chromiumSuite();

  for (const mode of ['shared', 'per-tab'] as const) {
    it(`highlights reconnecting when the server dies and connected when it is back (${mode})`, async () => {
      const first = await spawnServer({ TETHER_JWT_SECRET });
      const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
      const page = await context.newPage();
      const url = new URL(first.loginUrl!);
      if (mode === 'per-tab') url.searchParams.set('share', 'off');
      await page.goto(url.toString());
      await expect
        .poll(() => page.locator('.badge').textContent(), { timeout: 10_000 })
        .toMatch(/^Live/);

      await page.getByRole('button', { name: 'State', exact: true }).click();
      const chart = page.getByRole('img', { name: /^Connection statechart/ });
      await chart.waitFor({ timeout: 15_000 });
      expect(await isActive(page, 'websocket.connected')).toBe('true');
      expect(await isActive(page, 'reconnecting')).toBe('false');
      // The tab's subscriptions are listed from their views, with or without an actor here.
      const panel = page.getByRole('region', { name: 'State' });
      await expect
        .poll(() => panel.locator('tr', { hasText: 'host.cpu' }).textContent(), { timeout: 5_000 })
        .toContain('live');

      await recordHighlights(page);
      first.kill('SIGKILL');
      await first.exited;
      await expect.poll(() => highlighted(page), { timeout: 15_000 }).toContain('reconnecting');
      expect(await panel.textContent()).toMatch(/Reconnecting, attempt \d+ of \d+/);

      await spawnServer({ TETHER_JWT_SECRET, PORT: String(first.port) });
      await expect
        .poll(() => isActive(page, 'websocket.connected'), { timeout: 30_000, interval: 250 })
        .toBe('true');
      expect(await isActive(page, 'reconnecting')).toBe('false');
    }, 60_000);
  }
});
