import { createMemo, type Accessor } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import { connectionView, outboxView, type ConnectionView, type OutboxView } from '../client/index.ts';
import { useTetherClient } from './context.ts';

/** The connection actor's state as a ConnectionView (status, transport, retry countdown…), following every transition. */
export function useConnection(): Accessor<ConnectionView> {
  const snapshot = fromActorRef(useTetherClient().actor);
  return createMemo(() => connectionView(snapshot()));
}

/**
 * The client's outbox as an OutboxView: actions waiting for an answer and recent refusals. The
 * outbox is invoked by the root actor for its whole life, so its ref is read once rather than
 * tracked through every connection snapshot.
 */
export function useOutbox(): Accessor<OutboxView> {
  const snapshot = fromActorRef(useTetherClient().actor.getSnapshot().children.outbox);
  return createMemo(() => {
    const s = snapshot();
    return s ? outboxView(s) : { pending: [], refused: [] };
  });
}
