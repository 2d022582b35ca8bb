/** The example's page: only tether-live/client and tether-live/solid, typed by the app's topic map. */
import { For, Show } from 'solid-js';
import { render } from 'solid-js/web';
import { createTetherClient } from 'tether-live/client';
import { createTetherHooks } from 'tether-live/solid';
import type { AppTopics } from './topics.ts';

const { TetherProvider, useTopic, useConnection } = createTetherHooks<AppTopics>();

function Connection() {
  const connection = useConnection();
  return <p class="connection">Connection: {connection().status}</p>;
}

function OrdersPerMinute() {
  // Subscribed while this component is mounted; `data` changes at most once per animation frame.
  const orders = useTopic('orders.perMinute');
  const latest = () => orders.data()?.samples.at(-1);
  const recent = () => (orders.data()?.samples ?? []).slice(-10).reverse();
  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">Orders per minute</h2>
      <p class="figure">{latest()?.count ?? '…'}</p>
      <p class="meta">
        {orders.status()} · seq {orders.seq() ?? '—'}
      </p>
      <Show when={recent().length > 0}>
        <ol class="recent">
          <For each={recent()}>
            {(sample) => <li>{`${new Date(sample.t).toLocaleTimeString()}: ${sample.count}`}</li>}
          </For>
        </ol>
      </Show>
    </section>
  );
}

const client = createTetherClient({ url: location.origin });
render(
  () => (
    <TetherProvider client={client}>
      <Connection />
      <OrdersPerMinute />
    </TetherProvider>
  ),
  document.getElementById('app')!,
);
