/**
 * A Node app with its own HTTP route that embeds Tether (tether-live/server) and feeds a custom topic.
 *
 *   npx vite build --config examples/custom-topic/vite.config.ts   # the page, into ./dist
 *   npx tsx examples/custom-topic/server.ts                        # http://127.0.0.1:8090
 *   curl -X POST http://127.0.0.1:8090/orders                      # an order, counted at once
 */
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createTetherServer, typedTopics } from 'tether-live/server';
import { WINDOW, type AppTopics } from './topics.ts';

const port = Number(process.env.PORT ?? 8090);
const sampleMs = Number(process.env.SAMPLE_MS ?? 1000);

const tether = createTetherServer({
  // The built page of this example; Tether serves it next to /ws and /api.
  staticDir: fileURLToPath(new URL('./dist', import.meta.url)),
  // Set it to let other programs publish too (POST /api/publish); unset, that endpoint is off.
  publishKey: process.env.TETHER_PUBLISH_KEY || undefined,
});
const topics = typedTopics<AppTopics>(tether);
topics.define('orders.perMinute', { initial: { samples: [] } });

// Order times of the last minute: from POST /orders, plus a few simulated ones so the chart moves.
let orders: number[] = [];
const timer = setInterval(() => {
  const t = Date.now();
  for (let i = Math.floor(Math.random() * 4); i > 0; i--) orders.push(t);
  orders = orders.filter((at) => at > t - 60_000);
  // Append the new sample and drop the oldest in one patch: subscribers get two small operations.
  const full = topics.state('orders.perMinute').samples.length >= WINDOW;
  topics.publish('orders.perMinute', [
    { op: 'add', path: '/samples/-', value: { t, count: orders.length } },
    ...(full ? [{ op: 'remove' as const, path: '/samples/0' }] : []),
  ]);
}, sampleMs);

// The app's own server: its routes first, everything else (/ws, /api, the page) goes to Tether.
const app = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/orders') {
    orders.push(Date.now());
    res.writeHead(202).end();
    return;
  }
  tether.handleRequest(req, res);
});
app.on('upgrade', (req, socket, head) => tether.handleUpgrade(req, socket, head));
app.listen(port, '127.0.0.1', () => {
  const address = app.address();
  console.log(
    `custom-topic example on http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`,
  );
});

const stop = () => {
  clearInterval(timer);
  void tether.close().then(() => app.close(() => process.exit(0)));
  app.closeAllConnections();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
