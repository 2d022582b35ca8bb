import { Show, createMemo } from 'solid-js';
import type uPlot from 'uplot';
import { LineChart } from '../LineChart.tsx';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { formatBytes, formatPercent } from '../format.ts';
import { useTopic } from '../hooks.ts';
import type { MemoryData } from '../topics.ts';

const byteValue = (_u: uPlot, v: number | null) => (v == null ? '—' : formatBytes(v));
const SERIES: uPlot.Series[] = [
  {
    label: 'Used',
    stroke: 'var(--chart-1)',
    fill: 'var(--chart-fill)',
    width: 2,
    value: byteValue,
  },
  { label: 'Server RSS', stroke: 'var(--chart-3)', width: 1.5, value: byteValue },
];

/** 1 MiB … 1 TiB in powers of two, so the axis reads 4 GiB, 8 GiB… rather than 4.7 GiB, 9.3 GiB. */
const BYTE_STEPS = Array.from({ length: 21 }, (_, i) => 2 ** (20 + i));

function memoryColumns(data: MemoryData): uPlot.AlignedData {
  return [
    data.samples.map((s) => s.t / 1000),
    data.samples.map((s) => s.usedBytes),
    data.samples.map((s) => s.serverRssBytes),
  ];
}

export function MemoryChart() {
  const topic = useTopic('host.memory');
  const columns = createMemo(() => {
    const data = topic.data();
    return data ? memoryColumns(data) : undefined;
  });
  const latest = () => topic.data()?.samples.at(-1);
  // The y scale spans the machine's memory, so the line's height means something at a glance.
  const range: uPlot.Scale.Range = (_u, _min, max) => [
    0,
    Math.max(topic.data()?.totalBytes ?? 0, max),
  ];

  return (
    <WidgetFrame widget="memory" title="Memory" view={topic.view()}>
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        {(data) => (
          <p class="summary">
            Used <strong>{latest() ? formatBytes(latest()!.usedBytes) : '—'}</strong> of{' '}
            {formatBytes(data().totalBytes)}
            {latest()
              ? ` (${formatPercent((100 * latest()!.usedBytes) / data().totalBytes)})`
              : ''}{' '}
            · server RSS {latest() ? formatBytes(latest()!.serverRssBytes) : '—'}
          </p>
        )}
      </Show>
      <LineChart
        label="Memory used and server resident set size over time"
        series={SERIES}
        data={columns()}
        yRange={range}
        yFormat={formatBytes}
        yIncrs={BYTE_STEPS}
      />
    </WidgetFrame>
  );
}
