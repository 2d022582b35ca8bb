import type { Accessor } from 'solid-js';
import type { ConnectionView, OutboxView } from '../client/index.ts';
import { useTetherClient } from './context.ts';
import { fromViewSource } from './view-signal.ts';

/** The connection as a ConnectionView (status, transport, retry countdown…), following every change. */
export function useConnection(): Accessor<ConnectionView> {
  return fromViewSource(useTetherClient().connection);
}

/** The client's outbox as an OutboxView: actions waiting for an answer and recent refusals. */
export function useOutbox(): Accessor<OutboxView> {
  return fromViewSource(useTetherClient().outbox);
}
