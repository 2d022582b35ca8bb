import { For, createMemo } from 'solid-js';
import type { SubscriptionView } from '../client/index.ts';
import { useNow } from './clock.ts';
import { formatClock } from './format.ts';

/** How long after a change a live widget shows "updating" (a brief pulse), at most. */
const UPDATING_MS = 1500;

/**
 * How long "updating" shows after a change that came `gapMs` after the one before: it ends one
 * pulse before the next sample is due, so a topic sampled every second or two reads "Live" (its
 * dot still pulses per sample) and the word marks news on topics that change rarely.
 */
export function updatingWindowMs(gapMs: number | null): number {
  return gapMs === null ? UPDATING_MS : Math.max(0, Math.min(UPDATING_MS, gapMs - UPDATING_MS));
}

type IndicatorState = SubscriptionView['status'] | 'updating';
type IndicatorInput = Pick<SubscriptionView, 'status' | 'updatedAt' | 'staleSince' | 'error'>;

function describeSubscription(
  view: IndicatorInput,
  now: number,
  updatingMs: number,
): { state: IndicatorState; label: string; title: string } {
  switch (view.status) {
    case 'pending':
      return {
        state: 'pending',
        label: 'Pending',
        title: 'Waiting for the connection before subscribing',
      };
    case 'subscribing':
      return {
        state: 'subscribing',
        label: 'Subscribing…',
        title: 'Asked the server for a snapshot',
      };
    case 'live': {
      // now ticks coarsely, so it can trail updatedAt; a negative age is "just now".
      const recent = view.updatedAt !== null && now - view.updatedAt < updatingMs;
      return recent
        ? { state: 'updating', label: 'Updating', title: 'New data just arrived' }
        : {
            state: 'live',
            label: 'Live',
            title:
              view.updatedAt === null
                ? 'Subscribed'
                : `Subscribed; last change at ${formatClock(view.updatedAt)}`,
          };
    }
    case 'stale': {
      const since = view.staleSince === null ? '' : ` since ${formatClock(view.staleSince)}`;
      return {
        state: 'stale',
        label: `Stale${since}`,
        title: `No updates${since}; showing the last known data`,
      };
    }
    case 'resyncing':
      return {
        state: 'resyncing',
        label: 'Resyncing…',
        title: 'Missed updates or a server restart; fetching a fresh snapshot',
      };
    case 'error': {
      const message = view.error?.message || view.error?.code || 'unknown error';
      return {
        state: 'error',
        label: `Error: ${message}`,
        title: view.error ? `${view.error.code}: ${view.error.message}` : 'Subscription failed',
      };
    }
  }
}

export function LiveIndicator(props: { view: IndicatorInput }) {
  const now = useNow(250);
  // The gap between the last two changes: the topic's real cadence, as this widget sees it.
  const gap = createMemo<{ at: number | null; gapMs: number | null }>(
    (previous) => {
      const at = props.view.updatedAt;
      if (at === previous.at) return previous;
      return { at, gapMs: previous.at !== null && at !== null ? at - previous.at : null };
    },
    { at: null, gapMs: null },
  );
  const text = () => describeSubscription(props.view, now(), updatingWindowMs(gap().gapMs));
  return (
    <span class="indicator" data-indicator={text().state} title={text().title}>
      {/* Keyed by updatedAt: each change makes a new dot, which restarts its pulse animation. */}
      <For each={[props.view.updatedAt]}>{() => <span class="dot" aria-hidden="true" />}</For>
      {text().label}
    </span>
  );
}
