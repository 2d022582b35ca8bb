/**
 * Documents and patches shaped like the real metric topics (server/sources): a full-window (1 s sampling)
 * `host.cpu` window, appended with `add /samples/-` and trimmed with `remove /samples/0`.
 * Deterministic, so every variant of a benchmark receives byte-identical frames.
 */
import { seriesWindow } from '../../server/sources/series.ts';

export const EPOCH = 'bench-epoch';

export interface CpuSample {
  t: number;
  total: number;
  perCore: number[];
}

const value = (i: number) => Math.round((50 + 40 * Math.sin(i / 7)) * 100) / 100;

export function cpuSample(i: number, t = 1_700_000_000_000 + i * 1000): CpuSample {
  return { t, total: value(i), perCore: [value(i + 1), value(i + 2)] };
}

export function cpuDoc(): { cores: number; model: string; intervalMs: number; samples: CpuSample[] } {
  return { cores: 2, model: 'AMD EPYC', intervalMs: 1000, samples: Array.from({ length: seriesWindow(1000) }, (_, i) => cpuSample(i)) };
}

export function snapshotText(topic: string, seq = 0): string {
  return JSON.stringify({ type: 'snapshot', topic, epoch: EPOCH, seq, data: cpuDoc() });
}

export function patchText(topic: string, seq: number): string {
  const ops = [
    { op: 'add', path: '/samples/-', value: cpuSample(seriesWindow(1000) + seq) },
    { op: 'remove', path: '/samples/0' },
  ];
  return JSON.stringify({ type: 'patch', topic, epoch: EPOCH, seq, ops });
}

export const topicName = (i: number) => `bench.m${i}`;
