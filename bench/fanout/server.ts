/**
 * The server side of the fan-out benchmark, one process per run (argv: tether | bare, topics).
 * `tether` is the real createTetherServer; `bare` is the floor: a `ws` server that keeps
 * topic → sockets and sends each published text (encoded once) to every subscriber, which is all
 * a broadcast needs. Both publish the same frame shape at the rate the parent asks for and carry
 * the publish time (performance.timeOrigin + now, comparable across processes) in the data.
 * Run with --expose-gc so memory is read after a collection.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { createTetherServer } from '../../server/tether-server.ts';
import type { Topic } from '../../server/topic.ts';
import { exitWithParent, report } from '../lib/proc.ts';

exitWithParent();
const [kind = 'tether', topicsArg = '3'] = process.argv.slice(2);
const names = Array.from({ length: Number(topicsArg) }, (_, i) => `fan.${i}`);
const now = () => performance.timeOrigin + performance.now();
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

let publishOne: (index: number, seq: number) => void;
let connections: () => number;
let port: number;

if (kind === 'tether') {
  // Heartbeat sweeps off the table: the load generator does not ping, the bare server has none.
  const server = createTetherServer({
    staticDir: false,
    heartbeatTimeoutMs: 3_600_000,
    heartbeatMs: 1_800_000,
  });
  const topics: Topic[] = names.map((name) =>
    server.defineTopic(name, { initial: { t: 0, n: 0 } }),
  );
  publishOne = (index, seq) =>
    void topics[index]!.publish([
      { op: 'replace', path: '/t', value: now() },
      { op: 'replace', path: '/n', value: seq },
    ]);
  connections = () => server.clients().websocket;
  port = (await server.listen(0, '127.0.0.1')).port;
} else {
  const http = createServer();
  const wss = new WebSocketServer({
    server: http,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const byTopic = new Map<string, Set<WebSocket>>(names.map((name) => [name, new Set()]));
  let open = 0;
  wss.on('connection', (ws) => {
    open++;
    const mine: string[] = [];
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; topic?: string };
      const set = frame.type === 'subscribe' ? byTopic.get(frame.topic!) : undefined;
      if (set) {
        set.add(ws);
        mine.push(frame.topic!);
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      open--;
      for (const topic of mine) byTopic.get(topic)!.delete(ws);
    });
  });
  publishOne = (index, seq) => {
    const topic = names[index]!;
    const text = JSON.stringify({
      type: 'patch',
      topic,
      epoch: 'bare',
      seq,
      ops: [
        { op: 'replace', path: '/t', value: now() },
        { op: 'replace', path: '/n', value: seq },
      ],
    });
    const bytes = Buffer.from(text);
    for (const ws of byTopic.get(topic)!) ws.send(bytes, { binary: false });
  };
  connections = () => open;
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  port = (http.address() as { port: number }).port;
}

let timer: NodeJS.Timeout | undefined;
process.on('message', (message: { cmd: string; rate?: number }) => {
  if (message.cmd === 'stats' || message.cmd === 'stats-nogc') {
    if (message.cmd === 'stats') gc(); // only for memory readings: a forced GC would bill the load
    const { rss, heapUsed, external } = process.memoryUsage();
    const cpu = process.cpuUsage();
    report({
      stats: {
        rss,
        heapUsed,
        external,
        cpuMs: (cpu.user + cpu.system) / 1000,
        connections: connections(),
      },
    });
  } else if (message.cmd === 'publish') {
    clearInterval(timer);
    // All topics publish on one timer, every 1000/rate ms, as the host-metric sources do.
    let seq = 0;
    timer = setInterval(() => {
      seq++;
      for (let i = 0; i < names.length; i++) publishOne(i, seq);
    }, 1000 / message.rate!);
  } else if (message.cmd === 'quiet') clearInterval(timer);
});
report({ port });
