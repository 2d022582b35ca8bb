import { Show, createMemo } from 'solid-js';
import type uPlot from 'uplot';
import { LineChart } from '../LineChart.tsx';
import { SERIES_COLOURS } from '../theme.ts';
import { WidgetFrame } from '../WidgetFrame.tsx';
import { formatPercent } from '../format.ts';
import { useTopic } from '../hooks.ts';
import type { CpuData } from '../topics.ts';

function cpuColumns(data: CpuData): uPlot.AlignedData {
  const { samples, cores } = data;
  return [
    samples.map((s) => s.t / 1000),
    samples.map((s) => s.total),
    ...Array.from({ length: cores }, (_, core) => samples.map((s) => s.perCore[core] ?? null)),
  ];
}

export function CpuChart() {
  const topic = useTopic('host.cpu');
  const cores = createMemo(() => topic.data()?.cores ?? 0);
  // Distinct hues for cores; the total is drawn thicker in the text colour so it reads first.
  const series = createMemo((): uPlot.Series[] => [
    {
      label: 'Total',
      stroke: 'var(--chart-total)',
      width: 2.5,
      value: (_u, v) => (v == null ? '—' : formatPercent(v)),
    },
    ...Array.from({ length: cores() }, (_, i) => ({
      label: `Core ${i}`,
      stroke: SERIES_COLOURS[i % SERIES_COLOURS.length],
      width: 1,
      value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatPercent(v)),
    })),
  ]);
  const columns = createMemo(() => {
    const data = topic.data();
    return data ? cpuColumns(data) : undefined;
  });
  const latest = () => topic.data()?.samples.at(-1);

  return (
    <WidgetFrame widget="cpu" title="CPU" view={topic.view()}>
      <Show when={topic.data()} fallback={<p class="muted">No data yet.</p>}>
        {(data) => (
          <p class="summary">
            Total <strong>{latest() ? formatPercent(latest()!.total) : '—'}</strong> ·{' '}
            {data().cores} cores · {data().model}
          </p>
        )}
      </Show>
      <LineChart
        label="CPU usage per core and total, percent, over time"
        series={series()}
        data={columns()}
        yRange={[0, 100]}
        yFormat={(v) => `${v}%`}
      />
    </WidgetFrame>
  );
}
