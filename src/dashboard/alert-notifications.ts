import { createEffect, createSignal, onCleanup, type Accessor } from 'solid-js';
import type { AlertItem } from './topics.ts';

/** The alerts firing now: each metric whose newest feed item is a warning, that warning. */
export function firingAlerts(items: readonly AlertItem[]): AlertItem[] {
  const newest = new Map<string, AlertItem>();
  for (const item of items) newest.set(item.metric, item);
  return [...newest.values()].filter((item) => item.level === 'warning');
}

/** "(2) Tether — live host metrics" while two alerts fire; the title as it was otherwise. */
export function showCountInTitle(count: Accessor<number>): void {
  const plain = document.title;
  createEffect(() => {
    const n = count();
    document.title = n > 0 ? `(${n}) ${plain}` : plain;
  });
  onCleanup(() => (document.title = plain));
}

const OPT_IN_KEY = 'tether.alertNotifications';
/** Alert ids some tab of this origin has already notified, newest last. */
const NOTIFIED_KEY = 'tether.notifiedAlerts';
const NOTIFIED_KEPT = 100;
const LOCK = 'tether.alertNotifications';

export type NotificationSupport = 'unsupported' | NotificationPermission;

/**
 * Browser notifications for alerts that fire while the tab is hidden, once the user opts in (the
 * choice is kept per browser). Each alert is notified once per origin, however many tabs see it:
 * tabs take turns under a Web Lock and record what they notified in localStorage, and the
 * notification's `tag` (the alert id) lets the system replace rather than repeat it.
 */
export function createAlertNotifications() {
  const supported = typeof Notification === 'function';
  const [permission, setPermission] = createSignal<NotificationSupport>(
    supported ? Notification.permission : 'unsupported',
  );
  const [optedIn, setOptedIn] = createSignal(readOptIn());
  // The choice is the browser's: another tab's checkbox shows here too.
  const onStorage = (e: StorageEvent) => e.key === OPT_IN_KEY && setOptedIn(readOptIn());
  window.addEventListener('storage', onStorage);
  onCleanup(() => window.removeEventListener('storage', onStorage));

  const enable = async (on: boolean) => {
    setOptedIn(on);
    writeOptIn(on);
    if (on && supported && Notification.permission === 'default')
      setPermission(await Notification.requestPermission());
  };

  const notify = (item: AlertItem) => {
    if (!readOptIn() || !supported || Notification.permission !== 'granted') return;
    if (document.visibilityState !== 'hidden') return;
    const show = () => {
      const notified = readNotified();
      if (notified.includes(item.id)) return;
      writeNotified([...notified, item.id].slice(-NOTIFIED_KEPT));
      new Notification(`Tether alert: ${item.metric}`, { body: item.message, tag: item.id });
    };
    if (navigator.locks) void navigator.locks.request(LOCK, show);
    else show();
  };

  return { permission, optedIn, enable, notify };
}

function readOptIn(): boolean {
  try {
    return localStorage.getItem(OPT_IN_KEY) === 'on';
  } catch {
    return false;
  }
}
function writeOptIn(on: boolean): void {
  try {
    if (on) localStorage.setItem(OPT_IN_KEY, 'on');
    else localStorage.removeItem(OPT_IN_KEY);
  } catch {
    // Storage blocked: the choice lasts for this page only.
  }
}
function readNotified(): string[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(NOTIFIED_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((id) => typeof id === 'string') : [];
  } catch {
    return [];
  }
}
function writeNotified(ids: string[]): void {
  try {
    localStorage.setItem(NOTIFIED_KEY, JSON.stringify(ids));
  } catch {
    // Storage blocked: the tag still lets the system show each alert once.
  }
}
