import { createHistogram, performance } from 'node:perf_hooks';
import type { TetherServer } from '../tether-server.ts';
import { round2 } from './series.ts';

export const SERVER_EVENTLOOP = 'server.eventloop';

export interface EventLoopState {
  t: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** How often the loop is probed (ms): the shortest delay that can show. */
const RESOLUTION_MS = 10;

/** Histogram values are nanoseconds; with nothing recorded yet, the mean is NaN (the rest read 0). */
const toMs = (nanoseconds: number): number =>
  Number.isFinite(nanoseconds) ? round2(nanoseconds / 1e6) : 0;

/**
 * `server.eventloop`: event-loop delay of this process over the last interval: how late a
 * RESOLUTION_MS timer ran, each time it ran.
 *
 * A timer of our own rather than `monitorEventLoopDelay`: that histogram's `reset()` also forgets
 * when its timer last ran, so the interval after each sample went unrecorded and a block starting
 * just after a sample was never seen; and in Node 20 it records the whole time between runs, not
 * the delay (nodejs/node#34661). Here the last run survives the reset, so every block lands in
 * the sample taken after it (or, if the sampling timer happens to run first, the next one).
 */
export function defineServerEventLoop(server: TetherServer) {
  const histogram = createHistogram();
  let lastRun = performance.now();
  const probe = setInterval(() => {
    const now = performance.now();
    const lateMs = now - lastRun - RESOLUTION_MS;
    lastRun = now;
    histogram.record(Math.max(1, Math.round(lateMs * 1e6))); // record() takes integers ≥ 1
  }, RESOLUTION_MS).unref();
  const topic = server.defineTopic<EventLoopState>(SERVER_EVENTLOOP, {
    initial: { t: Date.now(), meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
  });
  return {
    sample(t: number): void {
      topic.publishState({
        t,
        meanMs: toMs(histogram.mean),
        p50Ms: toMs(histogram.percentile(50)),
        p99Ms: toMs(histogram.percentile(99)),
        maxMs: toMs(histogram.max),
      });
      histogram.reset();
    },
    stop(): void {
      clearInterval(probe);
    },
  };
}
