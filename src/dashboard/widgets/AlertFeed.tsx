import { For, Show, createEffect, createMemo, on } from 'solid-js';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { formatClock } from '../format.ts';
import { useToasts } from '../toasts.ts';
import { useTopic } from '../hooks.ts';
import type { AlertItem } from '../topics.ts';

const LEVEL_LABEL = { warning: 'Warning', resolved: 'Resolved' } as const;
const METRIC_LABEL = { cpu: 'CPU', memory: 'Memory', load1: 'Load (1 min)' } as const;

/**
 * The server's alert feed, newest first. Alerts that arrive while the widget is mounted also
 * raise a toast; the backlog in the first snapshot does not (it is already on screen).
 */
export function AlertFeed() {
  const topic = useTopic('alerts.feed');
  const toasts = useToasts();
  const newestFirst = createMemo(() => [...(topic.data()?.items ?? [])].reverse());

  let known: Set<string> | null = null;
  createEffect(
    on(topic.data, (data) => {
      if (!data) return;
      if (known) {
        for (const item of data.items) {
          if (!known.has(item.id))
            toasts.push(
              item.level === 'warning' ? 'warning' : 'info',
              `${LEVEL_LABEL[item.level]}: ${item.message}`,
              // One toast per metric and level: a repeat counts up instead of stacking.
              `alert:${item.metric}:${item.level}`,
            );
        }
      }
      // Rebuilt from the (bounded) feed each time, so it never outgrows the feed.
      known = new Set(data.items.map((item) => item.id));
    }),
  );

  return (
    <WidgetFrame widget="alerts" title="Alerts" view={topic.view()}>
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        <Show when={newestFirst().length > 0} fallback={<p class="muted">No alerts.</p>}>
          <ul class="feed" aria-label="Alerts, newest first">
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
