import { createMemo, type Accessor } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import { outboxView, type OutboxView, type TetherClient } from '../client/index.ts';

/**
 * The client's outbox as an OutboxView. The outbox is invoked by the root actor for its whole
 * life, so its ref is read once rather than tracked through every connection snapshot.
 */
export function useOutbox(client: Pick<TetherClient, 'actor'>): Accessor<OutboxView> {
  const snapshot = fromActorRef(client.actor.getSnapshot().children.outbox);
  return createMemo(() => {
    const s = snapshot();
    return s ? outboxView(s) : { pending: [], refused: [] };
  });
}
