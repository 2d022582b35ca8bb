import type { SnapshotFrom, StateValue } from 'xstate';
import { attemptLimit } from '../../machines/connection.ts';
import type { ConnectionMachine } from '../../machines/connection.ts';
import type { OutboxMachine } from '../../machines/outbox.ts';
import type { SubscriptionMachine } from '../../machines/subscription.ts';
import type {
  ConnectionStatus,
  ConnectionView,
  OutboxView,
  SubscriptionView,
} from './view-types.ts';
import { shallowEqual } from './view-source.ts';

export type ConnectionSnapshot = SnapshotFrom<ConnectionMachine>;
export type SubscriptionSnapshot = SnapshotFrom<SubscriptionMachine>;
export type OutboxSnapshot = SnapshotFrom<OutboxMachine>;

/** Every active leaf as a dotted path; parallel regions are joined with ", ". */
function statePath(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, child]) =>
      child === undefined
        ? key
        : statePath(child)
            .split(', ')
            .map((leaf) => `${key}.${leaf}`)
            .join(', '),
    )
    .join(', ');
}

function connectionStatus(snapshot: ConnectionSnapshot): ConnectionStatus {
  if (snapshot.matches({ websocket: 'connected' })) return 'connected';
  if (snapshot.matches('websocket')) return 'connecting';
  // Polling only while polls are answered; until one is, the server simply cannot be reached.
  if (snapshot.matches({ fallbackPolling: { link: 'up' } })) return 'polling';
  if (snapshot.matches('fallbackPolling')) return 'unreachable';
  if (snapshot.matches('reconnecting')) return 'reconnecting';
  if (snapshot.matches('offline')) return 'offline';
  if (snapshot.matches('failed')) return 'failed';
  // The page closed the link on purpose (unload, back/forward cache); PAGE.SHOW reconnects.
  if (snapshot.matches('suspended')) return 'suspended';
  if (snapshot.matches('closed')) return 'closed';
  return 'idle';
}

export function connectionView(snapshot: ConnectionSnapshot): ConnectionView {
  const { context } = snapshot;
  const status = connectionStatus(snapshot);
  // Only while polling: over WebSocket it moves with every frame, and the view would with it.
  const polling = status === 'polling' || status === 'unreachable';
  return {
    status,
    transport: context.transport,
    attempt: context.attempt,
    maxAttempts: attemptLimit(context),
    nextRetryAt: context.nextRetryAt,
    nextPollAt: context.nextPollAt,
    lastHeardAt: polling && context.lastHeardAt > 0 ? context.lastHeardAt : null,
    latencyMs: context.latencyMs,
    lastError: context.lastError,
    statePath: statePath(snapshot.value),
  };
}

/** `T` is the caller's knowledge of the topic's shape; the wire only promises JSON. */
export function subscriptionView<T = unknown>(snapshot: SubscriptionSnapshot): SubscriptionView<T> {
  const { context } = snapshot;
  return {
    topic: context.topic,
    status: snapshot.value,
    data: context.position.data as T | undefined,
    epoch: context.position.epoch,
    seq: context.position.seq,
    updatedAt: context.updatedAt,
    staleSince: context.staleSince,
    error: context.error,
    statePath: statePath(snapshot.value),
  };
}

export function outboxView(snapshot: OutboxSnapshot): OutboxView {
  const { pending, refused } = snapshot.context;
  return {
    pending: pending.map(({ id, topic, payload, base, fields, state }) => ({
      id,
      topic,
      payload,
      ...(base && fields && { base, fields }),
      state,
    })),
    refused: refused.map((entry) => ({ ...entry })),
  };
}

/** Outbox views are rebuilt as copies; equal entries mean an equal view. */
export function sameOutboxView(a: OutboxView, b: OutboxView): boolean {
  const sameList = <T>(x: T[], y: T[]) =>
    x.length === y.length && x.every((entry, i) => shallowEqual(entry, y[i]));
  return sameList(a.pending, b.pending) && sameList(a.refused, b.refused);
}
