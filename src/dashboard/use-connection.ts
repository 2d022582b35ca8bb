import { createMemo, type Accessor } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import { connectionView, type ConnectionView, type TetherClient } from '../client/index.ts';

/** The connection actor's state as a ConnectionView, following every transition. */
export function useConnection(client: Pick<TetherClient, 'actor'>): Accessor<ConnectionView> {
  const snapshot = fromActorRef(client.actor);
  return createMemo(() => connectionView(snapshot()));
}
