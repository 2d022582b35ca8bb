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
import { createTetherClient } from 'tether-live/client';

interface CpuData {
  cores: number;
  samples: { t: number; total: number }[];
}
interface Thresholds {
  version: number;
  cpuPercent: number;
}

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const seconds = Number(process.argv[3] ?? 5);

// Node has fetch; WebSocket comes from `ws`. In a browser both default to the globals.
// getToken is asked before every connection and poll: return a fresh token if yours expire.
const client = createTetherClient({ url, WebSocket, getToken: () => process.env.TETHER_TOKEN });

// Each view is a `ViewSource`: `get()` the current view, `subscribe` to hear when it changes.
let lastStatus = '';
const showConnection = () => {
  const { status, lastError } = client.connection.get();
  if (status !== lastStatus)
    console.log(`connection ${status}${lastError ? ` (${lastError.message})` : ''}`);
  lastStatus = status;
};
showConnection();
client.connection.subscribe(showConnection);

const cpu = client.subscribe('host.cpu');
cpu.view.subscribe(() => {
  const view = cpu.view.get();
  const last = (view.data as CpuData | undefined)?.samples.at(-1);
  if (last) console.log(`cpu seq ${view.seq} ${view.status}: ${last.total.toFixed(1)} %`);
});

// Writable topics take actions: queued while offline, acked or refused by the server.
const thresholds = client.subscribe('alerts.thresholds');
const stopWaiting = thresholds.view.subscribe(() => {
  const data = thresholds.view.get().data as Thresholds | undefined;
  if (!data) return;
  stopWaiting();
  const id = client.send('alerts.thresholds', {
    version: data.version,
    set: { cpuPercent: data.cpuPercent },
  });
  console.log(`sent action ${id}`);
});
client.outbox.subscribe(() => {
  for (const refused of client.outbox.get().refused)
    console.log(`refused ${refused.id}: ${refused.code}`);
});

// The statecharts themselves are there too, for tools: `client.actor` (the connection, null when
// the client is shared from another tab) and each hold's `ref` (the subscription).

setTimeout(() => {
  cpu.release();
  thresholds.release();
  client.stop();
}, seconds * 1000);
