import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { webSocketTransport } from '../../src/client/websocket-transport.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { hostTransport } from '../fixtures/transport-host.ts';

let server: ScriptedServer;
beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
});
afterEach(() => {
  server.stop();
  vi.useRealTimers();
});

/** The WebSocket transport with `batchWindowMs`, hosted the way the connection hosts it. */
async function open(batchWindowMs: number) {
  const transport = hostTransport((sink) =>
    webSocketTransport({
      url: server.url,
      WebSocket: server.WebSocket,
      batchWindowMs,
      now: Date.now,
      topics: sink,
    }),
  );
  await vi.advanceTimersByTimeAsync(5);
  const frames = () =>
    transport.events
      .filter((e) => e.type === 'SOCKET.FRAMES')
      .map((e) => (e.frames as { t: number }[]).map((f) => f.t));
  return { frames, events: transport.events, stop: transport.stop };
}

describe('webSocketTransport with batchWindowMs (one statechart step for a stream of single-frame tasks)', () => {
  it('hands over a frame after a quiet spell at once, and the frames of a steady stream together after the window', async () => {
    const socket = await open(4);
    server.send({ type: 'pong', t: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.frames()).toEqual([[1]]); // nothing came before: no waiting
    for (const t of [2, 3, 4]) {
      server.send({ type: 'pong', t }); // each in a task of its own, 1 ms apart
      await vi.advanceTimersByTimeAsync(1);
    }
    expect(socket.frames()).toEqual([[1]]);
    await vi.advanceTimersByTimeAsync(4);
    expect(socket.frames()).toEqual([[1], [2, 3, 4]]);
    await vi.advanceTimersByTimeAsync(100); // quiet again
    server.send({ type: 'pong', t: 5 });
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.frames()).toEqual([[1], [2, 3, 4], [5]]);
    socket.stop();
  });

  it('still delivers a waiting batch before the close that follows it', async () => {
    const socket = await open(4);
    server.send({ type: 'pong', t: 1 });
    await vi.advanceTimersByTimeAsync(0);
    server.send({ type: 'pong', t: 2 });
    server.drop(4403, 'forbidden');
    await vi.advanceTimersByTimeAsync(5);
    expect(
      socket.events
        .slice(1)
        .map((e) => e.type)
        .filter((type) => type !== 'DELIVERED'),
    ).toEqual(['SOCKET.FRAMES', 'SOCKET.FRAMES', 'SOCKET.CLOSED']);
    expect(socket.frames()).toEqual([[1], [2]]);
    socket.stop();
  });

  it('reports nothing once stopped with a batch waiting', async () => {
    const socket = await open(4);
    server.send({ type: 'pong', t: 1 });
    await vi.advanceTimersByTimeAsync(0);
    server.send({ type: 'pong', t: 2 });
    socket.stop();
    await vi.advanceTimersByTimeAsync(10);
    expect(socket.frames()).toEqual([[1]]);
  });
});
