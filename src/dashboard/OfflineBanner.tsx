import { Match, Switch } from 'solid-js';
import type { ConnectionView } from '../client/index.ts';
import { useNow } from './clock.ts';
import { countdownText } from './ConnectionBadge.tsx';
import { formatDuration } from './format.ts';

const STALE_NOTE = 'Widgets show the last data received.';

/**
 * Says plainly when the data on screen is not live: an alert while the link is down (including
 * when polling gets no answer), a quieter status notice while polls are answered. Renders nothing
 * when all is well.
 */
export function OfflineBanner(props: {
  view: ConnectionView;
  pollWaitMs: number;
  onRetry: () => void;
  signInHint?: string | undefined;
}) {
  const now = useNow(250);
  const countdown = () => countdownText(props.view.nextRetryAt, now());
  const nextPoll = () => countdownText(props.view.nextPollAt, now());
  const lastAnswer = () => {
    const at = props.view.lastHeardAt;
    if (at === null) return null;
    const ago = now() - at;
    return ago < 1000 ? 'just now' : `${formatDuration(ago)} ago`;
  };
  const Retry = () => (
    <button type="button" class="button small" onClick={() => props.onRetry()}>
      Retry now
    </button>
  );
  return (
    <Switch>
      {/* A reconnect attempt in progress shows as `connecting`, but the link is still down. */}
      <Match
        when={
          props.view.status === 'reconnecting' ||
          (props.view.status === 'connecting' && props.view.attempt > 0)
        }
      >
        <div class="banner" data-severity="down" role="alert">
          <p>
            <strong>Connection lost.</strong> Reconnecting (attempt {props.view.attempt} of{' '}
            {props.view.maxAttempts}
            {props.view.status === 'connecting'
              ? ', trying now'
              : countdown()
                ? `, next try ${countdown()}`
                : ''}
            ). {STALE_NOTE}
          </p>
          <Retry />
        </div>
      </Match>
      <Match when={props.view.status === 'offline'}>
        <div class="banner" data-severity="down" role="alert">
          <p>
            <strong>You are offline.</strong> Tether reconnects when the network returns.{' '}
            {STALE_NOTE}
          </p>
          <Retry />
        </div>
      </Match>
      <Match when={props.view.status === 'failed' && props.view.lastError?.code === 'unauthorized'}>
        <div class="banner" data-severity="down" role="alert" data-reason="unauthorized">
          <p>
            <strong>Not signed in:</strong> {props.view.lastError?.message}.{' '}
            {props.signInHint ?? 'Sign in again, then retry.'}
          </p>
          <Retry />
        </div>
      </Match>
      <Match when={props.view.status === 'failed'}>
        <div class="banner" data-severity="down" role="alert">
          <p>
            <strong>Connection failed:</strong>{' '}
            {props.view.lastError?.message || props.view.lastError?.code || 'unknown reason'}.{' '}
            {STALE_NOTE}
          </p>
          <Retry />
        </div>
      </Match>
      <Match when={props.view.status === 'unreachable'}>
        <div class="banner" data-severity="down" role="alert">
          <p>
            <strong>Server unreachable.</strong> Neither the realtime link nor HTTP polling gets an
            answer
            {props.view.lastError?.message ? ` (${props.view.lastError.message})` : ''}.
            {nextPoll() ? ` Next poll ${nextPoll()}` : ''}
            {countdown() ? `${nextPoll() ? ',' : ''} next realtime try ${countdown()}` : ''}
            {nextPoll() || countdown() ? '. ' : ' '}
            {STALE_NOTE}
          </p>
          <Retry />
        </div>
      </Match>
      <Match when={props.view.status === 'polling'}>
        <div class="banner" data-severity="degraded" role="status">
          <p>
            {/* Long polling: the server answers as soon as there is news, or after pollWaitMs. */}
            Realtime link unavailable — updates arrive by HTTP polling
            {lastAnswer() ? ` (last answer ${lastAnswer()}` : ' ('}
            {lastAnswer() ? ', ' : ''}each poll held up to {formatDuration(props.pollWaitMs)})
            {countdown() ? `; trying the realtime link again ${countdown()}` : ''}.
          </p>
          <Retry />
        </div>
      </Match>
    </Switch>
  );
}
