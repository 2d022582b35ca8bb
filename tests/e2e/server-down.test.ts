import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// A wall screen whose server dies: for two minutes nothing on the badge may claim a working link
// (no "Live", no "Polling"), and when the server is back the same tab recovers with no click.

const availability = browserAvailability();
const TETHER_JWT_SECRET = 'e2e-server-down-secret-0123456789abcdef';
const DOWN_MS = 120_000;
/** After DOWN_MS, how long the last WebSocket attempts may still take (all ten at most 181 s). */
const UNTIL_POLLING_MS = 75_000;

/** Every badge reading, sampled in the page so no change between two Playwright calls is missed. */
async function recordBadge(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    const read = () => {
      const badge = document.querySelector('.badge');
      if (badge) seen.add(`${badge.getAttribute('data-status')}|${badge.textContent}`);
    };
    new MutationObserver(read).observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    read();
    (window as unknown as { badgeReadings: Set<string> }).badgeReadings = seen;
  });
}
const badgeReadings = (page: Page) =>
  page.evaluate(() => [...(window as unknown as { badgeReadings: Set<string> }).badgeReadings]);

describe.skipIf(!availability.available)('a dead server in Chromium', () => {
  const chromium = chromiumSuite();

  it('never reads Live or Polling while the server is gone, says it is unreachable, and is Live again by itself', async () => {
    const first = await spawnServer({ TETHER_JWT_SECRET });
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(first.loginUrl!);
    const badge = page.locator('.badge');
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).toMatch(/^Live/);

    first.kill('SIGKILL');
    await first.exited;
    // The two minutes start once the page has seen the link go (its socket closes at once).
    await expect.poll(() => badge.textContent(), { timeout: 10_000 }).not.toMatch(/^Live/);
    await recordBadge(page);
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    // Then polling takes over (and gets no answer) once the ten WebSocket attempts are spent. Their
    // jittered delays add up to 90 s on average but to as much as 181 s, so this waits on.
    await expect
      .poll(
        async () =>
          (await badgeReadings(page)).some((reading) =>
            reading.startsWith('unreachable|Unreachable'),
          ),
        { timeout: UNTIL_POLLING_MS, interval: 1_000 },
      )
      .toBe(true);
    const readings = await badgeReadings(page);
    expect(readings.filter((reading) => /\|(Live|Polling)/.test(reading))).toEqual([]);
    expect(await page.getByRole('alert').first().textContent()).toContain('Server unreachable.');
    expect(await page.getByRole('button', { name: 'Retry now' }).first().isVisible()).toBe(true);

    await spawnServer({ TETHER_JWT_SECRET, PORT: String(first.port) });
    // No click: the next poll (at most 30 s away) or WebSocket probe finds it.
    await expect
      .poll(() => badge.textContent(), { timeout: 70_000, interval: 500 })
      .toMatch(/^Live/);
  }, 320_000);
});
