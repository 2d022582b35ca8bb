import { describe, expect, it } from 'vitest';
import { isThresholdAction, overlay, type Thresholds } from '../../src/dashboard/optimistic.ts';

const server: Thresholds = { version: 5, cpuPercent: 90, memoryPercent: 85, load1: 4 };

describe('optimistic overlay', () => {
  it('shows pending edits over the server data at once, in order, predicting the version', () => {
    const shown = overlay(server, [
      { version: 5, set: { cpuPercent: 70 } },
      { version: 6, set: { cpuPercent: 60, load1: 2 } },
    ]);
    expect(shown).toEqual({ version: 7, cpuPercent: 60, memoryPercent: 85, load1: 2 });
    expect(server.cpuPercent).toBe(90); // the server data is never touched
  });

  it('rolls back to the server value when the action leaves the list (refused)', () => {
    const pending = [{ version: 5, set: { memoryPercent: 50 } }];
    expect(overlay(server, pending).memoryPercent).toBe(50);
    expect(overlay(server, [])).toEqual(server);
  });

  it('keeps an edit over the data when another field changed meanwhile (merged per field)', () => {
    const moved = { ...server, version: 6, memoryPercent: 60 };
    expect(overlay(moved, [{ version: 5, set: { cpuPercent: 70 } }])).toEqual({
      ...moved,
      version: 7,
      cpuPercent: 70,
    });
  });

  it('accepts only well-formed threshold payloads', () => {
    expect(isThresholdAction({ version: 1, set: { cpuPercent: 50 } })).toBe(true);
    expect(isThresholdAction({ version: 1, set: { cpuPercent: '50' } })).toBe(false);
    expect(isThresholdAction({ version: 1, set: { disk: 5 } })).toBe(false);
    expect(isThresholdAction({ set: {} })).toBe(false);
    expect(isThresholdAction(null)).toBe(false);
  });
});
