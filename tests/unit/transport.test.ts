import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TopicCursor } from '../../machines/connection.ts';
import { pollingTransport } from '../../src/client/polling-transport.ts';
import type { PollingSettings } from '../../src/client/polling-transport.ts';
import { webSocketTransport } from '../../src/client/websocket-transport.ts';
import type { WebSocketConstructor } from '../../src/client/websocket-transport.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { hostTransport } from '../fixtures/transport-host.ts';

let server: ScriptedServer;
beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
  server.topic('host.cpu', { total: 1 });
  server.topic('host.load', { load1: 1 });
});
afterEach(() => {
  server.stop();
  vi.useRealTimers();
});

describe('webSocketTransport', () => {
  const open = async (WebSocket: WebSocketConstructor = server.WebSocket) => {
    const transport = hostTransport((sink) =>
      webSocketTransport({ url: server.url, WebSocket, topics: sink }),
    );
    await vi.advanceTimersByTimeAsync(5);
    return transport;
  };

  it('reports the open, and hands frames that arrive in the same task over as one batch: topic frames to their subscriptions, then the rest', async () => {
    const socket = await open();
    expect(socket.types()).toEqual(['SOCKET.OPENED']);
    const arrivedAt = Date.now();
    server.send(
      server.snapshotOf('host.cpu'),
      { type: 'pong', t: 1 },
      server.snapshotOf('host.load'),
    );
    expect(socket.types()).toEqual(['SOCKET.OPENED']); // batched until the task ends
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.events.slice(1)).toEqual([
      {
        type: 'DELIVERED',
        topics: {
          'host.cpu': [server.snapshotOf('host.cpu')],
          'host.load': [server.snapshotOf('host.load')],
        },
      },
      {
        type: 'SOCKET.FRAMES',
        frames: [{ type: 'pong', t: 1 }],
        receivedAt: arrivedAt,
        pongAt: arrivedAt,
      },
    ]);
    socket.stop();
  });

  it('skips a frame that fails validation and reports it, keeping the good ones', async () => {
    const socket = await open();
    server.sendRaw('not json');
    server.sendRaw('{"type":"patch","topic":"host.cpu","epoch":"E1","seq":-1,"ops":[]}');
    server.send({ type: 'pong', t: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.events.slice(1)).toEqual([
      { type: 'SOCKET.BAD_FRAME', message: 'frame is not valid JSON' },
      { type: 'SOCKET.BAD_FRAME', message: expect.stringContaining('seq') },
      { type: 'DELIVERED', topics: {} },
      {
        type: 'SOCKET.FRAMES',
        frames: [{ type: 'pong', t: 2 }],
        receivedAt: expect.any(Number),
        pongAt: expect.any(Number),
      },
    ]);
    socket.stop();
  });

  it('delivers the frames that came before a close first, then the close with its code and reason', async () => {
    const socket = await open();
    server.send({ type: 'pong', t: 3 });
    server.drop(4403, 'forbidden');
    await vi.advanceTimersByTimeAsync(5);
    expect(socket.events.slice(1)).toEqual([
      { type: 'DELIVERED', topics: {} },
      {
        type: 'SOCKET.FRAMES',
        frames: [{ type: 'pong', t: 3 }],
        receivedAt: expect.any(Number),
        pongAt: expect.any(Number),
      },
      { type: 'SOCKET.CLOSED', code: 4403, reason: 'forbidden' },
    ]);
    socket.stop();
  });

  it('encodes what it is sent, and drops sends while not open instead of throwing', async () => {
    const socket = hostTransport((sink) =>
      webSocketTransport({ url: server.url, WebSocket: server.WebSocket, topics: sink }),
    );
    socket.send({ type: 'SEND', frame: { type: 'ping', t: 0 } }); // still connecting
    await vi.advanceTimersByTimeAsync(5);
    socket.send({
      type: 'SEND',
      frame: { type: 'subscribe', topic: 'host.cpu', since: { epoch: 'E1', seq: 4 } },
    });
    await vi.advanceTimersByTimeAsync(5);
    expect(server.received.map((entry) => entry.frame)).toEqual([
      { type: 'subscribe', topic: 'host.cpu', since: { epoch: 'E1', seq: 4 } },
    ]);
    socket.stop();
  });

  it('closes the socket when stopped and reports nothing afterwards', async () => {
    const socket = await open();
    server.send({ type: 'pong', t: 4 });
    socket.stop(); // before the batch is flushed
    await vi.advanceTimersByTimeAsync(10);
    expect(socket.types()).toEqual(['SOCKET.OPENED']);
    expect(server.openSockets()).toBe(0);
    expect(server.isConnected).toBe(false);
  });

  it('reports a socket that cannot even be constructed as an abnormal close', async () => {
    const Throwing = class {
      constructor() {
        throw new SyntaxError('bad url');
      }
    } as unknown as WebSocketConstructor;
    const socket = hostTransport((sink) =>
      webSocketTransport({ url: 'nope', WebSocket: Throwing, topics: sink }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(socket.events).toEqual([{ type: 'SOCKET.CLOSED', code: 1006, reason: 'bad url' }]);
    socket.stop();
  });
});

describe('pollingTransport', () => {
  let cursors: TopicCursor[];
  const settings = (topics: PollingSettings['topics']): PollingSettings => ({
    baseUrl: server.httpUrl,
    fetch: server.fetch,
    clientId: 'c1',
    waitMs: 20_000,
    minIntervalMs: 250,
    retry: { baseMs: 1_000, capMs: 30_000 },
    random: () => 0,
    cursors: () => cursors,
    topics,
  });
  const poll = () => hostTransport((sink) => pollingTransport(settings(sink)));
  /** One answer as the transport reports it: the link proven, the topic frames, the rest. */
  const answered = (topics: string[], delivered: object = {}, frames: object[] = []) => [
    { type: 'POLL.ANSWERED' },
    { type: 'DELIVERED', topics: delivered },
    { type: 'POLL.FRAMES', frames, topics },
  ];
  beforeEach(() => {
    cursors = [
      { topic: 'host.cpu', since: null },
      { topic: 'host.load', since: { epoch: 'E1', seq: 0 } },
    ];
  });

  it('long-polls every held topic from its position, and reports frames with the topics answered', async () => {
    const transport = poll();
    await vi.advanceTimersByTimeAsync(0);
    const first = server.requests[0]!.url;
    expect(first.pathname).toBe('/api/poll');
    expect(first.search).toBe('?topic=host.cpu&topic=host.load&since=E1%3A0&wait=20000&client=c1');
    expect(transport.events).toEqual(
      answered(['host.cpu', 'host.load'], { 'host.cpu': [server.snapshotOf('host.cpu')] }),
    );
    transport.stop();
  });

  it('reads the positions afresh for every request, at most every minIntervalMs', async () => {
    const transport = poll();
    await vi.advanceTimersByTimeAsync(0);
    cursors = [{ topic: 'host.cpu', since: { epoch: 'E1', seq: 0 } }];
    await vi.advanceTimersByTimeAsync(249);
    expect(server.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.requests[1]!.url.searchParams.getAll('since')).toEqual(['E1:0']);
    expect(server.heldPolls).toBe(1);
    server.publish('host.cpu', [{ op: 'replace', path: '/total', value: 2 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.events.at(-2)).toMatchObject({
      type: 'DELIVERED',
      topics: { 'host.cpu': [{ type: 'patch', seq: 1 }] },
    });
    transport.stop();
  });

  it('restarts a held poll at once when a topic is subscribed', async () => {
    cursors = [{ topic: 'host.cpu', since: { epoch: 'E1', seq: 0 } }];
    const transport = poll();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.heldPolls).toBe(1);
    cursors = [...cursors, { topic: 'host.load', since: null }];
    transport.send({ type: 'SEND', frame: { type: 'subscribe', topic: 'host.load' } });
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests.at(-1)!.url.searchParams.getAll('topic')).toEqual([
      'host.cpu',
      'host.load',
    ]);
    expect(transport.events.at(-2)).toMatchObject({
      type: 'DELIVERED',
      topics: { 'host.load': [{ type: 'snapshot', topic: 'host.load' }] },
    });
    expect(transport.types()).not.toContain('POLL.ERROR'); // the aborted request is not a failure
    transport.stop();
  });

  it('checks /healthz while no topic is held', async () => {
    cursors = [];
    const transport = poll();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.requests.map((request) => request.url.pathname)).toEqual(['/healthz']);
    expect(transport.events).toEqual(answered([]));
    transport.stop();
  });

  it('posts actions and reports the reply as a frame', async () => {
    cursors = [];
    const transport = poll();
    transport.send({
      type: 'SEND',
      frame: { type: 'action', id: 'a1', topic: 'alerts.thresholds', payload: { version: 1 } },
    });
    await vi.advanceTimersByTimeAsync(0);
    const post = server.requests.find((request) => request.method === 'POST')!;
    expect(post.url.pathname).toBe('/api/actions');
    expect(post.body).toEqual({
      type: 'action',
      id: 'a1',
      topic: 'alerts.thresholds',
      payload: { version: 1 },
    });
    expect(transport.events).toContainEqual({
      type: 'POLL.FRAMES',
      frames: [{ type: 'ack', id: 'a1' }],
      topics: [],
    });
    const reply = transport.events.findIndex(
      (event) => event.type === 'POLL.FRAMES' && event.frames.length > 0,
    );
    expect(transport.events[reply - 2]).toEqual({ type: 'POLL.ANSWERED' });
    transport.stop();
  });

  it('reports a failure with when it polls again, then backs off until then', async () => {
    server.httpUp = false;
    const transport = poll();
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.events).toEqual([
      { type: 'POLL.ERROR', message: 'fetch failed', retryAt: Date.now() + 1000 },
    ]);
    await vi.advanceTimersByTimeAsync(999);
    expect(server.requests).toHaveLength(1);
    server.httpUp = true;
    await vi.advanceTimersByTimeAsync(1);
    expect(transport.types()).toEqual(['POLL.ERROR', 'POLL.ANSWERED', 'DELIVERED', 'POLL.FRAMES']);
    transport.stop();
  });

  it('reports 401/403 as a refusal and stops asking', async () => {
    server.httpStatus = 403;
    const transport = poll();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(transport.events).toEqual([
      { type: 'POLL.REFUSED', code: 'forbidden', message: expect.any(String) },
    ]);
    expect(server.requests).toHaveLength(1);
    transport.stop();
  });

  it('aborts a held poll and clears its timers when stopped', async () => {
    cursors = [{ topic: 'host.cpu', since: { epoch: 'E1', seq: 0 } }];
    const transport = poll();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.heldPolls).toBe(1);
    transport.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(server.heldPolls).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(transport.events).toEqual([]);
  });
});
