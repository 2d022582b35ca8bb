// A Solid page built by Vite from the installed package: it shows the `orders` topic through the
// shared client, whose SharedWorker script Vite must find inside the package.
import { render } from 'solid-js/web';
import { createSharedTetherClient } from 'tether-live/client';
import { TetherProvider, useConnection, useTopic } from 'tether-live/solid';

function Orders() {
  const orders = useTopic<{ count: number }>('orders');
  const connection = useConnection();
  return (
    <p>
      <span id="status">{connection().status}</span> orders:{' '}
      <span id="count">{orders.data()?.count ?? '…'}</span>
    </p>
  );
}

const client = createSharedTetherClient();
render(
  () => (
    <TetherProvider client={client}>
      <Orders />
    </TetherProvider>
  ),
  document.getElementById('app')!,
);
