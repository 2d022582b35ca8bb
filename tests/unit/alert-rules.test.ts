import { afterEach, describe, expect, it } from 'vitest';
import { QUIET, resolveLevel, stepAlert } from '../../server/sources/alert-rules.ts';
import type { AlertRule, AlertState } from '../../server/sources/alert-rules.ts';
import { ALERT_SETTING_FIELDS, outOfLimits } from '../../src/protocol/index.ts';
import { defineAlertFeed } from '../../server/sources/alerts-feed.ts';
import { applyThresholdsAction } from '../../server/sources/alerts-thresholds.ts';
import type { Readings } from '../../server/sources/alerts-feed.ts';
import type { Thresholds } from '../../server/sources/alerts-thresholds.ts';
import { createTetherServer } from '../../server/tether-server.ts';
import type { TetherServer } from '../../server/tether-server.ts';

const RULE: AlertRule = { threshold: 90, holdSamples: 3, marginPercent: 10 };

/** The transitions a series of samples causes, from a quiet start. */
function run(values: number[], rule = RULE): string[] {
  let state: AlertState = QUIET;
  const seen: string[] = [];
  for (const value of values) {
    const step = stepAlert(state, value, rule);
    state = step.state;
    if (step.transition) seen.push(step.transition);
  }
  return seen;
}

describe('stepAlert (hold and margin)', () => {
  it('fires only after the hold time of consecutive samples above the threshold', () => {
    expect(run([95, 95])).toEqual([]);
    expect(run([95, 95, 95])).toEqual(['fire']);
    // A dip resets the count.
    expect(run([95, 95, 80, 95, 95])).toEqual([]);
  });

  it('does not fire at the threshold itself, only above it', () => {
    expect(run([90, 90, 90, 90])).toEqual([]);
  });

  it('never fires for a value alternating around the threshold each sample', () => {
    expect(run(Array.from({ length: 200 }, (_, i) => (i % 2 ? 85 : 95)))).toEqual([]);
  });

  it('fires once for a sustained value, however long it lasts', () => {
    expect(run(Array.from({ length: 200 }, () => 97))).toEqual(['fire']);
  });

  it('resolves only after the hold time below the threshold less the margin', () => {
    expect(resolveLevel(RULE)).toBe(81);
    const high = [95, 95, 95];
    // Back under the threshold but above 81: still firing.
    expect(run([...high, 85, 85, 85, 85])).toEqual(['fire']);
    expect(run([...high, 80, 80])).toEqual(['fire']);
    expect(run([...high, 80, 80, 80])).toEqual(['fire', 'resolve']);
    // Flapping around the resolve level does not resolve either.
    expect(run([...high, 80, 82, 80, 82, 80, 82])).toEqual(['fire']);
  });

  it('with a hold of 1 and no margin behaves like a plain threshold crossing', () => {
    const plain = { threshold: 90, holdSamples: 1, marginPercent: 0 };
    expect(run([95, 89, 95, 89], plain)).toEqual(['fire', 'resolve', 'fire', 'resolve']);
  });
});

describe('alerts.feed evaluation', () => {
  let server: TetherServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function feedWith(thresholds: Thresholds) {
    server = createTetherServer({ staticDir: false });
    const feed = defineAlertFeed(server, () => thresholds);
    const topic = server.hub.topic('alerts.feed')!;
    const items = () =>
      (topic.state as { items: { metric: string; level: string; message: string }[] }).items;
    const sample = (cpu: number, t: number) =>
      feed.evaluate(t, { cpu, memory: 10, load1: 0.5 } satisfies Readings);
    return { items, sample };
  }

  it('publishes one warning for a sustained value and none for a flapping one', () => {
    const settings = { version: 1, cpuPercent: 90, memoryPercent: 90, load1: 4 };
    const { items, sample } = feedWith({ ...settings, holdSamples: 3, marginPercent: 10 });
    for (let t = 0; t < 40; t++) sample(t % 2 ? 85 : 95, t);
    expect(items()).toEqual([]);
    for (let t = 40; t < 80; t++) sample(96, t);
    expect(items()).toEqual([
      expect.objectContaining({
        metric: 'cpu',
        level: 'warning',
        message: 'CPU 96% has stayed above the threshold of 90 for 3 samples',
      }),
    ]);
    for (let t = 80; t < 83; t++) sample(50, t);
    expect(items().map((item) => item.level)).toEqual(['warning', 'resolved']);
    expect(items()[1]!.message).toBe('CPU 50% is back below 81 (the threshold of 90 less 10%)');
  });

  it('carries on from the feed when sampling resumes (after another node of a cluster sampled)', () => {
    const settings = { version: 1, cpuPercent: 90, memoryPercent: 90, load1: 4 };
    const thresholds = { ...settings, holdSamples: 2, marginPercent: 10 };
    server = createTetherServer({ staticDir: false });
    const feed = defineAlertFeed(server, () => thresholds);
    const topic = server.hub.topic('alerts.feed')!;
    const levels = () => (topic.state as { items: { level: string }[] }).items.map((i) => i.level);
    const sample = (cpu: number, t: number) => feed.evaluate(t, { cpu, memory: 10, load1: 0.5 });
    sample(95, 1);
    sample(95, 2);
    expect(levels()).toEqual(['warning']);
    // Meanwhile another node held the lease and resolved it.
    const resolved = { id: 'other-1', t: 3, metric: 'cpu', level: 'resolved', value: 50 };
    topic.publish([
      { op: 'add', path: '/items/-', value: { ...resolved, threshold: 90, message: 'back' } },
    ]);
    feed.resume();
    sample(95, 4);
    sample(95, 5);
    expect(levels()).toEqual(['warning', 'resolved', 'warning']);
  });

  it('reads hold and margin from the thresholds topic, with defaults for a state without them', () => {
    const { items, sample } = feedWith({ version: 1, cpuPercent: 90, memoryPercent: 90, load1: 4 });
    sample(95, 1);
    sample(95, 2);
    expect(items()).toHaveLength(0);
    sample(95, 3);
    expect(items()).toHaveLength(1);
  });
});

describe('alert settings limits (shared with the dashboard inputs)', () => {
  const state: Thresholds = { version: 1, cpuPercent: 90, memoryPercent: 90, load1: 4 };

  it('accepts fractional thresholds and a whole hold; refuses a fractional hold', () => {
    expect(applyThresholdsAction({ version: 1, set: { cpuPercent: 85.5 } }, state)).toMatchObject({
      ok: true,
    });
    expect(
      applyThresholdsAction({ version: 1, set: { holdSamples: 5, marginPercent: 2.5 } }, state),
    ).toMatchObject({ ok: true });
    expect(applyThresholdsAction({ version: 1, set: { holdSamples: 2.5 } }, state)).toMatchObject({
      ok: false,
      code: 'out_of_range',
      message: 'holdSamples must be a whole number from 1 to 60, got 2.5',
    });
    expect(applyThresholdsAction({ version: 1, set: { marginPercent: 51 } }, state)).toMatchObject({
      ok: false,
      code: 'out_of_range',
    });
  });

  it('describes every field the server accepts', () => {
    for (const field of ALERT_SETTING_FIELDS) expect(outOfLimits(field, 1)).toBeNull();
    expect(outOfLimits('cpuPercent', 0)).toBe('cpuPercent must be between 1 and 100, got 0');
  });
});
