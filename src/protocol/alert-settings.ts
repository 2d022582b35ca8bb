/**
 * The fields of `alerts.thresholds` and the values each accepts. One description for both sides:
 * the server refuses a value outside it (`out_of_range`) and the dashboard's inputs take their
 * `min`, `max` and `step` from it, so the form never marks invalid what the server would save.
 */

export interface FieldLimits {
  min: number;
  max: number;
  /** `'any'`: every finite number in range; `1`: whole numbers only. */
  step: 'any' | 1;
}

export const ALERT_SETTING_LIMITS = {
  cpuPercent: { min: 1, max: 100, step: 'any' },
  memoryPercent: { min: 1, max: 100, step: 'any' },
  load1: { min: 0.1, max: 1000, step: 'any' },
  /** Consecutive samples a metric must stay past its threshold to fire, and back under the resolve level to resolve. */
  holdSamples: { min: 1, max: 60, step: 1 },
  /** How far below its threshold, in percent of the threshold, a firing metric must fall to resolve. */
  marginPercent: { min: 0, max: 50, step: 'any' },
} as const satisfies Record<string, FieldLimits>;

export type AlertSettingField = keyof typeof ALERT_SETTING_LIMITS;
export const ALERT_SETTING_FIELDS = Object.keys(ALERT_SETTING_LIMITS) as AlertSettingField[];

/** The hold and margin a topic state without them uses (states saved before they existed). */
export const DEFAULT_HOLD_SAMPLES = 3;
export const DEFAULT_MARGIN_PERCENT = 10;

/** Why `value` is not acceptable for `field`, or null when it is. */
export function outOfLimits(field: AlertSettingField, value: number): string | null {
  const { min, max, step } = ALERT_SETTING_LIMITS[field];
  if (step === 1 && !Number.isInteger(value))
    return `${field} must be a whole number from ${min} to ${max}, got ${value}`;
  if (!(value >= min && value <= max))
    return `${field} must be between ${min} and ${max}, got ${value}`;
  return null;
}
