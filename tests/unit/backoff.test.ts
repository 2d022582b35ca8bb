import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../machines/backoff.ts';

const defaults = { baseMs: 1_000, capMs: 30_000 };

describe('backoffDelay', () => {
  it('doubles the ceiling per attempt up to the cap (random() = 1 reaches the ceiling)', () => {
    const schedule = Array.from({ length: 8 }, (_, attempt) =>
      backoffDelay(attempt, defaults, () => 1),
    );
    expect(schedule).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('draws uniformly below the ceiling: full jitter, not a fixed delay', () => {
    expect(backoffDelay(3, defaults, () => 0)).toBe(0);
    expect(backoffDelay(3, defaults, () => 0.25)).toBe(2_000);
    expect(backoffDelay(3, defaults, () => 0.5)).toBe(4_000);
  });

  it('stays within [0, min(cap, base·2^attempt)] for any attempt and any draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 60_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, baseMs, capMs, draw) => {
          const delay = backoffDelay(attempt, { baseMs, capMs }, () => draw);
          const ceiling = Math.min(capMs, baseMs * 2 ** attempt);
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('with a floor, draws between the floor and the ceiling (the probe schedule, 5–30 s)', () => {
    const probe = { baseMs: 5_000, capMs: 30_000, minMs: 5_000 };
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, draw) => {
          const delay = backoffDelay(attempt, probe, () => draw);
          expect(delay).toBeGreaterThanOrEqual(5_000);
          expect(delay).toBeLessThanOrEqual(Math.min(30_000, 5_000 * 2 ** attempt));
        },
      ),
    );
    expect(backoffDelay(0, probe, () => 0.99)).toBe(5_000);
  });

  it('spreads clients that lost the same server instead of bringing them back in lockstep', () => {
    let seed = 7;
    const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const delays = Array.from({ length: 200 }, () => backoffDelay(4, defaults, random));
    const distinct = new Set(delays.map((delay) => Math.floor(delay / 1_000)));
    expect(distinct.size).toBeGreaterThanOrEqual(14); // 16 one-second buckets below the 16 s ceiling
  });
});
