import { For, Show } from 'solid-js';
import { TIME_RANGES } from './chart-view.ts';
import { formatClock } from './format.ts';

/** Time range and pause for every chart. Pausing freezes the picture; the data keeps arriving. */
export function ChartToolbar(props: {
  rangeSeconds: number;
  pausedAt: number | null;
  onRange: (seconds: number) => void;
  onTogglePause: () => void;
}) {
  return (
    <div class="chart-toolbar" role="group" aria-label="Charts">
      <div class="segmented" role="group" aria-label="Time range">
        <For each={TIME_RANGES}>
          {(range) => (
            <button
              type="button"
              class="button small"
              aria-pressed={props.rangeSeconds === range.seconds}
              onClick={() => props.onRange(range.seconds)}
            >
              {range.label}
              <span class="visually-hidden">, last {range.name}</span>
            </button>
          )}
        </For>
      </div>
      <button
        type="button"
        class="button small pause"
        aria-pressed={props.pausedAt !== null}
        onClick={() => props.onTogglePause()}
      >
        {props.pausedAt === null ? 'Pause' : 'Resume'}
      </button>
      <Show when={props.pausedAt}>
        {(at) => (
          <p class="paused-note" data-paused>
            <strong>Paused</strong> at {formatClock(at())}: charts are frozen, data keeps arriving.
          </p>
        )}
      </Show>
    </div>
  );
}
