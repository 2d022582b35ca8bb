import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectionView, createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type {
  LocalTetherClient,
  TetherClientOptions,
  WebSocketConstructor,
} from '../../src/client/index.ts';
import type { FetchLike } from '../../src/client/polling-transport.ts';
import { tokenExpiry } from '../../src/client/credentials.ts';
import { SendPacer } from '../../src/client/send-pacer.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { scriptedClientOptions } from '../fixtures/scripted-client.ts';

// Credentials and back-off in the client, against the scripted server with fake timers.

let server: ScriptedServer;
let client: LocalTetherClient | undefined;
/** Every URL the client gave the WebSocket constructor or fetch. */
let urls: string[];
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
  server.topic('host.cpu', { total: 1 });
  server.topic('host.load', { load1: 1 });
  urls = [];
});
afterEach(() => {
  client?.stop();
  client = undefined;
  server.stop();
  vi.useRealTimers();
});

function recordingWebSocket(): WebSocketConstructor {
  const Base = server.WebSocket;
  return class {
    constructor(url: string) {
      urls.push(url);
      return new Base(url);
    }
  } as unknown as WebSocketConstructor;
}
const recordingFetch: FetchLike = (url, init) => {
  urls.push(url);
  return server.fetch(url, init);
};

function connect(options: TetherClientOptions = {}): LocalTetherClient {
  client = createTetherClient({
    ...scriptedClientOptions(server),
    WebSocket: recordingWebSocket(),
    fetch: recordingFetch,
    ...options,
  });
  return client;
}
const view = () => connectionView(client!.actor.getSnapshot());
const hellos = () => server.framesOfType('hello');
/** A JWT-shaped token (unsigned: the client never verifies, it only reads `exp`). */
const jwt = (claims: Record<string, unknown>) =>
  `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('client credentials', () => {
  it('asks getToken before every connection and sends its answer in hello, never in a URL', async () => {
    let n = 0;
    const getToken = vi.fn(() => `token-${++n}`);
    connect({ getToken });
    await vi.advanceTimersByTimeAsync(10);
    expect(view().status).toBe('connected');
    expect(hellos()).toEqual([{ type: 'hello', token: 'token-1', renew: true }]);

    server.drop(1001, 'restarting');
    await vi.advanceTimersByTimeAsync(1_000); // backoff: random 0.5 × 1 s
    expect(view().status).toBe('connected');
    expect(getToken).toHaveBeenCalledTimes(2);
    expect(hellos()).toEqual([
      { type: 'hello', token: 'token-1', renew: true },
      { type: 'hello', token: 'token-2', renew: true },
    ]);
    expect(urls).toEqual([server.url, server.url]);
    expect(urls.join(' ')).not.toMatch(/token/);
  });

  it('waits for an async getToken before the hello, and holds later frames behind it', async () => {
    let resolve!: (token: string) => void;
    connect({ getToken: () => new Promise<string>((r) => (resolve = r)) });
    client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(50);
    expect(server.received).toEqual([]); // the socket is open, the hello waits for the token
    expect(view().status).toBe('connecting');
    resolve('async-token');
    await vi.advanceTimersByTimeAsync(10);
    expect(server.received.map((r) => r.frame).filter((f) => f.type !== 'ping')).toEqual([
      { type: 'hello', token: 'async-token', renew: true },
      { type: 'subscribe', topic: 'host.cpu' },
    ]);
    expect(view().status).toBe('connected');
  });

  it('treats a failing getToken as a failed attempt (with the reason) and asks again on the next one', async () => {
    const getToken = vi
      .fn()
      .mockRejectedValueOnce(new Error('token service down'))
      .mockResolvedValue('second');
    connect({ getToken, polling: false });
    await vi.advanceTimersByTimeAsync(10);
    expect(view()).toMatchObject({
      status: 'reconnecting',
      lastError: { code: 'close_1006', message: 'getToken() failed: token service down' },
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(view().status).toBe('connected');
    expect(hellos()).toEqual([{ type: 'hello', token: 'second', renew: true }]);
  });

  it('goes to failed with the server’s reason when the token is refused, and does not retry by itself', async () => {
    server.authorize = (token) => (token === 'good' ? null : 'the token has expired');
    const getToken = vi.fn(() => 'stale');
    connect({ getToken });
    await vi.advanceTimersByTimeAsync(10);
    expect(view()).toMatchObject({
      status: 'failed',
      lastError: { code: 'unauthorized', message: 'the token has expired' },
    });
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(server.connections).toBe(1);
    expect(getToken).toHaveBeenCalledTimes(1);
    expect(server.requests).toEqual([]); // no fallback to polling either

    // RETRY asks for a token again.
    getToken.mockReturnValue('good');
    client!.retry();
    await vi.advanceTimersByTimeAsync(10);
    expect(view()).toMatchObject({ status: 'connected', lastError: null });
    expect(getToken).toHaveBeenCalledTimes(2);
  });

  it('sends the token as an Authorization header when polling, never in the URL, and fails on 401 with the server’s message', async () => {
    connect({ WebSocket: null, getToken: () => 'poll-token' });
    const cpu = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(10);
    expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live');
    expect(server.requests.length).toBeGreaterThan(0);
    for (const request of server.requests)
      expect(request.headers.authorization).toBe('Bearer poll-token');
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.join(' ')).not.toContain('poll-token');

    client!.stop();
    server.httpStatus = 401;
    connect({ WebSocket: null, getToken: () => 'poll-token' });
    await vi.advanceTimersByTimeAsync(10);
    expect(view()).toMatchObject({
      status: 'failed',
      lastError: { code: 'unauthorized', message: 'scripted refusal' },
    });
  });

  it('sends a refreshed token in a fresh hello on the live connection (reauthenticate)', async () => {
    let token = 'first';
    connect({ getToken: () => token });
    await vi.advanceTimersByTimeAsync(10);
    token = 'second';
    await client!.reauthenticate();
    await vi.advanceTimersByTimeAsync(10);
    expect(hellos()).toEqual([
      { type: 'hello', token: 'first', renew: true },
      { type: 'hello', token: 'second', renew: true },
    ]);
    expect(server.connections).toBe(1);
    expect(view().status).toBe('connected');
    // Unchanged: nothing to send.
    await client!.reauthenticate();
    await vi.advanceTimersByTimeAsync(10);
    expect(hellos()).toHaveLength(2);
  });

  it('asks for a fresh token a minute before a JWT expires while connected', async () => {
    const now = Date.now();
    const tokens = [
      jwt({ exp: Math.floor(now / 1000) + 300 }),
      jwt({ exp: Math.floor(now / 1000) + 3600 }),
    ];
    const getToken = vi.fn(() => tokens[Math.min(getToken.mock.calls.length - 1, 1)]);
    connect({ getToken });
    await vi.advanceTimersByTimeAsync(10);
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(300_000 - 60_000 - 100);
    expect(getToken).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(getToken).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(hellos().map((h) => h.token)).toEqual(tokens);
    expect(server.connections).toBe(1);
  });

  it('keeps no timer after stop()', async () => {
    connect({ getToken: () => jwt({ exp: Math.floor(Date.now() / 1000) + 3600 }) });
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBeGreaterThan(2); // heartbeat, liveness, token refresh
    client!.stop();
    await vi.advanceTimersByTimeAsync(10); // mock-socket closes after 4 ms
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('client back-off when the server says rate_limited', () => {
  it('paces its frames: past the burst, frames wait their turn instead of being sent at once', async () => {
    connect({ sendRate: { framesPerSecond: 10, burst: 3 } });
    await vi.advanceTimersByTimeAsync(10); // hello and the ping on welcome: 2 of the burst
    for (const topic of ['a', 'b', 'c', 'd', 'e']) client!.subscribe(topic);
    await vi.advanceTimersByTimeAsync(10);
    expect(server.framesOfType('subscribe')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(400);
    expect(server.framesOfType('subscribe').map((f) => f.topic)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('closes, waits a cool-down, reconnects at half the pace, and resubscribes so nothing dropped is lost', async () => {
    connect({ sendRate: { framesPerSecond: 40, burst: 8 } });
    const cpu = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(30);
    expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live');
    server.send({
      type: 'error',
      code: 'rate_limited',
      message: 'too many frames; this one was dropped',
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(view()).toMatchObject({ status: 'reconnecting', lastError: { code: 'close_4429' } });
    expect(view().lastError!.message).toMatch(/rate_limited.*20 frames\/s/);
    // The backoff (0.5 s) passes, but the socket waits out the 1 s cool-down.
    await vi.advanceTimersByTimeAsync(900);
    expect(server.connections).toBe(1);
    await vi.advanceTimersByTimeAsync(200);
    expect(server.connections).toBe(2);
    expect(view().status).toBe('connected');
    expect(server.framesOfType('subscribe', 2)).toEqual([
      { type: 'subscribe', topic: 'host.cpu', since: { epoch: 'E1', seq: 0 } },
    ]);
    expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live');
  });

  it('starts every socket with a full bucket, so reconnecting is never slowed by earlier frames', async () => {
    connect({ sendRate: { framesPerSecond: 1, burst: 3 } });
    client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(30); // hello + subscribe + resume ping: the bucket is empty
    server.drop(1001, 'restarting');
    await vi.advanceTimersByTimeAsync(520); // backoff 0.5 s; no cool-down (not rate limited)
    expect(server.connections).toBe(2);
    expect(server.framesOfType('hello', 2)).toHaveLength(1);
    expect(server.framesOfType('subscribe', 2)).toHaveLength(1);
  });

  it('halves the pace and doubles the cool-down with every notice', () => {
    let now = 0;
    const pacer = new SendPacer({ framesPerSecond: 40, burst: 8 }, () => now);
    for (let i = 0; i < 8; i++) expect(pacer.take()).toBe(0);
    expect(pacer.take()).toBe(25);
    pacer.slowDown();
    expect(pacer.framesPerSecond).toBe(20);
    expect(pacer.holdMs()).toBe(1000);
    pacer.slowDown();
    expect(pacer.framesPerSecond).toBe(10);
    expect(pacer.holdMs()).toBe(2000);
    now = 2000;
    expect(pacer.holdMs()).toBe(0);
    for (let i = 0; i < 20; i++) pacer.slowDown();
    expect(pacer.framesPerSecond).toBe(1);
    expect(pacer.holdMs()).toBe(30_000);
  });
});

describe('tokenExpiry', () => {
  it('reads exp from a JWT without verifying it, and nothing from anything else', () => {
    expect(tokenExpiry(jwt({ exp: 1_800_000_000 }))).toBe(1_800_000_000_000);
    expect(tokenExpiry(jwt({ sub: 'x' }))).toBeNull();
    expect(tokenExpiry('opaque-token')).toBeNull();
    expect(tokenExpiry('a.!!!.c')).toBeNull();
    expect(tokenExpiry(undefined)).toBeNull();
  });
});
