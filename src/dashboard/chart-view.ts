import { createContext, createSignal, useContext, type Accessor } from 'solid-js';
import { browserStorage } from './storage.ts';

/** The time ranges the charts offer, in seconds; the host topics keep at least the longest. */
export const TIME_RANGES = [
  { seconds: 60, label: '1 m', name: '1 minute' },
  { seconds: 300, label: '5 m', name: '5 minutes' },
  { seconds: 900, label: '15 m', name: '15 minutes' },
] as const;

export const DEFAULT_RANGE_SECONDS = 300;
export const RANGE_STORAGE_KEY = 'tether.range.v1';

/** What every chart shows: how far back, and whether the view is frozen (`pausedAt`, ms) or live. */
export interface ChartView {
  /** null: the data's own span (at least a minute). */
  rangeSeconds: Accessor<number | null>;
  pausedAt: Accessor<number | null>;
}

function storedRange(): number {
  try {
    const value = Number(browserStorage()?.getItem(RANGE_STORAGE_KEY));
    return TIME_RANGES.some((r) => r.seconds === value) ? value : DEFAULT_RANGE_SECONDS;
  } catch {
    return DEFAULT_RANGE_SECONDS;
  }
}

/**
 * The dashboard's chart settings: the range persists per browser; pause is for this page view
 * only and freezes the charts' picture while the subscriptions keep receiving.
 */
export function createChartView(now: () => number = Date.now) {
  const [rangeSeconds, setRange] = createSignal(storedRange());
  const [pausedAt, setPausedAt] = createSignal<number | null>(null);
  const chooseRange = (seconds: number) => {
    setRange(seconds);
    try {
      browserStorage()?.setItem(RANGE_STORAGE_KEY, String(seconds));
    } catch {
      // Keep the range for this page view.
    }
  };
  const togglePause = () => setPausedAt(pausedAt() === null ? now() : null);
  return { rangeSeconds, pausedAt, chooseRange, togglePause };
}

/** Charts outside a dashboard (tests, other apps) show their data's span, never paused. */
export const ChartViewContext = createContext<ChartView>({
  rangeSeconds: () => null,
  pausedAt: () => null,
});

export const useChartView = () => useContext(ChartViewContext);
