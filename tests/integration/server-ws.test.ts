import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ClientOptions } from 'ws';
import type { ActionHandler } from '../../server/hub.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';

type Frame = Record<string, unknown>;
const isPatch = (topic: string) => (frame: Frame) =>
  frame.type === 'patch' && frame.topic === topic;

let started: StartedServer[] = [];
let clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients) client.ws.terminate();
  await Promise.all(started.map((s) => s.close()));
  started = [];
  clients = [];
});

async function setup(options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  started.push(s);
  const increment: ActionHandler<{ n: number }> = (payload, { state }) =>
    payload === 'refuse'
      ? { ok: false, code: 'conflict', message: 'refused on request' }
      : { ok: true, ops: [{ op: 'replace', path: '/n', value: state.n + 1 }] };
  s.server.defineTopic('counter', { initial: { n: 0 }, onAction: increment });
  s.server.defineTopic('readonly', { initial: { n: 0 } });
  const bump = (times = 1) => {
    for (let i = 0; i < times; i++) {
      const topic = s.server.hub.topic('counter')!;
      s.server.publish('counter', [
        { op: 'replace', path: '/n', value: (topic.state as { n: number }).n + 1 },
      ]);
    }
  };
  const connect = async (opts?: ClientOptions) => {
    const client = await openClient(s.wsUrl, opts);
    clients.push(client);
    return client;
  };
  return { ...s, bump, connect, epoch: s.server.hub.epoch };
}

describe('WebSocket /ws', () => {
  it('answers hello with welcome and the configured heartbeat', async () => {
    const { connect } = await setup({ heartbeatMs: 1234 });
    const client = await connect();
    client.send({ type: 'hello' });
    expect(await client.take()).toEqual({ type: 'welcome', heartbeatMs: 1234 });
  });

  it('serves clients that skip hello', async () => {
    const { connect } = await setup();
    const client = await connect();
    client.send({ type: 'ping', t: 42 });
    expect(await client.take()).toEqual({ type: 'pong', t: 42 });
  });

  it('sends a snapshot on subscribe, then live patches with consecutive seq', async () => {
    const { connect, bump, epoch } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'counter' });
    expect(await client.take()).toEqual({
      type: 'snapshot',
      topic: 'counter',
      epoch,
      seq: 0,
      data: { n: 0 },
    });
    bump(5);
    for (let seq = 1; seq <= 5; seq++) {
      expect(await client.take()).toEqual({
        type: 'patch',
        topic: 'counter',
        epoch,
        seq,
        ops: [{ op: 'replace', path: '/n', value: seq }],
      });
    }
  });

  it('resumes a new connection from since with exactly the missing patches, then goes live', async () => {
    const { connect, bump, epoch } = await setup();
    bump(3);
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'counter', since: { epoch, seq: 1 } });
    const catchUp = [await client.take(), await client.take()];
    expect(catchUp.map((f) => [f.type, f.seq])).toEqual([
      ['patch', 2],
      ['patch', 3],
    ]);
    bump();
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 4 });
    await client.sync();
    expect(client.frames.filter((f) => f.type !== 'pong')).toHaveLength(3);
  });

  it('answers an up-to-date since with nothing, and then streams live', async () => {
    const { connect, bump, epoch } = await setup();
    bump(2);
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'counter', since: { epoch, seq: 2 } });
    await client.sync();
    expect(client.frames.filter((f) => f.type !== 'pong')).toEqual([]);
    bump();
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 3 });
  });

  it('sends a snapshot for a since from another epoch (a restarted server)', async () => {
    const first = await setup();
    first.bump(2);
    const second = await setup();
    second.bump(1);
    expect(second.epoch).not.toBe(first.epoch);
    const client = await second.connect();
    client.send({ type: 'subscribe', topic: 'counter', since: { epoch: first.epoch, seq: 2 } });
    expect(await client.take()).toEqual({
      type: 'snapshot',
      topic: 'counter',
      epoch: second.epoch,
      seq: 1,
      data: { n: 1 },
    });
  });

  it('treats a repeated subscribe as a resume request without doubling the live feed', async () => {
    const { connect, bump, epoch } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'counter' });
    await client.take();
    bump(2);
    await client.take(isPatch('counter'));
    await client.take(isPatch('counter'));
    client.send({ type: 'subscribe', topic: 'counter', since: { epoch, seq: 1 } });
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 2 });
    bump();
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 3 });
    await client.sync();
    expect(client.frames.filter((f) => f.seq === 3)).toHaveLength(1);
  });

  it('stops patches after unsubscribe', async () => {
    const { connect, bump } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'counter' });
    await client.take();
    client.send({ type: 'unsubscribe', topic: 'counter' });
    await client.sync();
    bump(3);
    await client.sync();
    expect(client.frames.filter((f) => f.type === 'patch')).toEqual([]);
  });

  it('answers subscribe and unsubscribe of an unknown topic with unknown_topic naming it', async () => {
    const { connect } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'nope' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'unknown_topic',
      topic: 'nope',
    });
    client.send({ type: 'unsubscribe', topic: 'nope' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'unknown_topic',
      topic: 'nope',
    });
  });

  it('answers ping with pong carrying the same t', async () => {
    const { connect } = await setup();
    const client = await connect();
    client.send({ type: 'ping', t: 1712345678901.5 });
    expect(await client.take()).toEqual({ type: 'pong', t: 1712345678901.5 });
  });

  it('publishes an accepted action before acking it, and applies a repeated id once', async () => {
    const { connect, server, epoch } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'counter' });
    await client.take();
    client.send({ type: 'action', id: 'act-1', topic: 'counter', payload: null });
    expect(await client.take()).toEqual({
      type: 'patch',
      topic: 'counter',
      epoch,
      seq: 1,
      ops: [{ op: 'replace', path: '/n', value: 1 }],
    });
    expect(await client.take()).toEqual({ type: 'ack', id: 'act-1' });
    client.send({ type: 'action', id: 'act-1', topic: 'counter', payload: null });
    expect(await client.take()).toEqual({ type: 'ack', id: 'act-1' });
    await client.sync();
    expect(server.hub.topic('counter')!.state).toEqual({ n: 1 });
    expect(client.frames.filter((f) => f.type === 'patch')).toHaveLength(1);
  });

  it('deduplicates action ids across connections', async () => {
    const { connect, server } = await setup();
    const [a, b] = [await connect(), await connect()];
    a.send({ type: 'action', id: 'shared', topic: 'counter', payload: null });
    await a.take((f) => f.type === 'ack');
    b.send({ type: 'action', id: 'shared', topic: 'counter', payload: null });
    expect(await b.take()).toEqual({ type: 'ack', id: 'shared' });
    expect(server.hub.topic('counter')!.seq).toBe(1);
  });

  it('nacks refused actions, unknown topics and read-only topics, repeating a nack for its id', async () => {
    const { connect } = await setup();
    const client = await connect();
    client.send({ type: 'action', id: 'r1', topic: 'counter', payload: 'refuse' });
    expect(await client.take()).toEqual({
      type: 'nack',
      id: 'r1',
      code: 'conflict',
      message: 'refused on request',
    });
    client.send({ type: 'action', id: 'r1', topic: 'counter', payload: null }); // same id: same answer, not applied
    expect(await client.take()).toEqual({
      type: 'nack',
      id: 'r1',
      code: 'conflict',
      message: 'refused on request',
    });
    client.send({ type: 'action', id: 'u1', topic: 'nope', payload: 1 });
    expect(await client.take()).toMatchObject({ type: 'nack', id: 'u1', code: 'unknown_topic' });
    client.send({ type: 'action', id: 'w1', topic: 'readonly', payload: 1 });
    expect(await client.take()).toMatchObject({ type: 'nack', id: 'w1', code: 'not_writable' });
  });

  it('refuses upgrades on other paths with 404 and when disabled with 503; tells other origins forbidden and closes with 4403', async () => {
    const refusal = (url: string, options?: ClientOptions) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(url, options);
        ws.on('unexpected-response', (_, res) => {
          resolve(res.statusCode!);
          ws.terminate();
        });
        ws.on('open', () => reject(new Error('upgrade was accepted')));
        ws.on('error', () => undefined);
      });
    const enabled = await setup();
    expect(await refusal(`ws://127.0.0.1:${enabled.port}/elsewhere`)).toBe(404);
    const foreign = await enabled.connect({ origin: 'http://evil.example' });
    expect(await foreign.take()).toEqual({
      type: 'error',
      code: 'forbidden',
      message: 'origin "http://evil.example" is not allowed to connect',
    });
    expect((await foreign.closed).code).toBe(4403);
    const sameOrigin = await enabled.connect({ origin: `http://127.0.0.1:${enabled.port}` });
    sameOrigin.send({ type: 'ping', t: 1 });
    expect(await sameOrigin.take()).toEqual({ type: 'pong', t: 1 });
    const disabled = await setup({ websocket: false });
    expect(await refusal(disabled.wsUrl)).toBe(503);
  });

  it('closes every client with 1001 on close()', async () => {
    const s = await setup();
    const [a, b] = [await s.connect(), await s.connect()];
    await s.server.close();
    expect((await a.closed).code).toBe(1001);
    expect((await b.closed).code).toBe(1001);
  });
});
