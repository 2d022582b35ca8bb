import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';
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

// Every e2e suite tears down the same way; these keep that teardown in one place.

/** afterAll: closes the shared browser (if it launched) and any servers the suite spawned. */
export async function closeBrowserAndServers(browser: Browser | undefined): Promise<void> {
  await browser?.close();
  await killSpawnedServers();
}

/** afterEach: closes the test's browser context (if one was opened) and any servers the test spawned. */
export async function closeContextAndServers(context: BrowserContext | undefined): Promise<void> {
  await context?.close();
  await killSpawnedServers();
}
