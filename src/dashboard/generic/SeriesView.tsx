import { For, Show, createMemo } from 'solid-js';
import type uPlot from 'uplot';
import type { TopicWidgetEntry } from '../../protocol/index.ts';
import { LineChart } from '../LineChart.tsx';
import { SERIES_COLOURS } from '../theme.ts';
import { asRows, asTime, formatNumber, numericFields, type Row } from './read-data.ts';

/**
 * A list of rows as a line chart: x is the time field (`x`, default `t`, ms since the epoch), one
 * line per field in `fields` (default: every numeric field of the newest row). Rows are normally
 * oldest first, as a topic that appends (`add /-`) and trims (`remove /0`) holds them.
 */
export function SeriesView(props: { entry: TopicWidgetEntry; value: unknown }) {
  const x = () => props.entry.x ?? 't';
  const unit = () => props.entry.unit ?? '';
  const rows = createMemo(() => asRows(props.value));
  // Joined into a string, so a new row with the same fields does not rebuild the chart.
  const fieldKey = createMemo(() =>
    (props.entry.fields ?? numericFields(rows()?.at(-1), [x()])).join('\n'),
  );
  const fields = createMemo(() => (fieldKey() === '' ? [] : fieldKey().split('\n')));
  const format = (v: number | null) =>
    v == null ? '—' : `${formatNumber(v)}${unit() && ` ${unit()}`}`;
  const series = createMemo((): uPlot.Series[] =>
    fields().map((field, i) => ({
      label: field,
      stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
      width: i === 0 ? 2 : 1.5,
      value: (_u, v) => format(v),
    })),
  );
  // uPlot needs ascending x; rows published out of order are sorted (a copy; the topic is immutable).
  const timed = createMemo(() => {
    const list = (rows() ?? []).filter((row) => asTime(row[x()]) !== null);
    const at = (row: Row) => asTime(row[x()])!;
    return list.every((row, i) => i === 0 || at(list[i - 1]!) <= at(row))
      ? list
      : // eslint-disable-next-line solid/reactivity -- sort calls this now, inside the memo that tracks x()
        [...list].sort((a, b) => at(a) - at(b));
  });
  const columns = createMemo((): uPlot.AlignedData => [
    timed().map((row) => asTime(row[x()])! / 1000),
    ...fields().map((field) =>
      timed().map((row) => (typeof row[field] === 'number' ? row[field] : null)),
    ),
  ]);
  const latest = () => timed().at(-1);

  return (
    <Show
      when={rows()}
      fallback={
        <p class="muted">
          Expected a list of rows{props.entry.path ? ` at ${props.entry.path}` : ''} for a series.
        </p>
      }
    >
      <Show
        when={fields().length > 0}
        fallback={<p class="muted">No numeric fields to chart yet.</p>}
      >
        <p class="summary">
          <For each={fields()}>
            {(field, i) => (
              <>
                {i() > 0 ? ' · ' : ''}
                {field}{' '}
                <strong>
                  {latest() && typeof latest()![field] === 'number'
                    ? format(latest()![field] as number)
                    : '—'}
                </strong>
              </>
            )}
          </For>
        </p>
        <LineChart
          label={`${props.entry.title} over time`}
          series={series()}
          data={columns()}
          yFormat={(v) => formatNumber(v)}
        />
      </Show>
    </Show>
  );
}
