import { createEffect, onCleanup, onMount, untrack } from 'solid-js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { createFrameScheduler } from '../solid/index.ts';
import { useChartView } from './chart-view.ts';
import { formatClock } from './format.ts';
import { pageTheme, resolveColour, themeColour } from './theme.ts';

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

/** The time axis spans at least this long, so 0, 1 or 2 samples sit on a readable scale of seconds. */
const MIN_SPAN_SEC = 60;

/**
 * The x range (seconds) shown for data from `min` to `max`: the data, but at least a minute,
 * ending at the newest sample (or now, with none). uPlot alone stretches one sample over years.
 */
export function timeRange(
  min: number | null,
  max: number | null,
  nowSec = Date.now() / 1000,
): [number, number] {
  if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max))
    return [nowSec - MIN_SPAN_SEC, nowSec];
  return max - min < MIN_SPAN_SEC ? [max - MIN_SPAN_SEC, max] : [min, max];
}

/** Axis colours of the current theme, read when the chart is built. */
const axisColours = () => ({
  stroke: themeColour('--chart-axis'),
  grid: { stroke: themeColour('--chart-grid') },
  ticks: { stroke: themeColour('--chart-ticks') },
});

/** The series with `var(--…)` colours resolved for the current theme (canvas takes no custom properties). */
const themed = (series: uPlot.Series[]): uPlot.Series[] =>
  series.map((s) => ({ ...s, stroke: resolveColour(s.stroke), fill: resolveColour(s.fill) }));

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
  // The time range and pause of the dashboard: paused, the picture keeps the data it had.
  const view = useChartView();
  const paused = () => view.pausedAt() !== null;

  const schedule = createFrameScheduler(() => {
    if (!chart) return;
    if (sizeDirty) chart.setSize({ width, height: height() });
    sizeDirty = false;
    const data = props.data;
    if (data && data !== shownData && !paused()) {
      chart.setData(data);
      shownData = data;
    }
  });

  const build = (series: uPlot.Series[], rangeSeconds: number | null) => {
    chart?.destroy();
    if (!paused() || shownData === undefined) shownData = props.data;
    const AXIS = axisColours();
    chart = new uPlot(
      {
        width,
        height: height(),
        // Lines only: with hundreds of samples per series, point markers are noise.
        series: [
          // Hover reads the sample's time to the second.
          { label: 'Time', value: (_u, t) => (t == null ? '—' : formatClock(t * 1000)) },
          ...themed(series).map((s) => ({ points: { show: false }, ...s })),
        ],
        scales: {
          // The chosen range, ending at the newest sample (or now, with none); the data alone
          // would not say how far back to look, and uPlot stretches one sample over years.
          x: {
            time: true,
            range: (u): [number, number] => {
              const span = timeRange(u.data[0][0] ?? null, u.data[0].at(-1) ?? null);
              return rangeSeconds === null ? span : [span[1] - rangeSeconds, span[1]];
            },
          },
          y: props.yRange ? { range: props.yRange } : {},
        },
        // The shown time span, readable from the page (uPlot draws its labels on a canvas).
        hooks: {
          setScale: [
            (u, key) => {
              if (key !== 'x') return;
              container.dataset.xMin = String(u.scales.x?.min);
              container.dataset.xMax = String(u.scales.x?.max);
              container.dataset.points = String(u.data[0]?.length ?? 0);
            },
          ],
        },
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
    // Rebuild only when the series (e.g. the core count became known), the range or the theme
    // change; data goes through the flush.
    createEffect(() => {
      const series = props.series;
      const range = view.rangeSeconds();
      pageTheme.theme();
      untrack(() => build(series, range));
    });
    createEffect(() => {
      if (props.data !== shownData && !paused()) schedule();
    });
    onCleanup(() => {
      observer.disconnect();
      chart?.destroy();
      chart = null;
    });
  });

  return <div class="chart" ref={container} role="figure" aria-label={props.label} />;
}
