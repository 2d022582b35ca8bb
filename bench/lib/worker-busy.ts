/**
 * How long a page's SharedWorker was busy over a window, from a V8 CPU profile taken over the
 * DevTools protocol. Chromium's Performance domain (ScriptDuration, the page's own counter) does
 * not exist on worker targets; the Profiler domain does. Busy = every sample not `(idle)`, so it
 * counts script, GC and the engine's own work on the worker's thread, as ScriptDuration roughly
 * does for the page. The worker's session is reached through the browser session
 * (Target.sendMessageToTarget), because Playwright exposes no CDP session for shared workers.
 */
import type { Browser, CDPSession } from 'playwright-core';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface WorkerBusy {
  /** Stops profiling; the worker's busy time over the window, ms, and the profile itself. */
  stop(): Promise<{ busyMs: number; profile: unknown }>;
}

/** Starts profiling the one shared worker of `origin`; null if the browser shows none. */
export async function profileSharedWorker(browser: Browser, origin: string): Promise<WorkerBusy | null> {
  const session: CDPSession = await browser.newBrowserCDPSession();
  const { targetInfos } = await session.send('Target.getTargets');
  const worker = targetInfos.find((target) => target.type === 'shared_worker' && target.url.startsWith(origin));
  if (!worker) {
    await session.detach();
    return null;
  }
  const { sessionId } = await session.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false });
  let nextId = 0;
  const answers = new Map<number, (result: unknown) => void>();
  session.on('Target.receivedMessageFromTarget', (event) => {
    const message = JSON.parse(event.message) as { id?: number; result?: unknown };
    if (message.id === undefined) return;
    answers.get(message.id)?.(message.result);
    answers.delete(message.id);
  });
  const call = <T>(method: string): Promise<T> =>
    new Promise((resolve) => {
      const id = ++nextId;
      answers.set(id, resolve as (result: unknown) => void);
      void session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params: {} }) });
    });
  await call('Profiler.enable');
  await call('Profiler.start');
  return {
    async stop() {
      const { profile } = await call<{ profile: Profile }>('Profiler.stop');
      await session.detach();
      const idle = new Set(profile.nodes.filter((node) => node.callFrame.functionName === '(idle)').map((node) => node.id));
      let busyUs = 0;
      profile.samples.forEach((sample, i) => {
        if (!idle.has(sample)) busyUs += profile.timeDeltas[i] ?? 0;
      });
      return { busyMs: busyUs / 1000, profile };
    },
  };
}
