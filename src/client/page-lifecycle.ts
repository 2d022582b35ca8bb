import { fromCallback } from 'xstate';
import type { EventObject } from 'xstate';
import type { PageEvent } from '../../machines/connection.ts';

/** The window events this actor follows (`window` in a browser, a fake in tests). */
export interface PageWindow {
  addEventListener(
    type: 'pagehide' | 'pageshow',
    listener: (event: { persisted?: boolean }) => void,
  ): void;
  removeEventListener(
    type: 'pagehide' | 'pageshow',
    listener: (event: { persisted?: boolean }) => void,
  ): void;
}

/** The document's visibility (`document` in a browser). */
export interface PageDocument {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

export interface WakeDetection {
  /** How often the wall clock is looked at. */
  intervalMs: number;
  /** A tick this much later than due means the machine slept (or the page was frozen). */
  thresholdMs: number;
}

export interface PageLifecycleSettings {
  /** `null` where there is no page to unload (a worker). */
  window: PageWindow | null;
  /** `null` where there is no visibility (a worker). */
  document: PageDocument | null;
  wake: WakeDetection | null;
  now: () => number;
  setInterval: (run: () => void, ms: number) => unknown;
  clearInterval: (handle: unknown) => void;
}

// A sleep longer than 10 s is always noticed (the tick before it came at most 5 s earlier).
export const DEFAULT_WAKE: WakeDetection = { intervalMs: 5_000, thresholdMs: 5_000 };

/** The browser's page: visibility, unload/back-forward cache, and a wake detector; null outside a page. */
export function browserPage(now: () => number): PageLifecycleSettings | null {
  if (typeof window === 'undefined' || typeof document === 'undefined') return null;
  return {
    window,
    document,
    wake: DEFAULT_WAKE,
    now,
    setInterval: (run, ms) => setInterval(run, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  };
}

/**
 * Tells the connection what the page goes through. Timers of hidden tabs are throttled and a
 * sleeping machine runs none, so the statechart's own clock cannot be trusted on return: becoming
 * visible and waking (a tick far later than due) send `LINK.CHECK`, a ping answered or not within
 * the check timeout. `pagehide` (unload, or entering the back/forward cache) sends `PAGE.HIDE`, which
 * closes the link on purpose so no reconnect starts while the page goes away; `pageshow` from
 * that cache sends `PAGE.SHOW`. Wake checks are made only while visible: a hidden tab's ticks are
 * late by design, and the check on becoming visible covers it.
 */
export const pageLifecycle = (settings: PageLifecycleSettings | null) =>
  fromCallback<EventObject>(({ sendBack }) => {
    if (!settings) return;
    const report = (event: PageEvent) => sendBack(event);
    const { window: page, document: doc, wake } = settings;
    const visible = () => doc === null || doc.visibilityState === 'visible';

    const onVisibility = () => {
      if (visible()) report({ type: 'LINK.CHECK' });
    };
    const onHide = () => report({ type: 'PAGE.HIDE' });
    const onShow = (event: { persisted?: boolean }) => {
      if (event.persisted) report({ type: 'PAGE.SHOW' });
    };
    doc?.addEventListener('visibilitychange', onVisibility);
    page?.addEventListener('pagehide', onHide);
    page?.addEventListener('pageshow', onShow);

    let lastTick = settings.now();
    const tick = () => {
      const now = settings.now();
      const late = now - lastTick - (wake?.intervalMs ?? 0);
      lastTick = now;
      if (wake && late > wake.thresholdMs && visible()) report({ type: 'LINK.CHECK' });
    };
    const timer = wake ? settings.setInterval(tick, wake.intervalMs) : undefined;

    return () => {
      doc?.removeEventListener('visibilitychange', onVisibility);
      page?.removeEventListener('pagehide', onHide);
      page?.removeEventListener('pageshow', onShow);
      if (timer !== undefined) settings.clearInterval(timer);
    };
  });
