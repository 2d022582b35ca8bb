import { inert } from './setup.ts';
import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import type uPlot from 'uplot';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChartToolbar } from '../../src/dashboard/ChartToolbar.tsx';
import {
  ChartViewContext,
  RANGE_STORAGE_KEY,
  createChartView,
} from '../../src/dashboard/chart-view.ts';
import { LineChart } from '../../src/dashboard/LineChart.tsx';
import { manualFrames } from './frames.ts';

const drawn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('chart range and pause', () => {
  let frames: ReturnType<typeof manualFrames>;
  let clearRect: ReturnType<typeof vi.fn>;

  beforeEach(() => {
    localStorage.clear();
    frames = manualFrames();
    vi.stubGlobal(
      'ResizeObserver',
      class {
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

  it('persists the chosen range and starts unpaused', () => {
    const view = createChartView();
    expect(view.rangeSeconds()).toBe(300);
    view.chooseRange(900);
    expect(localStorage.getItem(RANGE_STORAGE_KEY)).toBe('900');
    expect(createChartView().rangeSeconds()).toBe(900);
    expect(createChartView().pausedAt()).toBeNull();
  });

  it('freezes the picture while paused and catches up on resume', async () => {
    const view = createChartView(() => 1_000);
    const [data, setData] = createSignal<uPlot.AlignedData>([[1], [10]]);
    render(() => (
      <ChartViewContext.Provider value={view}>
        <LineChart label="test chart" series={[{ label: 'A' }]} data={data()} />
      </ChartViewContext.Provider>
    ));
    await drawn();
    const initial = clearRect.mock.calls.length;
    view.togglePause();
    expect(view.pausedAt()).toBe(1_000);
    setData([
      [1, 2],
      [10, 20],
    ]);
    frames.flushFrame();
    await drawn();
    expect(clearRect.mock.calls.length).toBe(initial);
    view.togglePause();
    frames.flushFrame();
    await drawn();
    expect(clearRect.mock.calls.length).toBe(initial + 1);
  });

  it('offers the ranges as pressed buttons and says plainly when paused', () => {
    const onRange = vi.fn();
    const [pausedAt, setPausedAt] = createSignal<number | null>(null);
    render(() => (
      <ChartToolbar
        rangeSeconds={300}
        pausedAt={pausedAt()}
        onRange={onRange}
        onTogglePause={() => setPausedAt(pausedAt() === null ? Date.now() : null)}
      />
    ));
    expect(
      screen.getByRole('button', { name: /last 5 minutes$/ }).getAttribute('aria-pressed'),
    ).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: /last 15 minutes$/ }));
    expect(onRange).toHaveBeenCalledWith(900);
    expect(screen.queryByText('Paused')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    expect(screen.getByText('Paused')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(screen.queryByText('Paused')).toBeNull();
  });
});
