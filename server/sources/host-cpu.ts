import os from 'node:os';
import type { TetherServer } from '../tether-server.ts';
import { appendSampleOps, round2, seriesWindow } from './series.ts';

export const HOST_CPU = 'host.cpu';

export interface CpuState {
  cores: number;
  model: string;
  intervalMs: number;
  samples: { t: number; total: number; perCore: number[] }[];
}

interface Times {
  busy: number;
  all: number;
}

function readTimes(): Times[] {
  return os.cpus().map(({ times }) => {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    return { busy: all - times.idle, all };
  });
}

/** Busy share of the time that passed on one core, in percent; 0 when no time passed. */
function usage(before: Times | undefined, after: Times): number {
  const all = after.all - (before?.all ?? 0);
  if (!before || all <= 0) return 0;
  return Math.min(100, Math.max(0, ((after.busy - before.busy) / all) * 100));
}

/** `host.cpu`: per-core and total usage from os.cpus() time counters, differenced between samples. */
export function defineHostCpu(server: TetherServer, intervalMs: number) {
  let previous = readTimes();
  const cpus = os.cpus();
  const about = {
    cores: cpus.length || os.availableParallelism(),
    model: cpus[0]?.model.trim() ?? 'unknown',
    intervalMs,
  };
  const window = seriesWindow(intervalMs);
  const topic = server.defineTopic<CpuState>(HOST_CPU, { initial: { ...about, samples: [] } });
  return {
    /** Publishes one sample and returns the total usage in percent. */
    sample(t: number): number {
      const current = readTimes();
      const perCore = current.map((times, index) => round2(usage(previous[index], times)));
      const sum = (list: Times[]) =>
        list.reduce((acc, times) => ({ busy: acc.busy + times.busy, all: acc.all + times.all }), {
          busy: 0,
          all: 0,
        });
      const total =
        previous.length === current.length ? round2(usage(sum(previous), sum(current))) : 0;
      previous = current;
      const ops = appendSampleOps(topic.state.samples.length, { t, total, perCore }, window);
      // Kept samples may come from a previous run with another machine or interval.
      for (const [key, value] of Object.entries(about))
        if (topic.state[key as keyof typeof about] !== value)
          ops.push({ op: 'replace', path: `/${key}`, value });
      topic.publish(ops);
      return total;
    },
  };
}
