import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';

/**
 * What the cross-tab and page-lifecycle tests share: the test page (tests/e2e/cross-tab-page)
 * built by Vite as an app would be (the SharedWorker is emitted from `new URL('./worker.ts',
 * import.meta.url)`), served with the real server's static files and CSP, and a `ticks` topic
 * published at a steady rate whose state is every value published so far (so a gap shows).
 */

const pageDir = fileURLToPath(new URL('./cross-tab-page/', import.meta.url));

export async function buildTestPage(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tether-cross-tab-'));
  await build({
    configFile: false,
    root: pageDir,
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true },
  });
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface TicksServer extends StartedServer {
  /** Values published so far (the last is `published()`). */
  published(): number;
  /** Stops publishing (the server stays up). */
  pause(): void;
}

/** The real server (in-process, auth off) serving `dir`, publishing `ticks` every `everyMs`. */
export async function startTicksServer(dir: string, everyMs = 50): Promise<TicksServer> {
  const started = await startServer({ staticDir: dir });
  started.server.defineTopic('ticks', { initial: { values: [] as number[] } });
  let n = 0;
  const timer = setInterval(
    () => started.server.publish('ticks', [{ op: 'add', path: '/values/-', value: ++n }]),
    everyMs,
  );
  return {
    ...started,
    published: () => n,
    pause: () => clearInterval(timer),
    close: async () => {
      clearInterval(timer);
      await started.close();
    },
  };
}

export interface ProbeState {
  connection: { status: string; attempt: number; statePath: string; at: number }[];
  ticks: { status: string; seq: number | null; data: { values: number[] } | undefined };
  tickStatuses: string[];
}

/** What the page's `window.probe` recorded. */
export function probe(page: Page): Promise<ProbeState> {
  return page.evaluate(() => {
    const { connection, ticks, tickStatuses } = (
      window as unknown as {
        probe: { connection: unknown; ticks: () => unknown; tickStatuses: unknown };
      }
    ).probe;
    return { connection, ticks: ticks(), tickStatuses } as never;
  });
}

/**
 * Stops the page's JavaScript for `ms`, as a sleeping machine or a frozen tab does: no timer runs,
 * network data waits in the browser, and when it resumes every timer due meanwhile fires late.
 * (The debugger pauses the main thread; headless Chromium ignores `Page.setWebLifecycleState`
 * frozen for timers, measured.)
 */
export async function freeze(context: BrowserContext, page: Page, ms: number): Promise<void> {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Debugger.enable');
  const paused = new Promise<void>((resolve) => cdp.once('Debugger.paused', () => resolve()));
  await cdp.send('Debugger.pause');
  // The pause takes effect when the page next runs script (its timers run every few seconds at most).
  await Promise.race([
    paused,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('the page did not pause')), 10_000),
    ),
  ]);
  await new Promise((resolve) => setTimeout(resolve, ms));
  await cdp.send('Debugger.resume');
  await cdp.send('Debugger.disable');
  await cdp.detach();
}

/**
 * Evaluates `expression` in the page's SharedWorker (the one Tether's tabs share), through the
 * browser's DevTools protocol; its `tetherHub` handle tells which tabs and topics the hub holds.
 */
export async function inSharedWorker<T>(browser: Browser, expression: string): Promise<T> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const { targetInfos } = await cdp.send('Target.getTargets');
    const worker = targetInfos.find((target) => target.type === 'shared_worker');
    if (!worker) throw new Error('no shared worker is running');
    const { sessionId } = await cdp.send('Target.attachToTarget', {
      targetId: worker.targetId,
      flatten: false,
    });
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the shared worker did not answer')), 5_000);
      cdp.on('Target.receivedMessageFromTarget', (event) => {
        const message = JSON.parse(event.message) as {
          id?: number;
          result?: { result?: { value?: T } };
        };
        if (message.id !== 1) return;
        clearTimeout(timer);
        resolve(message.result?.result?.value as T);
      });
      void cdp.send('Target.sendMessageToTarget', {
        sessionId,
        message: JSON.stringify({
          id: 1,
          method: 'Runtime.evaluate',
          params: { expression, returnByValue: true },
        }),
      });
    });
  } finally {
    await cdp.detach();
  }
}

/** The values the page holds are exactly 1..n: nothing skipped, nothing twice. */
export function isGapless(values: number[] | undefined): boolean {
  return values !== undefined && values.every((value, i) => value === i + 1);
}
