import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';

type Frame = Record<string, unknown>;
const isTick = (frame: Frame) => frame.type === 'patch' && frame.topic === 'ticker';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A topic that publishes on a timer, and a well-behaved client that must see every patch of it. */
async function withObserver(s: StartedServer, everyMs = 15) {
  s.server.defineTopic('ticker', { initial: { n: 0 } });
  let n = 0;
  const timer = setInterval(
    () => s.server.publish('ticker', [{ op: 'replace', path: '/n', value: ++n }]),
    everyMs,
  );
  const observer = await openClient(s.wsUrl);
  observer.send({ type: 'subscribe', topic: 'ticker' });
  await observer.take((f) => f.type === 'snapshot');
  let closedBy: number | null = null;
  void observer.closed.then(({ code }) => (closedBy = code));
  return {
    observer,
    stop: () => clearInterval(timer),
    /** The observer is still open, still receiving, and has missed nothing. */
    async expectUndisturbed() {
      await observer.take(isTick, 2000);
      await observer.take(isTick, 2000);
      expect(closedBy).toBeNull();
      expect(observer.frames.some((f) => f.type === 'error')).toBe(false);
      const seqs = observer.frames.filter(isTick).map((f) => f.seq as number);
      expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] ?? 0) + i));
    },
  };
}

describe('bad input on /ws', () => {
  let s: StartedServer;
  let watch: Awaited<ReturnType<typeof withObserver>>;
  const offenders: TestClient[] = [];
  const offender = async () => {
    const client = await openClient(s.wsUrl);
    offenders.push(client);
    return client;
  };
  /** The offender's connection still works. */
  const expectOpen = async (client: TestClient) => {
    client.send({ type: 'ping', t: 7 });
    expect(await client.take((f) => f.type === 'pong')).toEqual({ type: 'pong', t: 7 });
  };

  beforeAll(async () => {
    s = await startServer({ maxFrameBytes: 1024, rateLimit: { framesPerSecond: 50, burst: 50 } });
    watch = await withObserver(s);
  });
  afterAll(async () => {
    watch.stop();
    for (const client of offenders) client.ws.terminate();
    watch.observer.ws.terminate();
    await s.close();
  });

  it('answers invalid JSON with bad_frame and keeps the connection', async () => {
    const client = await offender();
    client.send('{"type": "ping",');
    expect(await client.take()).toEqual({
      type: 'error',
      code: 'bad_frame',
      message: 'frame is not valid JSON',
    });
    await expectOpen(client);
    await watch.expectUndisturbed();
  });

  it.each(['42', '[1,2]', '"text"', 'null', 'true'])(
    'answers the non-object %s with bad_frame',
    async (text) => {
      const client = await offender();
      client.send(text);
      expect(await client.take()).toEqual({
        type: 'error',
        code: 'bad_frame',
        message: 'frame must be a JSON object',
      });
      await expectOpen(client);
      await watch.expectUndisturbed();
    },
  );

  it.each([
    [{ type: 'shout' }, /type/],
    [{}, /type/],
    [{ type: 'subscribe', topic: 5 }, /topic/],
    [{ type: 'subscribe', topic: 'ticker', since: { epoch: 'e', seq: -1 } }, /since\.seq/],
    [{ type: 'ping', t: 'now' }, /\bt\b/],
    [{ type: 'action', id: 'a', topic: 'ticker' }, /payload/],
  ])('answers %j with bad_frame and the validator reason', async (frame, reason) => {
    const client = await offender();
    client.send(frame);
    const error = await client.take<Frame>();
    expect(error).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect(error.message).toMatch(reason);
    await expectOpen(client);
    await watch.expectUndisturbed();
  });

  it('answers a subscribe to an unknown topic with unknown_topic naming it', async () => {
    const client = await offender();
    client.send({ type: 'subscribe', topic: 'no.such.topic' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'unknown_topic',
      topic: 'no.such.topic',
    });
    await expectOpen(client);
    await watch.expectUndisturbed();
  });

  it('answers a binary frame with bad_frame', async () => {
    const client = await offender();
    client.send(Buffer.from(JSON.stringify({ type: 'ping', t: 1 })));
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'bad_frame',
      message: expect.stringMatching(/binary/),
    });
    await expectOpen(client);
    await watch.expectUndisturbed();
  });

  it('answers a frame over the size limit with too_large, then closes with 1009', async () => {
    const client = await offender();
    client.send(JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(1024) }));
    expect(await client.take()).toMatchObject({ type: 'error', code: 'too_large' });
    expect((await client.closed).code).toBe(1009);
    await watch.expectUndisturbed();
  });

  it('survives a frame far beyond the WebSocket payload cap (ws closes it with 1009)', async () => {
    const client = await offender();
    client.send('x'.repeat(1024 * 1024));
    expect((await client.closed).code).toBe(1009);
    await watch.expectUndisturbed();
  });

  it('survives a text frame that is not UTF-8 (closed with 1007)', async () => {
    const client = await offender();
    client.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect((await client.closed).code).toBe(1007);
    await watch.expectUndisturbed();
  });

  it('drops frames past the rate limit with rate_limited and keeps the connection', async () => {
    const client = await offender();
    for (let i = 0; i < 150; i++) client.send({ type: 'ping', t: i });
    await client.take((f) => f.type === 'error' && f.code === 'rate_limited');
    await sleep(200); // refill
    await client.sync();
    const pongs = client.frames.filter((f) => f.type === 'pong').length;
    expect(pongs).toBeGreaterThanOrEqual(50);
    expect(pongs).toBeLessThan(150);
    // Told once per second at most, not once per dropped frame.
    expect(client.frames.filter((f) => f.code === 'rate_limited')).toHaveLength(1);
    await watch.expectUndisturbed();
  });

  it('closes with 4400 after 20 bad frames within 10 s, answering each one', async () => {
    const client = await offender();
    for (let i = 0; i < 25; i++) client.send('not json');
    const { code } = await client.closed;
    expect(code).toBe(4400);
    expect(client.frames.filter((f) => f.code === 'bad_frame')).toHaveLength(20);
    await watch.expectUndisturbed();
  });
});

describe('slow consumers', () => {
  it('drops a client that does not read (4429) while a reading client gets every frame', async () => {
    const s = await startServer({ maxBufferedBytes: 128 * 1024, historyLength: 10 });
    try {
      s.server.defineTopic('big', { initial: { blob: '' } });
      const reader = await openClient(s.wsUrl);
      const stalled = await openClient(s.wsUrl);
      for (const client of [reader, stalled]) {
        client.send({ type: 'subscribe', topic: 'big' });
        await client.take();
      }
      const socket = (stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })
        ._socket;
      socket.pause();
      // Publish in steps the reader keeps up with, until the stalled client's backlog (kernel
      // buffers, then ours) passes the bound and the server drops it.
      const blob = 'y'.repeat(16 * 1024);
      let seq = 0;
      while (s.server.clients().websocket === 2 && seq < 4000) {
        for (let i = 0; i < 4; i++)
          s.server.publish('big', [{ op: 'replace', path: '/blob', value: `${++seq}${blob}` }]);
        await reader.take((f) => f.seq === seq);
      }
      expect(s.server.clients().websocket).toBe(1);
      socket.resume();
      expect((await stalled.closed).code).toBe(4429);
      expect(stalled.frames.filter((f) => f.type === 'patch').length).toBeLessThan(seq);
      const seqs = reader.frames.filter((f) => f.type === 'patch').map((f) => f.seq);
      expect(seqs).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
      reader.ws.terminate();
    } finally {
      await s.close();
    }
  });
});

describe('heartbeat', () => {
  it('closes a silent connection with heartbeat_timeout and 4408, and keeps a chatty one', async () => {
    const s = await startServer({ heartbeatMs: 100, heartbeatTimeoutMs: 300 });
    const watch = await withObserver(s);
    const keepAlive = setInterval(() => watch.observer.send({ type: 'ping', t: 0 }), 100);
    try {
      const silent = await openClient(s.wsUrl);
      const startedAt = Date.now();
      const { code } = await silent.closed;
      expect(code).toBe(4408);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
      expect(Date.now() - startedAt).toBeLessThan(2000);
      expect(silent.frames).toEqual([
        { type: 'error', code: 'heartbeat_timeout', message: 'no frame for 300 ms' },
      ]);
      await sleep(400); // past another timeout: the observer, which pings, is still there
      await watch.expectUndisturbed();
    } finally {
      clearInterval(keepAlive);
      watch.stop();
      watch.observer.ws.terminate();
      await s.close();
    }
  });
});
