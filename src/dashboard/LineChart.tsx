import { createEffect, onCleanup, onMount, untrack } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { createFrameScheduler } from '../solid/index.ts';

export interface LineChartProps {
  /** Accessible name of the chart, e.g. "CPU usage over time". */
  label: string;
  /** The y series; the x series (time, seconds) is added here. A new array rebuilds the chart. */
  series: uPlot.Series[];
  /** Columns: [x seconds, ...one per series]. A new reference means new data. */
  data: uPlot.AlignedData | undefined;
  yRange?: uPlot.Scale.Range;
  yFormat?: (value: number) => string;
  /** Tick steps for the y axis, e.g. powers of two for bytes. */
  yIncrs?: number[];
  height?: number;
}

const AXIS = {
  stroke: '#a3aebb',
  grid: { stroke: 'rgba(255,255,255,0.07)' },
  ticks: { stroke: 'rgba(255,255,255,0.12)' },
};

/**
 * A thin uPlot wrapper. Data and size changes are applied in one animation-frame flush, so the
 * canvas redraws at most once per frame whatever the update rate, and follows its container's width.
 */
export function LineChart(props: LineChartProps) {
  let container!: HTMLDivElement;
  let chart: uPlot | null = null;
  let shownData: uPlot.AlignedData | undefined;
  let width = 0;
  let sizeDirty = false;
  const height = () => props.height ?? 220;

  const schedule = createFrameScheduler(() => {
    if (!chart) return;
    if (sizeDirty) chart.setSize({ width, height: height() });
    sizeDirty = false;
    const data = props.data;
    if (data && data !== shownData) {
      chart.setData(data);
      shownData = data;
    }
  });

  const build = (series: uPlot.Series[]) => {
    chart?.destroy();
    shownData = props.data;
    chart = new uPlot(
      {
        width,
        height: height(),
        // Lines only: at 120 samples per series, point markers are noise.
        series: [{ label: 'Time' }, ...series.map((s) => ({ points: { show: false }, ...s }))],
        scales: { x: { time: true }, y: props.yRange ? { range: props.yRange } : {} },
        axes: [
          { ...AXIS },
          {
            ...AXIS,
            size: 64,
            ...(props.yIncrs ? { incrs: props.yIncrs } : {}),
            values: (_u, splits) =>
              splits.map((v) => (props.yFormat ? props.yFormat(v) : String(v))),
          },
        ],
      },
      shownData ?? [[], ...series.map(() => [])],
      container,
    );
  };

  onMount(() => {
    width = container.clientWidth || 300;
    const observer = new ResizeObserver(([entry]) => {
      const next = Math.floor(entry?.contentRect.width ?? 0);
      if (next > 0 && next !== width) {
        width = next;
        sizeDirty = true;
        schedule();
      }
    });
    observer.observe(container);
    // Rebuild only when the series change (e.g. the core count became known); data goes through the flush.
    createEffect(() => {
      const series = props.series;
      untrack(() => build(series));
    });
    createEffect(() => {
      if (props.data !== shownData) schedule();
    });
    onCleanup(() => {
      observer.disconnect();
      chart?.destroy();
      chart = null;
    });
  });

  return <div class="chart" ref={container} role="figure" aria-label={props.label} />;
}
