import { For, Show, createMemo } from 'solid-js';
import type { TopicWidgetEntry } from '../../protocol/index.ts';
import { asRows, columnsOf, formatValue } from './read-data.ts';

const DEFAULT_LIMIT = 50;

/** A list of objects as a table: columns from `fields` (default: the rows' keys), the first `limit` rows in order. */
export function TableView(props: { entry: TopicWidgetEntry; value: unknown }) {
  const rows = createMemo(() => asRows(props.value));
  const columns = createMemo(() => props.entry.fields ?? columnsOf(rows() ?? []));
  const limit = () => props.entry.limit ?? DEFAULT_LIMIT;
  const shown = createMemo(() => (rows() ?? []).slice(0, limit()));
  return (
    <Show
      when={rows()}
      fallback={
        <p class="muted">
          Expected a list of objects{props.entry.path ? ` at ${props.entry.path}` : ''} for a table.
        </p>
      }
    >
      {(all) => (
        <Show when={all().length > 0} fallback={<p class="muted">No rows.</p>}>
          <div
            class="table-scroll"
            tabIndex={0}
            role="group"
            aria-label={`${props.entry.title}, rows`}
          >
            <table class="data-table">
              <thead>
                <tr>
                  <For each={columns()}>{(column) => <th scope="col">{column}</th>}</For>
                </tr>
              </thead>
              <tbody>
                <For each={shown()}>
                  {(row) => (
                    <tr>
                      <For each={columns()}>
                        {(column) => (
                          <td data-numeric={typeof row[column] === 'number' ? '' : undefined}>
                            {formatValue(row[column])}
                          </td>
                        )}
                      </For>
                    </tr>
                  )}
                </For>
              </tbody>
            </table>
          </div>
          <Show when={all().length > shown().length}>
            <p class="tile-note">
              Showing {shown().length} of {all().length} rows.
            </p>
          </Show>
        </Show>
      )}
    </Show>
  );
}
