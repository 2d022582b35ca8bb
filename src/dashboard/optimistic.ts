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
 * Lays the actions the data does not show yet over the server's data, in order. The caller picks
 * them: pending ones (until acked or refused) and acked ones until the data catches up. They are
 * merged per field by the server, so a change of another field meanwhile does not void them. The
 * result's version is the one the server will hold once all of them apply: the `version` an edit
 * sent without a base (the older whole-document check) must carry.
 */
export function overlay(server: Thresholds, actions: readonly ThresholdAction[]): Thresholds {
  let shown = server;
  for (const action of actions) shown = { ...shown, ...action.set, version: shown.version + 1 };
  return shown;
}
