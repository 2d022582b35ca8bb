import { cleanup, render } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createAlertNotifications,
  firingAlerts,
  showCountInTitle,
} from '../../src/dashboard/alert-notifications.ts';
import type { AlertItem } from '../../src/dashboard/topics.ts';

const item = (id: string, metric: AlertItem['metric'], level: AlertItem['level']): AlertItem => ({
  id,
  t: 0,
  metric,
  level,
  value: 95,
  threshold: 90,
  message: `${metric} ${level}`,
});

/** A stand-in for the browser's Notification: records what was shown, with a permission to set. */
class FakeNotification {
  static permission: NotificationPermission = 'granted';
  static shown: { title: string; options?: NotificationOptions }[] = [];
  static requestPermission = vi.fn(async () => FakeNotification.permission);
  constructor(title: string, options?: NotificationOptions) {
    FakeNotification.shown.push({ title, options });
  }
}

let visibility: DocumentVisibilityState = 'hidden';

describe('alert notifications', () => {
  beforeEach(() => {
    localStorage.clear();
    FakeNotification.permission = 'granted';
    FakeNotification.shown = [];
    vi.stubGlobal('Notification', FakeNotification);
    visibility = 'hidden';
    vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility);
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  function tab() {
    let notifications!: ReturnType<typeof createAlertNotifications>;
    render(() => {
      notifications = createAlertNotifications();
      return null;
    });
    return notifications;
  }

  it('counts the metrics whose newest item is a warning', () => {
    expect(
      firingAlerts([
        item('1', 'cpu', 'warning'),
        item('2', 'memory', 'warning'),
        item('3', 'cpu', 'resolved'),
        item('4', 'load1', 'warning'),
      ]).map((a) => a.id),
    ).toEqual(['2', '4']);
  });

  it('shows the count in the tab title while alerts fire', () => {
    document.title = 'Tether';
    const [count, setCount] = createSignal(0);
    render(() => {
      showCountInTitle(count);
      return null;
    });
    expect(document.title).toBe('Tether');
    setCount(2);
    expect(document.title).toBe('(2) Tether');
    setCount(0);
    expect(document.title).toBe('Tether');
  });

  it('notifies nothing until the user opts in, and asks for permission then', async () => {
    FakeNotification.permission = 'default';
    const notifications = tab();
    notifications.notify(item('a', 'cpu', 'warning'));
    expect(FakeNotification.shown).toEqual([]);
    await notifications.enable(true);
    expect(FakeNotification.requestPermission).toHaveBeenCalled();
    expect(localStorage.getItem('tether.alertNotifications')).toBe('on');
  });

  it('notifies a firing alert once per origin, and only while the tab is hidden', async () => {
    const first = tab();
    const second = tab(); // another tab of the origin: same storage
    await first.enable(true);
    visibility = 'visible';
    first.notify(item('a', 'cpu', 'warning'));
    expect(FakeNotification.shown).toHaveLength(0);
    visibility = 'hidden';
    first.notify(item('b', 'cpu', 'warning'));
    second.notify(item('b', 'cpu', 'warning'));
    first.notify(item('b', 'cpu', 'warning'));
    expect(FakeNotification.shown).toEqual([
      { title: 'Tether alert: cpu', options: { body: 'cpu warning', tag: 'b' } },
    ]);
    second.notify(item('c', 'memory', 'warning'));
    expect(FakeNotification.shown.map((n) => n.options?.tag)).toEqual(['b', 'c']);
  });

  it('respects a refusal: nothing shown when the permission is denied', async () => {
    FakeNotification.permission = 'denied';
    const notifications = tab();
    await notifications.enable(true);
    notifications.notify(item('a', 'cpu', 'warning'));
    expect(FakeNotification.shown).toEqual([]);
    expect(notifications.permission()).toBe('denied');
  });
});
