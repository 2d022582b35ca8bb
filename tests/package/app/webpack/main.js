// A page built by webpack 5 from the installed package, without a framework: it shows the
// `orders` topic through the shared client, whose SharedWorker script webpack must find inside
// the package.
import { createSharedTetherClient } from 'tether-live/client';

const client = createSharedTetherClient();
const orders = client.subscribe('orders');
const status = document.getElementById('status');
const count = document.getElementById('count');

function show() {
  status.textContent = client.connection.get().status;
  count.textContent = String(orders.view.get().data?.count ?? '…');
}
client.connection.subscribe(show);
orders.view.subscribe(show);
show();
