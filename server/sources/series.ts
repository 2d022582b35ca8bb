import type { PatchOperation } from '../../src/protocol/index.ts';

/** How far back every time-series topic reaches, so a chart opened (or reopened after a restart) has history. */
export const SERIES_WINDOW_MS = 15 * 60_000;
/** At most this many samples per series (fast sampling keeps less than the full window). */
export const MAX_SERIES_SAMPLES = 3600;

/** Samples kept at `sampleMs`: fifteen minutes' worth (900 at the default 1 s), at most 3600. */
export function seriesWindow(sampleMs: number): number {
  return Math.min(MAX_SERIES_SAMPLES, Math.ceil(SERIES_WINDOW_MS / sampleMs));
}

/**
 * The ops that append one sample to a `{ samples: [...] }` document and, once the window is full,
 * drop the oldest, so a client applies a constant-size patch instead of receiving the series again.
 */
export function appendSampleOps(
  currentLength: number,
  sample: unknown,
  window: number,
): PatchOperation[] {
  const ops: PatchOperation[] = [{ op: 'add', path: '/samples/-', value: sample }];
  for (let length = currentLength + 1; length > window; length--)
    ops.push({ op: 'remove', path: '/samples/0' });
  return ops;
}

/** Two decimals are plenty for a dashboard and keep frames short. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;
