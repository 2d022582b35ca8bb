import { For, Show, createMemo } from 'solid-js';
import type { TopicWidgetEntry } from '../../protocol/index.ts';
import { StatTile } from '../StatTile.tsx';
import { formatNumber, formatValue, numericFields, type Row } from './read-data.ts';

type Figures = { label: string; value: string }[];

/**
 * Figures as tiles. A number is one tile; an object gives one tile per field in `fields` (default:
 * its numeric fields except the time field); a list of rows shows its newest (last) row.
 */
export function NumberView(props: { entry: TopicWidgetEntry; value: unknown }) {
  const suffix = () => (props.entry.unit ? ` ${props.entry.unit}` : '');
  const figures = createMemo((): Figures | null => {
    const value: unknown = Array.isArray(props.value) ? props.value.at(-1) : props.value;
    if (typeof value === 'number')
      return [{ label: props.entry.fields?.[0] ?? 'value', value: formatNumber(value) + suffix() }];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
    const row = value as Row;
    const fields = props.entry.fields ?? numericFields(row, [props.entry.x ?? 't']);
    return fields.map((field) => ({
      label: field,
      value:
        typeof row[field] === 'number'
          ? formatNumber(row[field]) + suffix()
          : formatValue(row[field]),
    }));
  });
  return (
    <Show
      when={figures()}
      fallback={
        <p class="muted">
          Expected a number or an object of numbers
          {props.entry.path ? ` at ${props.entry.path}` : ''}.
        </p>
      }
    >
      {(list) => (
        <dl class="tiles">
          <For each={list()}>
            {(figure) => <StatTile label={figure.label} value={figure.value} />}
          </For>
        </dl>
      )}
    </Show>
  );
}
