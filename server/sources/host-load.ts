import os from 'node:os';
import type { TetherServer } from '../tether-server.ts';
import { round2 } from './series.ts';

export const HOST_LOAD = 'host.load';

export interface LoadState {
  t: number;
  load1: number;
  load5: number;
  load15: number;
  cores: number;
  uptimeSec: number;
}

function read(t: number): LoadState {
  const [load1 = 0, load5 = 0, load15 = 0] = os.loadavg();
  return {
    t,
    load1: round2(load1),
    load5: round2(load5),
    load15: round2(load15),
    cores: os.availableParallelism(),
    uptimeSec: Math.round(os.uptime()),
  };
}

/** `host.load`: the OS load averages with the core count to read them against, and uptime. */
export function defineHostLoad(server: TetherServer) {
  const topic = server.defineTopic<LoadState>(HOST_LOAD, { initial: read(Date.now()) });
  return {
    /** Publishes the changed fields and returns the 1-minute load average. */
    sample(t: number): number {
      const next = read(t);
      topic.publishState(next);
      return next.load1;
    },
  };
}
