import { createSignal } from 'solid-js';
import { browserStorage } from './storage.ts';

export type Theme = 'light' | 'dark';

export const THEME_STORAGE_KEY = 'tether.theme.v1';

const systemQuery = (): MediaQueryList | null =>
  typeof globalThis.matchMedia === 'function'
    ? globalThis.matchMedia('(prefers-color-scheme: light)')
    : null;

function storedChoice(): Theme | null {
  try {
    const value = browserStorage()?.getItem(THEME_STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

/**
 * The page's theme: the system's (`prefers-color-scheme`, followed live) until the user picks one
 * with the toggle; the pick persists in localStorage. `document.documentElement.dataset.theme`
 * carries it to the CSS, whose custom properties hold every colour of both themes.
 */
export function createTheme() {
  const query = systemQuery();
  const [system, setSystem] = createSignal<Theme>(query?.matches ? 'light' : 'dark');
  const [choice, setChoice] = createSignal<Theme | null>(storedChoice());
  const theme = () => choice() ?? system();
  // The attribute changes before the signal, so whatever the signal wakes (charts) reads the new colours.
  const show = (next: Theme) => {
    if (typeof document !== 'undefined') document.documentElement.dataset.theme = next;
  };
  show(theme());
  query?.addEventListener('change', (event) => {
    const next: Theme = event.matches ? 'light' : 'dark';
    if (choice() === null) show(next);
    setSystem(next);
  });
  const toggle = () => {
    const next: Theme = theme() === 'dark' ? 'light' : 'dark';
    show(next);
    setChoice(next);
    try {
      browserStorage()?.setItem(THEME_STORAGE_KEY, next);
    } catch {
      // Keep the choice for this page view.
    }
  };
  return { theme, toggle };
}

/** The page-wide theme, shared by the toggle and the charts (which draw on canvas and must re-read colours). */
export const pageTheme = createTheme();

/** A colour of the current theme by custom property name (`--chart-1`), for canvas drawing. */
export function themeColour(name: string, fallback = '#888888'): string {
  if (typeof document === 'undefined') return fallback;
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

/** Line colours of the charts, one per series in turn; LineChart resolves them for the current theme. */
export const SERIES_COLOURS = Array.from({ length: 8 }, (_, i) => `var(--chart-${i + 1})`);

/** `var(--name)` as the current theme's colour; any other colour as it is. */
export function resolveColour<T>(value: T): T | string {
  const match = typeof value === 'string' ? /^var\((--[\w-]+)\)$/.exec(value) : null;
  return match ? themeColour(match[1]!) : value;
}
