import os from 'node:os';
import type { TetherServer } from '../tether-server.ts';
import { appendSampleOps, round2, seriesWindow } from './series.ts';

export const HOST_MEMORY = 'host.memory';

export interface MemoryState {
  totalBytes: number;
  intervalMs: number;
  samples: { t: number; usedBytes: number; serverRssBytes: number }[];
}

/** `host.memory`: used = total − free as the OS reports them, plus this server's resident set. */
export function defineHostMemory(server: TetherServer, intervalMs: number) {
  const topic = server.defineTopic<MemoryState>(HOST_MEMORY, {
    initial: { totalBytes: os.totalmem(), intervalMs, samples: [] },
  });
  const window = seriesWindow(intervalMs);
  return {
    /** Publishes one sample and returns memory used in percent of the total. */
    sample(t: number): number {
      const totalBytes = os.totalmem();
      const usedBytes = totalBytes - os.freemem();
      const ops = appendSampleOps(
        topic.state.samples.length,
        { t, usedBytes, serverRssBytes: process.memoryUsage.rss() },
        window,
      );
      // Kept samples may come from a previous run with another machine or interval.
      if (totalBytes !== topic.state.totalBytes)
        ops.push({ op: 'replace', path: '/totalBytes', value: totalBytes });
      if (intervalMs !== topic.state.intervalMs)
        ops.push({ op: 'replace', path: '/intervalMs', value: intervalMs });
      topic.publish(ops);
      return totalBytes > 0 ? round2((usedBytes / totalBytes) * 100) : 0;
    },
  };
}
