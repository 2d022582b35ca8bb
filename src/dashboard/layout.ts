import { createSignal } from 'solid-js';
import {
  isTopicWidget,
  validateDashboardConfig,
  widgetId,
  type DashboardConfig,
  type WidgetEntry,
} from '../protocol/index.ts';
import { browserStorage } from './storage.ts';

export const LAYOUT_STORAGE_KEY = 'tether.layout.v1';

/** Whether a widget spans two columns unless its entry says: the charts do. */
export function isWide(entry: WidgetEntry): boolean {
  if (entry.wide !== undefined) return entry.wide;
  return isTopicWidget(entry)
    ? entry.view === 'series'
    : entry.view === 'cpu' || entry.view === 'memory';
}

function storedLayout(): DashboardConfig | null {
  try {
    const raw = browserStorage()?.getItem(LAYOUT_STORAGE_KEY);
    if (!raw) return null;
    const checked = validateDashboardConfig(JSON.parse(raw));
    return checked.ok ? checked.config : null;
  } catch {
    return null;
  }
}

export type ImportResult = { ok: true } | { ok: false; message: string };

/**
 * The dashboard as this browser arranged it: the server's config (TETHER_DASHBOARD) with widgets
 * reordered and resized, or one imported from a file. It is itself a dashboard config, kept in
 * localStorage and validated with the server's schema when read, imported or exported, so an
 * exported layout can be given to the server as is.
 */
export function createLayout(serverConfig: DashboardConfig) {
  const [config, setConfig] = createSignal(storedLayout() ?? serverConfig);
  const save = (next: DashboardConfig) => {
    setConfig(next);
    try {
      browserStorage()?.setItem(LAYOUT_STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Keep the layout for this page view.
    }
  };
  const indexOf = (id: string) => config().widgets.findIndex((entry) => widgetId(entry) === id);

  /** Moves a widget to `to` (an index in the whole list); false when it cannot move there. */
  const moveTo = (id: string, to: number): boolean => {
    const from = indexOf(id);
    const widgets = [...config().widgets];
    if (from < 0 || to < 0 || to >= widgets.length || to === from) return false;
    const [entry] = widgets.splice(from, 1);
    widgets.splice(to, 0, entry!);
    save({ ...config(), widgets });
    return true;
  };
  const toggleWide = (id: string) => {
    const widgets = config().widgets.map((entry) =>
      widgetId(entry) === id ? { ...entry, wide: !isWide(entry) } : entry,
    );
    save({ ...config(), widgets });
  };
  /** Replaces the layout with a dashboard config file's text; a bad file changes nothing. */
  const importText = (text: string): ImportResult => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return { ok: false, message: `Not JSON: ${(error as Error).message}` };
    }
    const checked = validateDashboardConfig(parsed);
    if (!checked.ok) return { ok: false, message: `Not a dashboard config: ${checked.message}` };
    save(checked.config);
    return { ok: true };
  };
  const exportText = () => `${JSON.stringify(config(), null, 2)}\n`;
  const reset = () => {
    setConfig(serverConfig);
    try {
      browserStorage()?.removeItem(LAYOUT_STORAGE_KEY);
    } catch {
      // Nothing was stored.
    }
  };
  return { config, indexOf, moveTo, toggleWide, importText, exportText, reset };
}

export type Layout = ReturnType<typeof createLayout>;
