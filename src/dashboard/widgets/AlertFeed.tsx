import { For, Show, createEffect, createMemo, on } from 'solid-js';
import {
  createAlertNotifications,
  firingAlerts,
  showCountInTitle,
} from '../alert-notifications.ts';
import { WidgetFrame } from '../WidgetFrame.tsx';
import './alert-feed.css';
import { formatClock } from '../format.ts';
import { useToasts } from '../toasts.ts';
import { useTopic } from '../hooks.ts';
import type { AlertItem } from '../topics.ts';

const LEVEL_LABEL = { warning: 'Warning', resolved: 'Resolved' } as const;
const METRIC_LABEL = { cpu: 'CPU', memory: 'Memory', load1: 'Load (1 min)' } as const;

/**
 * The server's alert feed, newest first. Alerts that arrive while the widget is mounted also
 * raise a toast, and a browser notification when the tab is hidden and the user opted in; the
 * backlog in the first snapshot does not (it is already on screen). The tab title counts the
 * alerts firing now.
 */
export function AlertFeed() {
  const topic = useTopic('alerts.feed');
  const toasts = useToasts();
  const notifications = createAlertNotifications();
  const newestFirst = createMemo(() => [...(topic.data()?.items ?? [])].reverse());
  showCountInTitle(() => firingAlerts(topic.data()?.items ?? []).length);

  let known: Set<string> | null = null;
  createEffect(
    on(topic.data, (data) => {
      if (!data) return;
      if (known) {
        for (const item of data.items) {
          if (known.has(item.id)) continue;
          toasts.push(
            item.level === 'warning' ? 'warning' : 'info',
            `${LEVEL_LABEL[item.level]}: ${item.message}`,
            // One toast per metric and level: a repeat counts up instead of stacking.
            `alert:${item.metric}:${item.level}`,
          );
          if (item.level === 'warning') notifications.notify(item);
        }
      }
      // Rebuilt from the (bounded) feed each time, so it never outgrows the feed.
      known = new Set(data.items.map((item) => item.id));
    }),
  );

  return (
    <WidgetFrame widget="alerts" title="Alerts" view={topic.view()}>
      <NotifyOptIn {...notifications} />
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        <Show when={newestFirst().length > 0} fallback={<p class="muted">No alerts.</p>}>
          <ul class="feed" tabIndex={0} aria-label="Alerts, newest first">
            <For each={newestFirst()}>{(item) => <AlertRow item={item} />}</For>
          </ul>
        </Show>
      </Show>
    </WidgetFrame>
  );
}

function AlertRow(props: { item: AlertItem }) {
  return (
    <li>
      <span class="level" data-level={props.item.level}>
        {LEVEL_LABEL[props.item.level]}
      </span>
      <time datetime={new Date(props.item.t).toISOString()}>{formatClock(props.item.t)}</time>
      <span>{METRIC_LABEL[props.item.metric] ?? props.item.metric}</span>
      <span class="detail">{props.item.message}</span>
    </li>
  );
}

/** The opt-in for browser notifications while the tab is hidden, and why they cannot be had. */
function NotifyOptIn(props: ReturnType<typeof createAlertNotifications>) {
  return (
    <div class="notify-opt-in">
      <label>
        <input
          type="checkbox"
          checked={props.optedIn()}
          disabled={props.permission() === 'unsupported'}
          onChange={(e) => void props.enable(e.currentTarget.checked)}
        />{' '}
        Notify me when this tab is hidden
      </label>
      <Show when={props.optedIn() && props.permission() === 'denied'}>
        <span class="hint">Notifications are blocked for this site in the browser's settings.</span>
      </Show>
      <Show when={props.permission() === 'unsupported'}>
        <span class="hint">This browser has no notifications.</span>
      </Show>
    </div>
  );
}
