import { For, Show, createMemo } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import {
  subscriptionView,
  type ConnectionActorRef,
  type ConnectionView,
  type OutboxView,
  type SubscriptionActorRef,
  type TetherClient,
} from '../client/index.ts';

/**
 * The actor tree at a glance, in the page itself (no inspector, works offline): the connection's
 * state path, each live subscription's state path and position, and the outbox's queue. The
 * subscriptions are listed only when the statecharts run in this tab (`client.actor`); a client
 * shared from another tab shows the connection's state path alone.
 *
 * This panel reads the actors themselves through @xstate/solid: it is opened on demand, to look at
 * the statecharts. The widgets read view sources instead (src/solid), which cost far less per frame
 * than reconciling every snapshot into a store (docs/architecture.md, "Solid layer").
 */
export function StatePanel(props: {
  client: Pick<TetherClient, 'actor'>;
  connection: ConnectionView;
  outbox: OutboxView;
}) {
  return (
    <section class="state-panel" aria-labelledby="state-panel-title">
      <h2 id="state-panel-title">State</h2>
      <p>
        Connection: <code>{props.connection.statePath}</code> · outbox:{' '}
        {props.outbox.pending.length} pending, {props.outbox.refused.length} refused
      </p>
      <Show
        when={props.client.actor}
        keyed
        fallback={
          <p class="muted">
            The connection runs in another tab; its subscriptions are listed there.
          </p>
        }
      >
        {(actor) => <SubscriptionTable actor={actor} />}
      </Show>
    </section>
  );
}

function SubscriptionTable(props: { actor: ConnectionActorRef }) {
  const snapshot = fromActorRef(() => props.actor);
  // The `sub:<topic>` children, sorted by id; the same list while the set of refs is unchanged.
  const subscriptions = createMemo(
    () => {
      const children = snapshot().children as Record<string, SubscriptionActorRef | undefined>;
      return Object.keys(children)
        .filter((id) => id.startsWith('sub:') && children[id])
        .sort()
        .map((id) => children[id]!);
    },
    [],
    { equals: (a, b) => a.length === b.length && a.every((ref, i) => ref === b[i]) },
  );
  return (
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
