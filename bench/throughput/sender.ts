/**
 * The sending side of the client-throughput benchmark, in its own process so the receiver's CPU
 * time is the client's alone. One run per process: argv = mode (ws | socketio), topics, frames.
 * It sends each topic's snapshot, then `frames` patches round-robin over the topics, as fast as
 * the socket drains (bounded buffering, so the sender never hides work in a queue).
 * For Tether it speaks enough of protocol v1 (hello → welcome, subscribe → snapshot); raw `ws`
 * receivers get the same texts; socket.io receivers the same frames as the argument of a 'frame' event.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { Server as SocketIoServer } from 'socket.io';
import { exitWithParent, report } from '../lib/proc.ts';
import { patchText, snapshotText, topicName } from '../lib/shapes.ts';

exitWithParent();
const [mode = 'ws', topicsArg = '1', framesArg = '100000'] = process.argv.slice(2);
const topics = Number(topicsArg);
const frames = Number(framesArg);

// Pre-encoded, so the sender's speed does not depend on JSON.stringify.
const snapshots = Array.from({ length: topics }, (_, i) => snapshotText(topicName(i)));
const patches = Array.from({ length: frames }, (_, n) => patchText(topicName(n % topics), Math.floor(n / topics) + 1));

const HIGH_WATER = 1 << 20;
const CHUNK = 256;

/** Sends everything, yielding to the event loop whenever more than HIGH_WATER bytes are queued. */
function pump(send: (text: string) => void, buffered: () => number, done: () => void) {
  let next = 0;
  const step = () => {
    while (next < patches.length) {
      if (buffered() > HIGH_WATER) return void setTimeout(step, 1);
      const end = Math.min(patches.length, next + CHUNK);
      for (; next < end; next++) send(patches[next]!);
    }
    done();
  };
  step();
}

const http = createServer();
if (mode === 'socketio') {
  const io = new SocketIoServer(http, { transports: ['websocket'], perMessageDeflate: false, maxHttpBufferSize: 1e8 });
  io.on('connection', (socket) => {
    // The idiomatic socket.io way: the frame as the event's argument (socket.io encodes it once
    // in its packet, the client's handler gets the object).
    const objects = new Map(patches.map((text) => [text, JSON.parse(text) as unknown]));
    socket.on('go', () => {
      for (const text of snapshots) socket.emit('frame', JSON.parse(text));
      // engine.io's websocket transport wraps a `ws` socket; its bufferedAmount is the backlog.
      const ws = (socket.conn as unknown as { transport: { socket?: WebSocket } }).transport.socket;
      pump((text) => socket.emit('frame', objects.get(text)), () => ws?.bufferedAmount ?? 0, () => report({ sent: frames }));
    });
  });
} else {
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    let subscribed = 0;
    const start = () => pump((text) => ws.send(text), () => ws.bufferedAmount, () => report({ sent: frames }));
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; topic?: string; t?: number };
      if (frame.type === 'go') {
        for (const text of snapshots) ws.send(text);
        start();
      } else if (frame.type === 'hello') ws.send(JSON.stringify({ type: 'welcome', heartbeatMs: 25_000 }));
      else if (frame.type === 'ping') ws.send(JSON.stringify({ type: 'pong', t: frame.t }));
      else if (frame.type === 'subscribe') {
        ws.send(snapshots[Number(frame.topic!.slice('bench.m'.length))]!);
        if (++subscribed === topics) start();
      }
    });
  });
}
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  report({ port: typeof address === 'object' && address ? address.port : 0 });
});
