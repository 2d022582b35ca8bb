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

/** Histogram values are nanoseconds, and NaN before the first measurement. */
const ms = (nanoseconds: number): number => (Number.isFinite(nanoseconds) ? round2(nanoseconds / 1e6) : 0);

/** `server.eventloop`: event-loop delay of this process over the last interval (the histogram is reset each sample). */
export function defineServerEventLoop(server: TetherServer) {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const topic = server.defineTopic<EventLoopState>(SERVER_EVENTLOOP, { initial: { t: Date.now(), meanMs: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 } });
  return {
    sample(t: number): void {
      topic.publishState({ t, meanMs: ms(histogram.mean), p50Ms: ms(histogram.percentile(50)), p99Ms: ms(histogram.percentile(99)), maxMs: ms(histogram.max) });
      histogram.reset();
    },
    stop(): void {
      histogram.disable();
    },
  };
}
