/**
 * A load generator for the fan-out benchmark (argv: port, count, first index, topics per
 * connection, topic count). Opens `count` plain `ws` connections (at most 256 handshakes in
 * flight), each sends hello and subscribes to its topics, then counts what arrives. Every 10th
 * connection also parses its frames and records publish → receive latency; the rest only count,
 * so the generator spends its CPU on receiving, not on measuring.
 */
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { exitWithParent, report } from '../lib/proc.ts';

exitWithParent();
const [portArg, countArg, firstArg = '0', perConnArg = '3', topicsArg = '3'] =
  process.argv.slice(2);
const url = `ws://127.0.0.1:${portArg}/ws`;
const count = Number(countArg);
const first = Number(firstArg);
const perConn = Number(perConnArg);
const topicCount = Number(topicsArg);
const now = () => performance.timeOrigin + performance.now();

let received = 0;
let latencies: number[] = [];
let open = 0;
let failed = 0;
const sockets: WebSocket[] = [];

function connect(index: number): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    sockets.push(ws);
    const sampled = index % 10 === 0;
    ws.on('open', () => {
      open++;
      ws.send('{"type":"hello"}');
      for (let k = 0; k < perConn; k++)
        ws.send(
          JSON.stringify({ type: 'subscribe', topic: `fan.${(index * perConn + k) % topicCount}` }),
        );
      resolve();
    });
    ws.on('message', (data) => {
      received++;
      if (!sampled) return;
      const frame = JSON.parse(String(data)) as {
        type: string;
        ops?: { path: string; value: number }[];
      };
      if (frame.type === 'patch' && frame.ops?.[0]?.path === '/t')
        latencies.push(now() - frame.ops[0].value);
    });
    ws.on('error', () => {
      failed++;
      resolve();
    });
    ws.on('close', () => open--);
  });
}

let next = first;
const end = first + count;
await Promise.all(
  Array.from({ length: 256 }, async () => {
    while (next < end) await connect(next++);
  }),
);
report({ connected: open, failed });

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'stats') {
    report({ stats: { received, open, latencies } });
    latencies = [];
  } else if (message.cmd === 'close') {
    for (const ws of sockets) ws.terminate();
    setTimeout(() => process.exit(0), 100);
  }
});
