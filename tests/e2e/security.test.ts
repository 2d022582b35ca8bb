import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { spawnServer } from '../fixtures/real-server.ts';
import { browserAvailability, chromiumSuite } from './browser.ts';

// Signing in with the login link `npm start` prints, being refused without it, and the page
// running under its Content-Security-Policy with untrusted data shown as text, in Chromium.

const examples = fileURLToPath(new URL('../../docs/examples/', import.meta.url));
const availability = browserAvailability();
const KEY = 'e2e-security-publish-key-0123456789';

describe.skipIf(!availability.available)('security in Chromium', () => {
  const chromium = chromiumSuite();

  /** A page that records every URL it requests or opens a WebSocket to, and every CSP violation. */
  async function newPage() {
    const context = await chromium.newContext({ viewport: { width: 1280, height: 900 } });
    const page: Page = await context.newPage();
    const urls: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    page.on('websocket', (socket) => urls.push(socket.url()));
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) =>
        console.error(
          `Refused to load: CSP violation of ${event.violatedDirective} by ${event.blockedURI}`,
        ),
      );
    });
    return { page, urls, problems };
  }
  const badge = (page: Page) => page.locator('.badge');

  it('signs in from the login link: the token leaves the address bar, stays in this tab, never appears in a request URL, and the page runs under its CSP', async () => {
    const server = await spawnServer();
    const { page, urls, problems } = await newPage();
    // Unshared (`?share=off`): the socket is the page's own, so Playwright sees its URL (a SharedWorker's it does not).
    const response = await page.goto(server.loginUrl!.replace('/#', '/?share=off#'));
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    expect(page.url()).toBe(`${server.httpUrl}/?share=off`);
    expect(await page.evaluate(() => sessionStorage.getItem('tether.token'))).toBe(server.token);

    await page.reload(); // still signed in, from sessionStorage
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);

    expect(urls.some((url) => url.startsWith('ws://'))).toBe(true);
    expect(urls.filter((url) => url.includes(server.token!))).toEqual([]);
    expect(problems).toEqual([]);
    // The server printed the link once, at start, and nothing else with the token since.
    expect(server.output().split(server.token!).length - 1).toBe(1);
    // The entry was replaced, not pushed: Back does not bring the token back.
    await page.goBack();
    expect(page.url()).not.toContain('token');
  });

  it('without a token shows Failed with how to sign in, and does not keep retrying', async () => {
    const server = await spawnServer();
    const { page, urls } = await newPage();
    await page.goto(`${server.httpUrl}/?share=off`); // the page's own socket, so its URLs are seen
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Failed/);
    await expect
      .poll(() => page.locator('.banner[data-reason="unauthorized"]').textContent())
      .toMatch(/Not signed in: .*token is required.*Open the login link printed by npm start/);
    await page.waitForTimeout(2500);
    expect(urls.filter((url) => url.startsWith('ws://'))).toHaveLength(1);
    expect(urls.filter((url) => url.includes('/api/poll'))).toEqual([]);
    await expect.poll(() => badge(page).textContent()).toMatch(/^Failed/);
  });

  it('shows a published value containing markup as text, and nothing in it runs', async () => {
    const server = await spawnServer({
      TETHER_TOPICS: `${examples}topics.json`,
      TETHER_DASHBOARD: `${examples}dashboard.json`,
      TETHER_PUBLISH_KEY: KEY,
    });
    const { page, problems } = await newPage();
    await page.goto(server.loginUrl!);
    await expect.poll(() => badge(page).textContent(), { timeout: 10_000 }).toMatch(/^Live/);
    const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
    const res = await fetch(`${server.httpUrl}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        topic: 'deploys',
        ops: [
          {
            op: 'add',
            path: '/items/-',
            value: { t: Date.now(), level: 'info', message: payload },
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const deploys = page.locator('[data-widget="events:deploys"]');
    await expect.poll(() => deploys.textContent(), { timeout: 10_000 }).toContain(payload);
    expect(await deploys.locator('img, script').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
  });
});
