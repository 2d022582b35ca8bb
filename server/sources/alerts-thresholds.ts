import os from 'node:os';
// The default import: Node's ESM loader cannot see fast-json-patch's CommonJS named exports.
import jsonpatch from 'fast-json-patch';
import * as v from 'valibot';
import {
  DEFAULT_HOLD_SAMPLES,
  DEFAULT_MARGIN_PERCENT,
  ErrorCode,
  memberField,
  outOfLimits,
} from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';
import { undeclared, undeclaredRefusal } from '../field-merge.ts';
import type { ActionBase } from '../field-merge.ts';
import type { ActionResult } from '../hub.ts';
import type { TetherServer } from '../tether-server.ts';

export const ALERTS_THRESHOLDS = 'alerts.thresholds';

export interface Thresholds {
  version: number;
  cpuPercent: number;
  memoryPercent: number;
  load1: number;
  /** Absent in states saved before it existed: DEFAULT_HOLD_SAMPLES. */
  holdSamples?: number;
  /** Absent in states saved before it existed: DEFAULT_MARGIN_PERCENT. */
  marginPercent?: number;
}

type Metric = Exclude<keyof Thresholds, 'version'>;

const Finite = v.pipe(v.number(), v.finite());
/** Shape only (ranges, from src/protocol/alert-settings.ts, are checked separately, to answer `out_of_range` rather than `bad_frame`). Unknown keys are refused so a typo is not silently ignored. */
const ThresholdsPayload = v.object({
  version: v.optional(v.pipe(v.number(), v.integer())),
  set: v.pipe(
    v.strictObject({
      cpuPercent: v.optional(Finite),
      memoryPercent: v.optional(Finite),
      load1: v.optional(Finite),
      holdSamples: v.optional(Finite),
      marginPercent: v.optional(Finite),
    }),
    v.check((set) => Object.keys(set).length > 0, 'set names at least one threshold'),
  ),
});

export const defaultThresholds = (): Thresholds => ({
  version: 1,
  cpuPercent: 90,
  memoryPercent: 90,
  load1: os.availableParallelism() * 2,
  holdSamples: DEFAULT_HOLD_SAMPLES,
  marginPercent: DEFAULT_MARGIN_PERCENT,
});

/**
 * The `alerts.thresholds` action: `{ set: { cpuPercent?, memoryPercent?, load1?, holdSamples?,
 * marginPercent? } }` (limits: src/protocol/alert-settings.ts). Sent with a
 * base and fields (`/cpuPercent`, …), it is merged per field: the dispatcher has already checked
 * that none of them changed since the base (server/field-merge.ts), so other thresholds may have.
 * Without a base it carries the `version` it was made from, which must be the current one (the
 * older whole-document check). Success bumps the version by one either way.
 */
export function applyThresholdsAction(
  payload: unknown,
  state: Thresholds,
  base?: ActionBase,
): ActionResult {
  const parsed = v.safeParse(ThresholdsPayload, payload);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = v.getDotPath(issue);
    return {
      ok: false,
      code: ErrorCode.badFrame,
      message: `payload${path ? `.${path}` : ''}: ${issue.message}`,
    };
  }
  const { version, set } = parsed.output;
  if (base) {
    const outside = undeclared(Object.keys(set).map(memberField), base.fields);
    if (outside.length > 0) return undeclaredRefusal(outside);
  } else if (version === undefined) {
    return {
      ok: false,
      code: ErrorCode.badFrame,
      message: 'payload.version: send the version the edit was made from, or a base and fields',
    };
  } else if (version !== state.version) {
    return {
      ok: false,
      code: ErrorCode.conflict,
      message: `thresholds are at version ${state.version}, not ${version}; reload and retry`,
    };
  }
  for (const [metric, value] of Object.entries(set) as [Metric, number | undefined][]) {
    const refusal = value === undefined ? null : outOfLimits(metric, value);
    if (refusal) return { ok: false, code: ErrorCode.outOfRange, message: refusal };
  }
  const next: Thresholds = { ...state, ...definedOnly(set), version: state.version + 1 };
  return { ok: true, ops: jsonpatch.compare(state, next) as PatchOperation[] };
}

function definedOnly(
  set: Partial<Record<Metric, number | undefined>>,
): Partial<Record<Metric, number>> {
  return Object.fromEntries(Object.entries(set).filter(([, value]) => value !== undefined));
}

/** `alerts.thresholds`: the writable topic the alert feed compares host metrics against. */
export function defineAlertThresholds(
  server: TetherServer,
  initial: Thresholds = defaultThresholds(),
) {
  return server.defineTopic<Thresholds>(ALERTS_THRESHOLDS, {
    initial,
    writable: true,
    onAction: (payload, { state, base }) => applyThresholdsAction(payload, state, base),
  });
}
