/**
 * `npm run screenshots`: the dashboard in both themes at 1400 px and 360 px, against a real server
 * on 127.0.0.1, in Debian's Chromium, into docs/images/dashboard-<theme>-<width>.png.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { killSpawnedServers, spawnServer } from '../tests/fixtures/real-server.ts';
import { launchChromium } from '../tests/e2e/browser.ts';

const out = fileURLToPath(new URL('../docs/images/', import.meta.url));
/** Enough samples for the charts to show a line. */
const SETTLE_MS = 8_000;

async function main() {
  mkdirSync(out, { recursive: true });
  const server = await spawnServer({ TETHER_SAMPLE_MS: '1000' });
  const browser = await launchChromium();
  try {
    for (const theme of ['dark', 'light'] as const) {
      for (const width of [1400, 360]) {
        const context = await browser.newContext({
          viewport: { width, height: width > 600 ? 1000 : 800 },
          colorScheme: theme,
          deviceScaleFactor: 1,
        });
        const page = await context.newPage();
        await page.goto(server.loginUrl!);
        await page.locator('.badge', { hasText: /^Live/ }).waitFor({ timeout: 20_000 });
        await page.waitForTimeout(SETTLE_MS);
        const path = `${out}dashboard-${theme}-${width}.png`;
        await page.screenshot({ path, fullPage: width < 600 });
        console.log(`wrote ${path}`);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await killSpawnedServers();
  }
}

await main();
