/**
 * The Tether client without a dashboard: a Node script that follows the CPU topic and the
 * connection state of a running server, then sets an alert threshold through the outbox.
 *
 *   TETHER_TOKEN=… npx tsx examples/node-client/watch.ts [http://127.0.0.1:8080] [seconds]
 *
 * TETHER_TOKEN is the token of the login link `npm start` prints (the part after `#token=`), or
 * one of your own; leave it unset for a server started with TETHER_AUTH=off.
 */
import { WebSocket } from 'ws';
import { connectionView, createTetherClient, outboxView, subscriptionView } from 'tether/client';

interface CpuData { cores: number; samples: { t: number; total: number }[] }
interface Thresholds { version: number; cpuPercent: number }

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const seconds = Number(process.argv[3] ?? 5);

// Node has fetch; WebSocket comes from `ws`. In a browser both default to the globals.
// getToken is asked before every connection and poll: return a fresh token if yours expire.
const client = createTetherClient({ url, WebSocket, getToken: () => process.env.TETHER_TOKEN });

let lastStatus = '';
client.actor.subscribe((snapshot) => {
  const { status, lastError } = connectionView(snapshot);
  if (status !== lastStatus) console.log(`connection ${status}${lastError ? ` (${lastError.message})` : ''}`);
  lastStatus = status;
});

const cpu = client.subscribe('host.cpu');
cpu.ref.subscribe((snapshot) => {
  const view = subscriptionView(snapshot);
  const last = (view.data as CpuData | undefined)?.samples.at(-1);
  if (last) console.log(`cpu seq ${view.seq} ${view.status}: ${last.total.toFixed(1)} %`);
});

// Writable topics take actions: queued while offline, acked or refused by the server.
const thresholds = client.subscribe('alerts.thresholds');
const sub = thresholds.ref.subscribe((snapshot) => {
  const data = subscriptionView(snapshot).data as Thresholds | undefined;
  if (!data) return;
  sub.unsubscribe();
  const id = client.send('alerts.thresholds', { version: data.version, set: { cpuPercent: data.cpuPercent } });
  console.log(`sent action ${id}`);
});
client.actor.getSnapshot().children.outbox?.subscribe((snapshot) => {
  for (const refused of outboxView(snapshot).refused) console.log(`refused ${refused.id}: ${refused.code}`);
});

setTimeout(() => {
  cpu.release();
  thresholds.release();
  client.stop();
}, seconds * 1000);
