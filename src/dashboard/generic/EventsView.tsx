import { For, Show, createMemo } from 'solid-js';
import type { TopicWidgetEntry } from '../../protocol/index.ts';
import { formatClock } from '../format.ts';
import { asRows, asTime, formatValue, type Row } from './read-data.ts';

const DEFAULT_LIMIT = 50;
/** Shown as the event's time and level; the rest is its text. */
const TIME = 't';
const LEVEL = 'level';

/** The text of an event: the `fields` joined, else its `message`, else its other fields. */
function eventText(row: Row, fields: readonly string[] | undefined): string {
  if (fields) return fields.map((field) => formatValue(row[field])).join(' · ');
  if (typeof row.message === 'string') return row.message;
  const rest = Object.fromEntries(
    Object.entries(row).filter(([key]) => key !== TIME && key !== LEVEL && key !== 'id'),
  );
  return formatValue(rest);
}

/**
 * A list of events (objects, oldest first, as a topic that appends holds them), newest first:
 * time from `t` (ms or ISO text), a `level` badge when there is one, and the event's text.
 */
export function EventsView(props: { entry: TopicWidgetEntry; value: unknown }) {
  const rows = createMemo(() => asRows(props.value));
  const newestFirst = createMemo(() =>
    [...(rows() ?? [])].reverse().slice(0, props.entry.limit ?? DEFAULT_LIMIT),
  );
  return (
    <Show
      when={rows()}
      fallback={
        <p class="muted">
          Expected a list of events{props.entry.path ? ` at ${props.entry.path}` : ''}.
        </p>
      }
    >
      <Show when={newestFirst().length > 0} fallback={<p class="muted">No events.</p>}>
        <ul class="feed" tabIndex={0} aria-label={`${props.entry.title}, newest first`}>
          <For each={newestFirst()}>
            {(row) => {
              const t = asTime(row[TIME]);
              const level = typeof row[LEVEL] === 'string' ? row[LEVEL] : null;
              return (
                <li>
                  <Show when={level}>
                    <span class="level" data-level={level!}>
                      {level}
                    </span>
                  </Show>
                  <Show when={t !== null}>
                    <time datetime={new Date(t!).toISOString()}>{formatClock(t!)}</time>
                  </Show>
                  <span class="detail">{eventText(row, props.entry.fields)}</span>
                </li>
              );
            }}
          </For>
        </ul>
      </Show>
    </Show>
  );
}
