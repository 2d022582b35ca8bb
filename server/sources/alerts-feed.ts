import type { PatchOperation } from '../../src/protocol/index.ts';
import type { TetherServer } from '../tether-server.ts';
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

const THRESHOLD_OF: Record<AlertMetric, keyof Omit<Thresholds, 'version'>> = {
  cpu: 'cpuPercent',
  memory: 'memoryPercent',
  load1: 'load1',
};
const LABEL: Record<AlertMetric, (value: number) => string> = {
  cpu: (value) => `CPU ${value}%`,
  memory: (value) => `memory ${value}%`,
  load1: (value) => `load ${value}`,
};

/**
 * `alerts.feed`: a `warning` when a metric rises above its threshold, a `resolved` when it falls
 * back to it or below. Only crossings are reported, so a metric that stays high raises one warning.
 */
export function defineAlertFeed(server: TetherServer, thresholds: () => Thresholds) {
  const topic = server.defineTopic<FeedState>(ALERTS_FEED, { initial: { items: [] } });
  const above = new Set<AlertMetric>();
  let counter = 0;
  return {
    evaluate(t: number, readings: Readings): void {
      const current = thresholds();
      const ops: PatchOperation[] = [];
      let length = topic.state.items.length;
      for (const metric of Object.keys(readings) as AlertMetric[]) {
        const value = readings[metric];
        const threshold = current[THRESHOLD_OF[metric]];
        const isAbove = value > threshold;
        if (isAbove === above.has(metric)) continue;
        if (isAbove) above.add(metric);
        else above.delete(metric);
        const item: AlertItem = {
          id: `${t.toString(36)}-${(counter++).toString(36)}`,
          t,
          metric,
          level: isAbove ? 'warning' : 'resolved',
          value,
          threshold,
          message: isAbove
            ? `${LABEL[metric](value)} is above the threshold of ${threshold}`
            : `${LABEL[metric](value)} is back within the threshold of ${threshold}`,
        };
        ops.push({ op: 'add', path: '/items/-', value: item });
        if (++length > FEED_LENGTH) {
          ops.push({ op: 'remove', path: '/items/0' });
          length--;
        }
      }
      topic.publish(ops);
    },
  };
}
