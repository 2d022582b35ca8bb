import { createSignal, onCleanup, type Accessor } from 'solid-js';

/** The current time, refreshed every `periodMs`, for countdowns and "updated … ago" rules. */
export function useNow(periodMs: number): Accessor<number> {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), periodMs);
  onCleanup(() => clearInterval(timer));
  return now;
}
