import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, BrowserContextOptions } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { killSpawnedServers } from '../fixtures/real-server.ts';

/** Debian's chromium; playwright cannot download its own browser on this network. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Whether end-to-end tests can run. Outside CI a missing browser skips them with a printed reason;
 * with CI=true it is an error, so a CI machine without chromium can never pass silently.
 */
export function browserAvailability(): { available: true } | { available: false; reason: string } {
  if (existsSync(chromiumPath)) return { available: true };
  const reason = `Chromium not found at ${chromiumPath}: install Debian's chromium (apt-get install chromium) to run end-to-end tests`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI=true, so this fails the run)`);
  console.warn(`[e2e skipped] ${reason}`);
  return { available: false, reason };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // The background-networking flags keep Chromium from calling out on a closed network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * The setup every e2e suite shares: one Chromium for the calling `describe` (call this inside it),
 * and each context opened with `newContext` closed after its test, with the servers it spawned.
 */
export function chromiumSuite(): {
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
} {
  let browser: Browser | undefined;
  const opened: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await killSpawnedServers();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((context) => context.close()));
    await killSpawnedServers();
  });
  return {
    async newContext(options) {
      if (!browser) throw new Error('chromiumSuite: newContext before the browser launched');
      const context = await browser.newContext(options);
      opened.push(context);
      return context;
    },
  };
}
