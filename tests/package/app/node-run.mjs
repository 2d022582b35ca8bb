// A plain Node ESM program that uses the installed package: a server with a custom topic, one
// publish, and a client that reads it back over a real socket on 127.0.0.1.
import { createTetherClient } from 'tether-live/client';
import { createTetherServer } from 'tether-live/server';
import { WebSocket } from 'ws';

const server = createTetherServer();
server.defineTopic('orders', { initial: { count: 0 } });
const { port } = await server.listen(0, '127.0.0.1');
console.log(`server on 127.0.0.1:${port}`);

const client = createTetherClient({ url: `http://127.0.0.1:${port}`, WebSocket });
const orders = client.subscribe('orders');
const seen = new Promise((resolve) => {
  orders.view.subscribe(() => {
    const view = orders.view.get();
    if (view.data?.count === 3) resolve(view);
  });
});
server.publish('orders', [{ op: 'replace', path: '/count', value: 3 }]);
const view = await Promise.race([
  seen,
  new Promise((_, fail) => setTimeout(() => fail(new Error('no update within 10 s')), 10_000)),
]);
console.log(`client read orders: ${JSON.stringify(view.data)} (seq ${view.seq}, ${view.status})`);
console.log(`static dir: GET / -> ${(await fetch(`http://127.0.0.1:${port}/`)).status}`);
orders.release();
client.stop();
await server.close();
