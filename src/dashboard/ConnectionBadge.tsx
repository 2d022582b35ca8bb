import { Show, createMemo } from 'solid-js';
import type { ConnectionStatus, ConnectionView } from '../client/index.ts';
import { useNow } from './clock.ts';
import { formatDuration } from './format.ts';

/** Statuses where the user can usefully cut a wait short or leave a dead end. */
const RETRYABLE: ReadonlySet<ConnectionStatus> = new Set([
  'reconnecting',
  'polling',
  'unreachable',
  'failed',
  'offline',
]);

function latencyText(ms: number | null): string {
  if (ms === null) return 'Live';
  return ms < 1 ? 'Live · <1 ms' : `Live · ${Math.round(ms)} ms`;
}

/** "in 4 s", or "now" once the moment has passed but the attempt has not reported back yet. */
export function countdownText(at: number | null, now: number): string | null {
  if (at === null) return null;
  return at - now > 0 ? `in ${formatDuration(at - now)}` : 'now';
}

const errorText = (view: ConnectionView) =>
  view.lastError?.message || view.lastError?.code || 'unknown reason';

/** Label (always visible) and tooltip for each status: colour is never the only signal. */
function describeConnection(view: ConnectionView, now: number): { label: string; title: string } {
  const countdown = countdownText(view.nextRetryAt, now);
  switch (view.status) {
    case 'idle':
      return { label: 'Idle', title: 'Not connected yet' };
    case 'connecting':
      return view.attempt > 0
        ? {
            label: `Connecting… ${view.attempt}/${view.maxAttempts}`,
            title: `Link lost; reconnect attempt ${view.attempt} of ${view.maxAttempts} under way`,
          }
        : { label: 'Connecting…', title: 'Opening the realtime link' };
    case 'connected':
      return {
        label: latencyText(view.latencyMs),
        title:
          `Connected over ${view.transport ?? 'websocket'}` +
          (view.latencyMs === null ? '' : `; last ping round trip ${view.latencyMs.toFixed(1)} ms`),
      };
    case 'reconnecting':
      return {
        label:
          `Reconnecting ${view.attempt}/${view.maxAttempts}` + (countdown ? ` · ${countdown}` : ''),
        title:
          `Link lost${view.lastError ? ` (${errorText(view)})` : ''}. Attempt ${view.attempt} of ${view.maxAttempts}` +
          (countdown ? `, next try ${countdown}` : '') +
          '. Data shown is the last received.',
      };
    case 'polling':
      return {
        label: 'Polling',
        title:
          'Realtime link unavailable; updates arrive by HTTP polling' +
          (countdown ? `. Next WebSocket probe ${countdown}` : ''),
      };
    case 'unreachable': {
      const nextPoll = countdownText(view.nextPollAt, now);
      return {
        label: 'Unreachable' + (nextPoll ? ` · retry ${nextPoll}` : ''),
        title:
          `The server cannot be reached${view.lastError ? ` (${errorText(view)})` : ''}` +
          (nextPoll ? `. Next poll ${nextPoll}` : '') +
          (countdown ? `, next WebSocket try ${countdown}` : '') +
          '. Data shown is the last received.',
      };
    }
    case 'offline':
      return {
        label: 'Offline',
        title: 'The browser reports no network; reconnects when it returns',
      };
    case 'failed':
      return {
        label: `Failed · ${errorText(view)}`,
        title: `Connection refused: ${view.lastError ? `${view.lastError.code} — ${view.lastError.message}` : 'unknown reason'}. Use Retry now to try again.`,
      };
    case 'suspended':
      return {
        label: 'Paused',
        title:
          'The page was hidden or is unloading, so the link was closed; it reconnects when the page shows again',
      };
    case 'closed':
      return { label: 'Closed', title: 'The client was stopped' };
  }
}

export function ConnectionBadge(props: { view: ConnectionView; onRetry: () => void }) {
  const now = useNow(250);
  const text = () => describeConnection(props.view, now());
  // Screen readers hear the status word when it changes, not every round trip or countdown tick.
  const announced = createMemo(() => text().label.split(' · ')[0]);
  return (
    <div class="connection">
      <span class="visually-hidden" aria-live="polite" data-announce>
        {`Connection: ${announced()}`}
      </span>
      <span class="badge" data-status={props.view.status} title={text().title}>
        <span class="dot" aria-hidden="true" />
        {text().label}
      </span>
      <Show when={RETRYABLE.has(props.view.status)}>
        <button type="button" class="button small" onClick={() => props.onRetry()}>
          Retry now
        </button>
      </Show>
    </div>
  );
}
