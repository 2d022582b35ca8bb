import { For, Show } from 'solid-js';
import type { ActivityEntry } from '../activity-log.ts';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { formatClock } from '../format.ts';

/** The connection's history, newest first: what the badge said, and when. */
export function ActivityLog(props: { entries: ActivityEntry[] }) {
  return (
    <WidgetFrame widget="activity" title="Connection activity">
      <Show when={props.entries.length > 0} fallback={<p class="muted">Nothing yet.</p>}>
        <ol class="feed" tabIndex={0} aria-label="Connection events, newest first">
          <For each={props.entries}>
            {(entry) => (
              <li>
                <span class="level" data-status={entry.status}>
                  {entry.status}
                </span>
                <time datetime={new Date(entry.t).toISOString()}>{formatClock(entry.t)}</time>
                <span>{entry.text}</span>
                <code class="detail">{entry.statePath}</code>
              </li>
            )}
          </For>
        </ol>
      </Show>
    </WidgetFrame>
  );
}
