import { createSignal } from 'solid-js';

export const WIDGETS = [
  { id: 'cpu', label: 'CPU chart' },
  { id: 'memory', label: 'Memory chart' },
  { id: 'load', label: 'Load average' },
  { id: 'eventloop', label: 'Event-loop delay' },
  { id: 'clients', label: 'Connected clients' },
  { id: 'alerts', label: 'Alerts' },
  { id: 'thresholds', label: 'Alert thresholds' },
  { id: 'activity', label: 'Connection activity' },
] as const;
export type WidgetId = (typeof WIDGETS)[number]['id'];

export const WIDGETS_STORAGE_KEY = 'tether.widgets.v1';

/** Merely reading `localStorage` throws where storage is blocked (sandboxed frames, some private modes). */
function browserStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/**
 * Which widgets are shown, persisted in localStorage as the list of hidden ids (so widgets added
 * in a later version show up by default). Storage failures (private mode, quota) only lose persistence.
 */
export function createWidgetSettings() {
  const storage = browserStorage();
  const read = (): Set<WidgetId> => {
    try {
      const parsed: unknown = JSON.parse(storage?.getItem(WIDGETS_STORAGE_KEY) ?? '[]');
      return new Set(Array.isArray(parsed) ? (parsed.filter((id) => WIDGETS.some((w) => w.id === id)) as WidgetId[]) : []);
    } catch {
      return new Set();
    }
  };
  const [hidden, setHidden] = createSignal(read());
  const shown = (id: WidgetId) => !hidden().has(id);
  const toggle = (id: WidgetId) => {
    const next = new Set(hidden());
    if (!next.delete(id)) next.add(id);
    setHidden(next);
    try {
      storage?.setItem(WIDGETS_STORAGE_KEY, JSON.stringify([...next]));
    } catch {
      // Keep working for this page view.
    }
  };
  return { shown, toggle };
}
