import type { PatchOperation } from '../../src/protocol/index.ts';

/** Samples kept by every time-series topic (two minutes at the default 1 s interval). */
export const SERIES_WINDOW = 120;

/**
 * The ops that append one sample to a `{ samples: [...] }` document and, once the window is full,
 * drop the oldest, so a client applies a constant-size patch instead of receiving the series again.
 */
export function appendSampleOps(
  currentLength: number,
  sample: unknown,
  window = SERIES_WINDOW,
): PatchOperation[] {
  const ops: PatchOperation[] = [{ op: 'add', path: '/samples/-', value: sample }];
  for (let length = currentLength + 1; length > window; length--)
    ops.push({ op: 'remove', path: '/samples/0' });
  return ops;
}

/** Two decimals are plenty for a dashboard and keep frames short. */
export const round2 = (value: number): number => Math.round(value * 100) / 100;
