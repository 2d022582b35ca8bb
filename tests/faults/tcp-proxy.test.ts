import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodeFrame } from '../../src/protocol/index.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { TestClient } from '../fixtures/real-server.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import { startProxy } from './tcp-proxy.ts';

// Each control of the proxy, proven with a real `ws` client talking to the real server through it.

type Frame = Record<string, unknown>;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function setup(options: TetherServerOptions = {}) {
  const s = await startServer(options);
  s.server.defineTopic('doc', { initial: { n: 0, text: '' } });
  const proxy = await startProxy(s.port);
  const clients: TestClient[] = [];
  cleanups.push(async () => {
    for (const client of clients) client.ws.terminate();
    await proxy.close();
    await s.close();
  });
  const connect = async () => {
    const client = await openClient(proxy.wsUrl);
    clients.push(client);
    return client;
  };
  const publish = (text: string) => {
    const seq = s.server.hub.topic('doc')!.seq + 1;
    return s.server.publish('doc', [
      { op: 'replace', path: '/n', value: seq },
      { op: 'replace', path: '/text', value: text },
    ])!;
  };
  return { s, proxy, connect, publish };
}

/** Resolves with the client's ping round trip in ms. */
async function roundTrip(client: TestClient, t: number): Promise<number> {
  const started = performance.now();
  client.send({ type: 'ping', t });
  await client.take((f) => f.type === 'pong' && f.t === t);
  return performance.now() - started;
}

const isOpen = (client: TestClient) => client.ws.readyState === client.ws.OPEN;

describe('tcp proxy', () => {
  it('forwards both ways and counts connections and bytes', async () => {
    const { s, proxy, connect } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'doc' });
    expect(await client.take()).toMatchObject({ type: 'snapshot', topic: 'doc', seq: 0 });
    const stats = proxy.stats();
    expect(stats).toMatchObject({ connectionsOpened: 1, connectionsOpen: 1 });
    expect(stats.bytesToServer).toBeGreaterThan(100); // the upgrade request and the subscribe frame
    expect(stats.bytesToClient).toBeGreaterThan(100); // the 101 response and the snapshot
    expect(s.server.clients().websocket).toBe(1);
    client.ws.close();
    await client.closed;
    // The clean close crossed the proxy: both sockets of the link closed, and the server saw it.
    await vi.waitFor(() => expect(proxy.stats().connectionsOpen).toBe(0));
    await vi.waitFor(() => expect(s.server.clients().websocket).toBe(0));
  });

  it.each(['fin', 'reset'] as const)(
    'drop(%s) ends every connection at once; new ones work',
    async (how) => {
      const { s, proxy, connect } = await setup();
      const [a, b] = [await connect(), await connect()];
      proxy.drop(how);
      // No close frame ever crossed: both sides see an abnormal end.
      expect((await a.closed).code).toBe(1006);
      expect((await b.closed).code).toBe(1006);
      await vi.waitFor(() => expect(s.server.clients().websocket).toBe(0));
      expect(proxy.stats().faults.drop).toBe(2);
      const c = await connect();
      expect(await roundTrip(c, 1)).toBeLessThan(1000);
    },
  );

  it('blackhole keeps the sockets open but passes nothing; only the server heartbeat notices', async () => {
    const { s, proxy, connect, publish } = await setup({ heartbeatTimeoutMs: 400 });
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'doc' });
    await client.take();
    proxy.blackhole(true);
    client.send({ type: 'ping', t: 1 });
    publish('held');
    await sleep(200);
    expect(client.frames).toHaveLength(1); // neither the pong nor the patch
    expect(isOpen(client)).toBe(true);
    // The server heard nothing for its timeout and gave up; the client cannot tell.
    await vi.waitFor(() => expect(s.server.clients().websocket).toBe(0), { timeout: 2000 });
    expect(isOpen(client)).toBe(true);
    expect(proxy.stats()).toMatchObject({ connectionsOpen: 1, faults: { blackhole: 1 } });
    // Lifted: what was held arrives in order, then the server's goodbye.
    proxy.blackhole(false);
    expect((await client.closed).code).toBe(4408);
    expect(client.frames.slice(1).map((f) => f.type)).toEqual(['patch', 'error']);
    expect(client.frames[2]).toMatchObject({ code: 'heartbeat_timeout' });
  });

  it('blackhole hides the peer closing, too', async () => {
    const { s, proxy, connect } = await setup();
    const client = await connect();
    proxy.blackhole(true);
    client.ws.terminate(); // the client is gone, but the server must not learn it yet
    await sleep(150);
    expect(s.server.clients().websocket).toBe(1);
    proxy.blackhole(false);
    await vi.waitFor(() => expect(s.server.clients().websocket).toBe(0));
  });

  it('latency delays each direction and keeps the order despite jitter', async () => {
    const { proxy, connect } = await setup();
    const client = await connect();
    expect(await roundTrip(client, 0)).toBeLessThan(100);
    proxy.latency(60, 40);
    expect(await roundTrip(client, 1)).toBeGreaterThanOrEqual(115); // ≥ 60 ms each way (timer rounding)
    for (let t = 10; t < 60; t++) client.send({ type: 'ping', t });
    await client.take((f) => f.t === 59, 5000);
    expect(client.frames.filter((f) => (f.t as number) >= 10).map((f) => f.t)).toEqual(
      Array.from({ length: 50 }, (_, i) => 10 + i),
    );
    proxy.latency(0);
    expect(await roundTrip(client, 2)).toBeLessThan(100);
    expect(proxy.stats().faults.latency).toBe(1);
  });

  it('cutMidFrame delivers half of the next frame, then ends the connection', async () => {
    const { s, proxy, connect, publish } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'doc' });
    await client.take();
    await client.sync();
    const before = proxy.stats().bytesToClient;
    const cut = proxy.cutMidFrame();
    const frame = publish('x'.repeat(1000));
    await cut;
    // A server frame of 126..65535 payload bytes has a 4-byte header; half of it crossed.
    const frameBytes = 4 + Buffer.byteLength(encodeFrame(frame));
    expect(proxy.stats().bytesToClient - before).toBe(frameBytes >> 1);
    expect((await client.closed).code).toBe(1006);
    expect(client.frames.filter((f: Frame) => f.type === 'patch')).toEqual([]); // the half frame was never delivered as a message
    expect(proxy.stats().faults.cut).toBe(1);
    await vi.waitFor(() => expect(s.server.clients().websocket).toBe(0));
  });

  it('throttle limits the rate, and lifting it restores full speed', async () => {
    const { proxy, connect, publish } = await setup();
    const client = await connect();
    client.send({ type: 'subscribe', topic: 'doc' });
    await client.take();
    proxy.throttle(20_000);
    let started = performance.now();
    publish('y'.repeat(10_000));
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 1 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(400); // 10 KB at 20 KB/s, first slice free
    proxy.throttle(null);
    started = performance.now();
    publish('z'.repeat(10_000));
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 2 });
    expect(performance.now() - started).toBeLessThan(300); // unthrottled: loopback speed, even on a busy machine
    expect(proxy.stats().faults.throttle).toBe(1);
  });

  it('refuse closes new connections at once and leaves open ones alone', async () => {
    const { s, proxy, connect } = await setup();
    const open = await connect();
    proxy.refuse(true);
    await expect(openClient(proxy.wsUrl)).rejects.toThrow();
    await expect(openClient(proxy.wsUrl)).rejects.toThrow();
    expect(proxy.stats().faults.refused).toBe(2);
    expect(await roundTrip(open, 1)).toBeLessThan(1000);
    proxy.refuse(false);
    await connect();
    expect(s.server.clients().websocket).toBe(2);
  });

  it('retarget sends new connections to another server', async () => {
    const { proxy, connect } = await setup();
    const other = await startServer({ heartbeatMs: 4321 });
    cleanups.push(() => other.close());
    proxy.retarget(other.port);
    const client = await connect();
    client.send({ type: 'hello' });
    expect(await client.take()).toEqual({ type: 'welcome', heartbeatMs: 4321 });
  });

  it('close ends every connection and stops listening', async () => {
    const { proxy, connect } = await setup();
    const client = await connect();
    await proxy.close();
    expect((await client.closed).code).toBe(1006);
    await expect(openClient(proxy.wsUrl)).rejects.toThrow(/ECONNREFUSED/);
  });
});
