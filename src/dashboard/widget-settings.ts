import { createSignal } from 'solid-js';
import type { BuiltinWidget } from '../protocol/index.ts';
import { browserStorage } from './storage.ts';

/** The Widgets menu's labels of the built-in widgets; topic widgets are listed under their title. */
export const BUILTIN_LABELS: Record<BuiltinWidget, string> = {
  cpu: 'CPU chart',
  memory: 'Memory chart',
  load: 'Load average',
  eventloop: 'Event-loop delay',
  clients: 'Connected clients',
  alerts: 'Alerts',
  thresholds: 'Alert thresholds',
  activity: 'Connection activity',
};

/** One widget of the dashboard config, as the Widgets menu lists it. */
export interface WidgetChoice {
  id: string;
  label: string;
}

export const WIDGETS_STORAGE_KEY = 'tether.widgets.v1';

/**
 * Which of the configured widgets are shown, persisted in localStorage as the list of hidden ids
 * (so widgets added to the config later show up by default). Ids the config no longer has are
 * dropped. Storage failures (private mode, quota) only lose persistence.
 */
export function createWidgetSettings(widgets: readonly WidgetChoice[]) {
  const storage = browserStorage();
  const known = new Set(widgets.map((w) => w.id));
  const read = (): Set<string> => {
    try {
      const parsed: unknown = JSON.parse(storage?.getItem(WIDGETS_STORAGE_KEY) ?? '[]');
      return new Set(
        Array.isArray(parsed)
          ? parsed.filter((id): id is string => typeof id === 'string' && known.has(id))
          : [],
      );
    } catch {
      return new Set();
    }
  };
  const [hidden, setHidden] = createSignal(read());
  const shown = (id: string) => !hidden().has(id);
  const toggle = (id: string) => {
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
