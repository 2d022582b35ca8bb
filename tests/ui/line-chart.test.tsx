import { inert } from './setup.ts';
import { cleanup, render } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import type uPlot from 'uplot';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LineChart } from '../../src/dashboard/LineChart.tsx';
import { createFrameScheduler } from '../../src/solid/index.ts';
import { manualFrames } from './frames.ts';

/** uPlot lays out and draws in a microtask after setData/setSize. */
const drawn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LineChart', () => {
  let frames: ReturnType<typeof manualFrames>;
  let resize: ResizeObserverCallback;
  let clearRect: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    frames = manualFrames();
    vi.stubGlobal(
      'ResizeObserver',
      class {
        constructor(cb: ResizeObserverCallback) {
          resize = cb;
        }
        observe() {}
        disconnect() {}
      },
    );
    // Every redraw of the plot starts by clearing the canvas: counting clears counts redraws.
    clearRect = vi.fn();
    vi.spyOn(HTMLCanvasElement.prototype, 'getContext').mockReturnValue(
      inert({ measureText: () => ({ width: 0 }), clearRect }) as never,
    );
  });
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('redraws once per frame however many data updates arrive', async () => {
    const [data, setData] = createSignal<uPlot.AlignedData>([
      [1, 2],
      [10, 20],
    ]);
    render(() => <LineChart label="test chart" series={[{ label: 'A' }]} data={data()} />);
    await drawn();
    const initial = clearRect.mock.calls.length;

    // Ten updates, each in its own task, all before the next frame.
    for (let i = 3; i < 13; i++) {
      setData([
        [1, 2, i],
        [10, 20, i * 10],
      ]);
      await drawn();
    }
    expect(clearRect.mock.calls.length).toBe(initial);
    frames.flushFrame();
    await drawn();
    expect(clearRect.mock.calls.length).toBe(initial + 1);
    expect(frames.pending()).toBe(0);
  });

  it('draws data that changes during a frame flush in that same frame, not the next', async () => {
    let push!: () => void;
    function Chart() {
      const [data, setData] = createSignal<uPlot.AlignedData>([
        [1, 2],
        [10, 20],
      ]);
      // What useTopic does: its data moves in an animation-frame flush.
      push = createFrameScheduler(() =>
        setData([
          [1, 2, 3],
          [10, 20, 30],
        ]),
      );
      return <LineChart label="test chart" series={[{ label: 'A' }]} data={data()} />;
    }
    render(() => <Chart />);
    await drawn();
    const initial = clearRect.mock.calls.length;
    push();
    frames.flushFrame();
    await drawn();
    expect(clearRect.mock.calls.length).toBe(initial + 1);
    expect(frames.pending()).toBe(0);
  });

  it('follows its container width, applying the new size in the next frame', async () => {
    const { container } = render(() => (
      <LineChart
        label="test chart"
        series={[{ label: 'A' }]}
        data={[
          [1, 2],
          [10, 20],
        ]}
        height={200}
      />
    ));
    await drawn();
    const wrap = () => container.querySelector<HTMLElement>('.u-wrap')!;
    expect(wrap().style.width).toBe('300px'); // jsdom lays nothing out: the fallback width

    resize([{ contentRect: { width: 777 } } as ResizeObserverEntry], {} as ResizeObserver);
    await drawn();
    expect(wrap().style.width).toBe('300px');
    frames.flushFrame();
    await drawn();
    expect(wrap().style.width).toBe('777px');
    expect(wrap().style.height).toBe('200px');
  });

  it.each([
    ['no samples', [[], []] as uPlot.AlignedData],
    ['one sample', [[1_800_000_000], [42]] as uPlot.AlignedData],
    [
      'two samples a second apart',
      [
        [1_800_000_000, 1_800_000_001],
        [42, 43],
      ] as uPlot.AlignedData,
    ],
  ])('shows a minute of time with %s, not years', async (_name, data) => {
    const { container } = render(() => (
      <LineChart label="test chart" series={[{ label: 'A' }]} data={data} />
    ));
    await drawn();
    const figure = container.querySelector<HTMLElement>('[role="figure"]')!;
    const min = Number(figure.dataset.xMin);
    const max = Number(figure.dataset.xMax);
    expect(max - min).toBe(60);
    const newest = data[0].at(-1);
    if (newest === undefined) expect(Math.abs(max - Date.now() / 1000)).toBeLessThan(5);
    else expect(max).toBe(newest);
    expect(figure.dataset.points).toBe(String(data[0].length));
  });

  it('shows the whole span once the samples cover more than a minute', async () => {
    const { container } = render(() => (
      <LineChart
        label="test chart"
        series={[{ label: 'A' }]}
        data={[
          [1_800_000_000, 1_800_000_900],
          [1, 2],
        ]}
      />
    ));
    await drawn();
    const figure = container.querySelector<HTMLElement>('[role="figure"]')!;
    expect([Number(figure.dataset.xMin), Number(figure.dataset.xMax)]).toEqual([
      1_800_000_000, 1_800_000_900,
    ]);
  });
});
