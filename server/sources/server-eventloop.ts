import { monitorEventLoopDelay } from 'node:perf_hooks';
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

/** How often the histogram's timer samples the loop (ms). */
const RESOLUTION_MS = 10;

/**
 * Histogram values are nanoseconds, NaN before the first measurement, and, in Node 20, the whole
 * time between two of its timer's runs: an idle loop records the resolution itself (~10 ms).
 * The delay is what exceeds it (nodejs/node#34661; APM agents subtract it the same way).
 */
const delayMs = (nanoseconds: number): number => (Number.isFinite(nanoseconds) ? round2(Math.max(0, nanoseconds / 1e6 - RESOLUTION_MS)) : 0);

/**
 * `server.eventloop`: event-loop delay of this process over the last interval (the histogram is
 * reset each sample; it then drops its first interval, so a block starting within one tick of a
 * sample goes unseen).
 */
export function defineServerEventLoop(server: TetherServer) {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const topic = server.defineTopic<EventLoopState>(SERVER_EVENTLOOP, { initial: { t: Date.now(), meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 } });
  return {
    sample(t: number): void {
      topic.publishState({ t, meanMs: delayMs(histogram.mean), p50Ms: delayMs(histogram.percentile(50)), p99Ms: delayMs(histogram.percentile(99)), maxMs: delayMs(histogram.max) });
      histogram.reset();
    },
    stop(): void {
      histogram.disable();
    },
  };
}
