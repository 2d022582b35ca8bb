import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// "Bring your own data" as a user does it: the built dashboard, the CLI started with the docs'
// example topics and dashboard config, fed by the docs' Node script. No dashboard code names the topics.

const run = promisify(execFile);
const examples = fileURLToPath(new URL('../../docs/examples/', import.meta.url));
const availability = browserAvailability();
const KEY = 'e2e-publish-key-0123456789abcdef';

describe.skipIf(!availability.available)('a custom topic on the dashboard in Chromium', () => {
  const chromium = chromiumSuite();

  it('shows the configured widgets and the data published over HTTP', async () => {
    const server = await spawnServer({
      TETHER_TOPICS: `${examples}topics.json`,
      TETHER_DASHBOARD: `${examples}dashboard.json`,
      TETHER_PUBLISH_KEY: KEY,
    });
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page: Page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(server.loginUrl!);

    await expect
      .poll(() => page.locator('h1').textContent(), { timeout: 10_000 })
      .toBe('Tether shop');
    await expect
      .poll(() =>
        page
          .locator('[data-widget]')
          .evaluateAll((els) => els.map((el) => el.getAttribute('data-widget'))),
      )
      .toEqual([
        'series:orders.perMinute',
        'number:orders.perMinute',
        'events:deploys',
        'cpu',
        'memory',
        'alerts',
        'activity',
      ]);
    const feeder = { ...process.env, TETHER_URL: server.httpUrl, TETHER_PUBLISH_KEY: KEY };
    const orders = page.locator('[data-widget="series:orders.perMinute"]');
    const now = page.locator('[data-widget="number:orders.perMinute"] .tile dd').first();

    // curl: one sample (its time is whole seconds) and one deploy event.
    await run('sh', [`${examples}publish-orders.sh`, '77'], { env: feeder });
    await expect
      .poll(() => orders.locator('.summary').textContent(), { timeout: 10_000 })
      .toBe('count 77 /min');
    await expect.poll(() => now.textContent()).toBe('77');
    await expect
      .poll(() => page.locator('[data-widget="events:deploys"] li').textContent())
      .toMatch(/^info\d\d:\d\d:\d\dcheckout v42 deployed$/);

    // The Node feeder: three more samples, later in time; the widgets follow the last one.
    const { stdout } = await run(process.execPath, [`${examples}publish-orders.mjs`], {
      env: { ...feeder, ORDERS_COUNT: '3', ORDERS_INTERVAL_MS: '10' },
    });
    const last = /seq 4: (\d+) orders\/min/.exec(stdout)![1]!;
    await expect
      .poll(() => orders.locator('.summary').textContent(), { timeout: 10_000 })
      .toBe(`count ${last} /min`);
    await expect.poll(() => now.textContent()).toBe(last);
    await expect.poll(() => orders.locator('canvas').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
});
