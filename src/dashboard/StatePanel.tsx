import { For, Show, createMemo } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import { subscriptionView, type ConnectionView, type OutboxView, type SubscriptionActorRef, type TetherClient } from '../client/index.ts';

/**
 * The actor tree at a glance, in the page itself (no inspector, works offline): the connection's
 * state path, each live subscription's state path and position, and the outbox's queue.
 */
export function StatePanel(props: { client: Pick<TetherClient, 'actor'>; connection: ConnectionView; outbox: OutboxView }) {
  const snapshot = fromActorRef(props.client.actor);
  const subscriptions = createMemo(() => {
    const children = snapshot().children as Record<string, unknown>;
    return Object.keys(children)
      .filter((id) => id.startsWith('sub:') && children[id])
      .sort()
      .map((id) => children[id] as SubscriptionActorRef);
  });
  return (
    <section class="state-panel" aria-labelledby="state-panel-title">
      <h2 id="state-panel-title">State</h2>
      <p>
        Connection: <code>{props.connection.statePath}</code> · outbox: {props.outbox.pending.length} pending, {props.outbox.refused.length} refused
      </p>
      <Show when={subscriptions().length > 0} fallback={<p class="muted">No subscriptions.</p>}>
        <table>
          <thead>
            <tr>
              <th scope="col">Topic</th>
              <th scope="col">State</th>
              <th scope="col">Seq</th>
            </tr>
          </thead>
          <tbody>
            <For each={subscriptions()}>{(ref) => <SubscriptionRow actor={ref} />}</For>
          </tbody>
        </table>
      </Show>
    </section>
  );
}

function SubscriptionRow(props: { actor: SubscriptionActorRef }) {
  const snapshot = fromActorRef(() => props.actor);
  const view = createMemo(() => subscriptionView(snapshot()));
  return (
    <tr>
      <td>
        <code>{view().topic}</code>
      </td>
      <td>
        <code>{view().statePath}</code>
      </td>
      <td>
        <code title={view().epoch ? `epoch ${view().epoch}` : undefined}>{view().seq ?? '—'}</code>
      </td>
    </tr>
  );
}
