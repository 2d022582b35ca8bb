/**
 * One measured receiver of the client-throughput benchmark, in a fresh process (argv = variant,
 * port, topics, frames). The clock runs from "every topic holds its snapshot" to "every topic
 * is at its last seq"; CPU time is this process's user + system time over the same window.
 *   raw      `ws` + JSON.parse and nothing else: the floor
 *   socketio socket.io-client receiving the same frames as event arguments (socket.io parses them)
 *   tether   createTetherClient with the `ws` WebSocket: parse, validate, route, apply patch
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { io } from 'socket.io-client';
import { createTetherClient } from '../../src/client/index.ts';
import { cpuMs, exitWithParent, report } from '../lib/proc.ts';
import { topicName } from '../lib/shapes.ts';

exitWithParent();
const [variant = 'raw', portArg = '0', topicsArg = '1', framesArg = '1000'] = process.argv.slice(2);
const port = Number(portArg);
const topics = Number(topicsArg);
const frames = Number(framesArg);
// The last seq of each topic once all `frames` patches (round-robin) have arrived.
const lastSeq = (i: number) => Math.floor((frames - 1 - i) / topics) + 1;

let started = 0;
let cpuStart: NodeJS.CpuUsage | undefined;
let pending = topics;
const begin = () => {
  started = performance.now();
  cpuStart = process.cpuUsage();
};
const finish = (extra: Record<string, unknown> = {}) => {
  const wallMs = performance.now() - started;
  const cpu = cpuMs(cpuStart);
  report({ variant, topics, frames, wallMs, cpuMs: cpu, ...extra });
  setTimeout(() => process.exit(0), 50);
};

/** For raw and socket.io: snapshots first (one per topic), then patches. */
type Plain = { type: string; topic: string; seq: number };
function plainReceiver(): (frame: Plain) => void {
  let snapshots = 0;
  const done = new Array<boolean>(topics).fill(false);
  return (frame) => {
    if (frame.type === 'snapshot') {
      if (++snapshots === topics) begin();
      return;
    }
    const index = Number(frame.topic.slice(7));
    if (!done[index] && frame.seq === lastSeq(index)) {
      done[index] = true;
      if (--pending === 0) finish();
    }
  };
}

if (variant === 'raw') {
  const onText = plainReceiver();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'go' })));
  ws.on('message', (data) => onText(JSON.parse(String(data)) as Plain));
} else if (variant === 'socketio') {
  const onText = plainReceiver();
  const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false });
  socket.on('connect', () => socket.emit('go'));
  socket.on('frame', onText);
} else {
  const client = createTetherClient({ url: `http://127.0.0.1:${port}`, WebSocket, fetch: null, network: false });
  let live = 0;
  for (let i = 0; i < topics; i++) {
    const { ref } = client.subscribe(topicName(i));
    const target = lastSeq(i);
    let seen = false;
    let done = false;
    // What a UI binding does: observe the subscription snapshot, read the position.
    ref.subscribe((snapshot) => {
      const seq = snapshot.context.position.seq;
      if (!seen && seq !== null) {
        seen = true;
        if (++live === topics) begin();
      }
      if (!done && seq === target) {
        done = true;
        if (--pending === 0) {
          client.stop();
          finish({ dataLength: (snapshot.context.position.data as { samples: unknown[] }).samples.length });
        }
      }
    });
  }
}
