import { DEFAULT_HOLD_SAMPLES, DEFAULT_MARGIN_PERCENT } from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';
import type { TetherServer } from '../tether-server.ts';
import { resolveLevel, stepAlert } from './alert-rules.ts';
import type { AlertRule, AlertState } from './alert-rules.ts';
import type { Thresholds } from './alerts-thresholds.ts';

export const ALERTS_FEED = 'alerts.feed';
/** Items kept in the feed, newest last. */
export const FEED_LENGTH = 50;

export type AlertMetric = 'cpu' | 'memory' | 'load1';

export interface AlertItem {
  id: string;
  t: number;
  metric: AlertMetric;
  level: 'warning' | 'resolved';
  value: number;
  threshold: number;
  message: string;
}

export interface FeedState {
  items: AlertItem[];
}

export type Readings = Record<AlertMetric, number>;

const THRESHOLD_OF: Record<AlertMetric, 'cpuPercent' | 'memoryPercent' | 'load1'> = {
  cpu: 'cpuPercent',
  memory: 'memoryPercent',
  load1: 'load1',
};
const LABEL: Record<AlertMetric, (value: number) => string> = {
  cpu: (value) => `CPU ${value}%`,
  memory: (value) => `memory ${value}%`,
  load1: (value) => `load ${value}`,
};

const round2 = (value: number) => Math.round(value * 100) / 100;

/** Whether `metric` is firing, as the feed last said: a new sampler (a restart, another node of a cluster) carries on from it. */
function firingInFeed(items: readonly AlertItem[], metric: AlertMetric): boolean {
  for (let i = items.length - 1; i >= 0; i--)
    if (items[i]!.metric === metric) return items[i]!.level === 'warning';
  return false;
}

/**
 * `alerts.feed`: a `warning` when a metric has stayed above its threshold for the hold time, a
 * `resolved` when it has stayed below the resolve level as long (alert-rules.ts). Only those
 * transitions are reported, so a metric that stays high raises one warning and a flapping one none.
 */
export function defineAlertFeed(server: TetherServer, thresholds: () => Thresholds) {
  const topic = server.defineTopic<FeedState>(ALERTS_FEED, { initial: { items: [] } });
  const states = new Map<AlertMetric, AlertState>();
  let counter = 0;
  return {
    /** Forgets the streaks: this node (re)starts sampling and carries on from the feed. */
    resume(): void {
      states.clear();
    },
    evaluate(t: number, readings: Readings): void {
      const current = thresholds();
      const ops: PatchOperation[] = [];
      let length = topic.state.items.length;
      for (const metric of Object.keys(readings) as AlertMetric[]) {
        const value = readings[metric];
        const rule: AlertRule = {
          threshold: current[THRESHOLD_OF[metric]],
          holdSamples: current.holdSamples ?? DEFAULT_HOLD_SAMPLES,
          marginPercent: current.marginPercent ?? DEFAULT_MARGIN_PERCENT,
        };
        const before = states.get(metric) ?? {
          firing: firingInFeed(topic.state.items, metric),
          streak: 0,
        };
        const { state, transition } = stepAlert(before, value, rule);
        states.set(metric, state);
        if (!transition) continue;
        const { threshold, holdSamples, marginPercent } = rule;
        const item: AlertItem = {
          id: `${t.toString(36)}-${(counter++).toString(36)}`,
          t,
          metric,
          level: transition === 'fire' ? 'warning' : 'resolved',
          value,
          threshold,
          message:
            transition === 'fire'
              ? `${LABEL[metric](value)} has stayed above the threshold of ${threshold} for ${holdSamples} ${holdSamples === 1 ? 'sample' : 'samples'}`
              : `${LABEL[metric](value)} is back below ${round2(resolveLevel(rule))} (the threshold of ${threshold} less ${marginPercent}%)`,
        };
        ops.push({ op: 'add', path: '/items/-', value: item });
        if (++length > FEED_LENGTH) {
          ops.push({ op: 'remove', path: '/items/0' });
          length--;
        }
      }
      if (ops.length > 0) topic.publish(ops);
    },
  };
}
