import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FRAME_FALLBACK_MS, insideFrameHandover } from '../../src/client/frame-handover.ts';
import type { FrameEnvironment } from '../../src/client/frame-handover.ts';
import { webSocketTransport } from '../../src/client/websocket-transport.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { hostTransport } from '../fixtures/transport-host.ts';

/** A page whose frames come when the test says, and whose visibility the test sets. */
function fakePage() {
  const callbacks = new Map<number, () => void>();
  let next = 1;
  const page: { visible: boolean; pending(): number; frame(): void; env: FrameEnvironment } = {
    visible: true,
    pending: () => callbacks.size,
    frame() {
      const due = [...callbacks.values()];
      callbacks.clear();
      for (const callback of due) callback();
    },
    env: {
      requestAnimationFrame: (callback: () => void) => (callbacks.set(next, callback), next++),
      cancelAnimationFrame: (handle: number) => void callbacks.delete(handle),
      isVisible: () => page.visible,
    },
  };
  return page;
}

let server: ScriptedServer;
beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
});
afterEach(() => {
  server.stop();
  vi.useRealTimers();
});

/** The WebSocket transport on a page, hosted the way the connection hosts it. */
async function open(page: ReturnType<typeof fakePage>) {
  // Whether each report came from inside a frame hand-over (where views may render at once).
  const inside: boolean[] = [];
  const transport = hostTransport(
    (sink) =>
      webSocketTransport({
        url: server.url,
        WebSocket: server.WebSocket,
        frames: page.env,
        topics: sink,
      }),
    () => inside.push(insideFrameHandover()),
  );
  await vi.advanceTimersByTimeAsync(5);
  const batches = () =>
    transport.events
      .filter((e) => e.type === 'SOCKET.FRAMES')
      .map((e) => (e.frames as { t: number }[]).map((f) => f.t));
  return { batches, events: transport.events, inside, stop: transport.stop };
}

/** Each message in a task of its own, 1 ms apart, as a browser delivers them. */
async function sendEachInItsTask(ts: number[]) {
  for (const t of ts) {
    server.send({ type: 'pong', t });
    await vi.advanceTimersByTimeAsync(1);
  }
}

describe('frame-aligned hand-over (the browser default)', () => {
  it('hands everything that arrived since the last frame over once, inside the next frame', async () => {
    const page = fakePage();
    const socket = await open(page);
    await sendEachInItsTask([1, 2, 3, 4, 5]);
    expect(socket.batches()).toEqual([]); // no statechart step per message
    expect(page.pending()).toBe(1); // one frame asked for, however many messages
    page.frame();
    expect(socket.batches()).toEqual([[1, 2, 3, 4, 5]]);
    expect(socket.inside.at(-1)).toBe(true); // views may render in this frame
    expect(insideFrameHandover()).toBe(false);
    await sendEachInItsTask([6]);
    page.frame();
    expect(socket.batches()).toEqual([[1, 2, 3, 4, 5], [6]]);
    socket.stop();
  });

  it('says when the batch arrived, so a late hand-over does not make the link look heard later than it was', async () => {
    const page = fakePage();
    const socket = await open(page);
    const arrivedAt = Date.now();
    server.send({ type: 'pong', t: 1 });
    await vi.advanceTimersByTimeAsync(50); // a slow frame (or a frozen tab)
    page.frame();
    expect(socket.events.at(-1)).toMatchObject({
      type: 'SOCKET.FRAMES',
      receivedAt: arrivedAt,
      pongAt: arrivedAt,
    });
    expect(Date.now() - arrivedAt).toBeGreaterThanOrEqual(50);
    socket.stop();
  });

  it('uses the next task while the page is hidden (no frames come there)', async () => {
    const page = fakePage();
    page.visible = false;
    const socket = await open(page);
    server.send({ type: 'pong', t: 1 });
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.batches()).toEqual([[1]]);
    expect(page.pending()).toBe(0);
    expect(socket.inside.at(-1)).toBe(false);
    socket.stop();
  });

  it(`hands over within ${FRAME_FALLBACK_MS} ms when the page is hidden after asking for a frame`, async () => {
    const page = fakePage();
    const socket = await open(page);
    server.send({ type: 'pong', t: 1 });
    await vi.advanceTimersByTimeAsync(1);
    page.visible = false; // the frame never comes
    await vi.advanceTimersByTimeAsync(FRAME_FALLBACK_MS - 2);
    expect(socket.batches()).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(socket.batches()).toEqual([[1]]);
    expect(page.pending()).toBe(0); // the frame request was withdrawn
    socket.stop();
  });

  it('delivers a waiting batch before the close that follows it, and asks for no frame once stopped', async () => {
    const page = fakePage();
    const socket = await open(page);
    server.send({ type: 'pong', t: 1 });
    server.drop(4403, 'forbidden');
    await vi.advanceTimersByTimeAsync(5);
    expect(socket.events.slice(1).map((e) => e.type)).toEqual([
      'DELIVERED',
      'SOCKET.FRAMES',
      'SOCKET.CLOSED',
    ]);
    expect(socket.batches()).toEqual([[1]]);
    socket.stop();
    expect(page.pending()).toBe(0);
    await vi.advanceTimersByTimeAsync(FRAME_FALLBACK_MS * 2);
    expect(socket.batches()).toEqual([[1]]);
  });
});
