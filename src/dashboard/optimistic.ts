/**
 * Optimistic display of a versioned, writable topic (alerts.thresholds): the server's data with
 * the user's not-yet-reflected actions laid over it. Pure, so apply and rollback are testable
 * without a client: rollback is simply the action leaving the list.
 */

import {
  ALERT_SETTING_FIELDS,
  DEFAULT_HOLD_SAMPLES,
  DEFAULT_MARGIN_PERCENT,
  type AlertSettingField,
} from '../protocol/index.ts';

export interface Thresholds {
  version: number;
  cpuPercent: number;
  memoryPercent: number;
  load1: number;
  /** Absent in a state saved before it existed (the server then uses DEFAULT_HOLD_SAMPLES). */
  holdSamples?: number;
  /** Absent in a state saved before it existed (the server then uses DEFAULT_MARGIN_PERCENT). */
  marginPercent?: number;
}
export type ThresholdField = AlertSettingField;
export const THRESHOLD_FIELDS: readonly ThresholdField[] = ALERT_SETTING_FIELDS;

/** A field's value as the server uses it: hold and margin fall back to their defaults. */
export function settingValue(thresholds: Thresholds, field: ThresholdField): number {
  if (field === 'holdSamples') return thresholds.holdSamples ?? DEFAULT_HOLD_SAMPLES;
  if (field === 'marginPercent') return thresholds.marginPercent ?? DEFAULT_MARGIN_PERCENT;
  return thresholds[field];
}

/** The action payload of alerts.thresholds (docs/architecture.md). */
export interface ThresholdAction {
  version: number;
  set: Partial<Record<ThresholdField, number>>;
}

/** Outbox payloads are `unknown`; only well-formed threshold actions take part in the overlay. */
export function isThresholdAction(payload: unknown): payload is ThresholdAction {
  if (typeof payload !== 'object' || payload === null) return false;
  const { version, set } = payload as Record<string, unknown>;
  if (typeof version !== 'number' || typeof set !== 'object' || set === null) return false;
  return Object.entries(set).every(
    ([k, v]) => (THRESHOLD_FIELDS as readonly string[]).includes(k) && typeof v === 'number',
  );
}

/**
 * Applies, in order, each action the server has not reflected yet. An action made from version v
 * yields v + 1 when the server accepts it, so once the server's version is past v the action is
 * either in the data already (acked) or can no longer apply (it will be refused as a conflict);
 * both mean it must stop covering the server value. The result's version is the one the server
 * will hold if every shown action is accepted: the version the next edit should be made from.
 */
export function overlay(server: Thresholds, actions: readonly ThresholdAction[]): Thresholds {
  let shown = server;
  for (const action of actions) {
    if (action.version < server.version) continue;
    shown = { ...shown, ...action.set, version: Math.max(shown.version, action.version + 1) };
  }
  return shown;
}
