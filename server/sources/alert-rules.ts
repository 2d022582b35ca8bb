/**
 * When one metric's alert fires and resolves, in the spirit of Prometheus alerting rules: a
 * value must stay past its threshold for `holdSamples` samples in a row to fire, and stay below
 * the resolve level (the threshold less `marginPercent` of it) as long to resolve. A value that
 * wanders around its threshold therefore neither fires nor, once firing, resolves on every sample.
 * Pure: the feed keeps one `AlertState` per metric and publishes the transitions.
 */

export interface AlertRule {
  threshold: number;
  holdSamples: number;
  marginPercent: number;
}

export interface AlertState {
  firing: boolean;
  /** Consecutive samples so far that point the other way (above the threshold while quiet, below the resolve level while firing). */
  streak: number;
}

export type AlertTransition = 'fire' | 'resolve' | null;

export const QUIET: AlertState = { firing: false, streak: 0 };

/** The level a firing metric must fall below to count towards resolving. */
export function resolveLevel(rule: AlertRule): number {
  return rule.threshold * (1 - rule.marginPercent / 100);
}

/** The state after one sample, and whether the alert fired or resolved on it. */
export function stepAlert(
  state: AlertState,
  value: number,
  rule: AlertRule,
): { state: AlertState; transition: AlertTransition } {
  const towardsChange = state.firing ? value < resolveLevel(rule) : value > rule.threshold;
  const streak = towardsChange ? state.streak + 1 : 0;
  if (streak < Math.max(1, rule.holdSamples))
    return { state: { firing: state.firing, streak }, transition: null };
  return {
    state: { firing: !state.firing, streak: 0 },
    transition: state.firing ? 'resolve' : 'fire',
  };
}
