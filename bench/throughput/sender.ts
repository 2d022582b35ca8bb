/**
 * The sending side of the client-throughput benchmark, in its own process so the receiver's CPU
 * time is the client's alone. One run per process: argv = mode (ws | socketio), topics, frames.
 * It sends each topic's snapshot, then `frames` patches round-robin over the topics, as fast as
 * the socket drains (bounded buffering, so the sender never hides work in a queue).
 * For Tether it speaks enough of protocol v1 (hello → welcome, subscribe → snapshot); raw `ws`
 * receivers get the same texts; socket.io receivers the same frames as the argument of a 'frame'
 * event, in the packets socket.io's server would write for them.
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
const patches = Array.from({ length: frames }, (_, n) =>
  patchText(topicName(n % topics), Math.floor(n / topics) + 1),
);

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
  const io = new SocketIoServer(http, {
    transports: ['websocket'],
    perMessageDeflate: false,
    maxHttpBufferSize: 1e8,
  });
  io.on('connection', (socket) => {
    // The frames go out as what `socket.emit('frame', frame)` puts on the wire (an engine.io
    // message holding a socket.io EVENT: `42["frame",{…}]`), pre-encoded and written straight to
    // engine.io's `ws` socket, like the texts of the other senders: encoding them in socket.io's
    // server made this sender the bottleneck (its receiver sat idle 40% of the time, taking
    // frames a few at a time), so the receivers did not get the same stream. socket.io-client
    // decodes them exactly as it would decode emits.
    const ws = (socket.conn as unknown as { transport: { socket?: WebSocket } }).transport.socket;
    if (!ws) throw new Error('throughput sender: socket.io did not connect over a WebSocket');
    const packet = (text: string) => `42["frame",${text}]`;
    const packets = new Map(patches.map((text) => [text, packet(text)]));
    socket.on('go', () => {
      for (const text of snapshots) ws.send(packet(text));
      pump(
        (text) => ws.send(packets.get(text)!),
        () => ws.bufferedAmount,
        () => report({ sent: frames }),
      );
    });
  });
} else {
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    let subscribed = 0;
    const start = () =>
      pump(
        (text) => ws.send(text),
        () => ws.bufferedAmount,
        () => report({ sent: frames }),
      );
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string; topic?: string; t?: number };
      if (frame.type === 'go') {
        for (const text of snapshots) ws.send(text);
        start();
      } else if (frame.type === 'hello')
        ws.send(JSON.stringify({ type: 'welcome', heartbeatMs: 25_000 }));
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
