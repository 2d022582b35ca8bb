import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectionView, createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type { LocalTetherClient, TetherClientOptions } from '../../src/client/index.ts';
import { FakeNetwork, ScriptedServer } from '../fixtures/scripted-server.ts';
import { scriptedClientOptions } from '../fixtures/scripted-client.ts';

let server: ScriptedServer;
let client: LocalTetherClient | undefined;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
  server.topic('host.cpu', { total: 1 });
});
afterEach(() => {
  client?.stop();
  client = undefined;
  server.stop();
  vi.useRealTimers();
});

function connect(options: TetherClientOptions = {}): LocalTetherClient {
  client = createTetherClient({ ...scriptedClientOptions(server), ...options });
  return client;
}
const view = () => connectionView(client!.actor.getSnapshot());
const retryDelay = () => client!.actor.getSnapshot().context.retryDelayMs;
/** Frames a test sends synchronously reach the machine in the transport's microtask. */
const delivered = () => vi.advanceTimersByTimeAsync(0);

describe('connection', () => {
  it('connects: hello, welcome, then connected over WebSocket with attempt 0', async () => {
    connect({ token: 'secret' });
    expect(view().status).toBe('connecting');
    await vi.advanceTimersByTimeAsync(10);
    expect(view()).toMatchObject({
      status: 'connected',
      transport: 'websocket',
      attempt: 0,
      lastError: null,
    });
    expect(server.framesOfType('hello')).toEqual([{ type: 'hello', token: 'secret', renew: true }]);
  });

  // XState copies the context on every assign, and both machines assign per batch of frames; V8
  // copies an object of more than 19 properties in dictionary mode, 10–30 times slower (ConnectionContext).
  it('keeps the contexts assigned per batch small enough to copy in V8 fast mode', async () => {
    const cpu = connect().subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(10);
    expect(Object.keys(client!.actor.getSnapshot().context).length).toBeLessThanOrEqual(18);
    expect(Object.keys(cpu.ref.getSnapshot().context).length).toBeLessThanOrEqual(18);
  });

  it('pings on the heartbeat and measures the round trip', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(3_020);
    // One on welcome, then one heartbeat after each pong (the round trip is 4 ms on mock-socket).
    expect(server.framesOfType('ping').length).toBe(4);
    expect(view().status).toBe('connected');
    expect(view().latencyMs).toBeGreaterThanOrEqual(0);
    expect(view().latencyMs).toBeLessThan(20); // mock-socket delivers after 4 ms
  });

  it('declares an open but silent socket dead after the heartbeat timeout, the last part of it a check ping, and reconnects', async () => {
    server.pong = false;
    connect({ checkTimeoutMs: 1_000 });
    await vi.advanceTimersByTimeAsync(10);
    await vi.advanceTimersByTimeAsync(3_980);
    expect(view()).toMatchObject({
      status: 'connected',
      statePath: expect.stringContaining('liveness.watching'),
    });
    await vi.advanceTimersByTimeAsync(30);
    expect(view()).toMatchObject({
      status: 'connected',
      statePath: expect.stringContaining('liveness.checking'),
    });
    await vi.advanceTimersByTimeAsync(960);
    expect(view().status).toBe('connected');
    await vi.advanceTimersByTimeAsync(30);
    expect(view()).toMatchObject({
      status: 'reconnecting',
      attempt: 1,
      lastError: { code: 'heartbeat_timeout' },
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(server.openSockets()).toBe(0); // the dead socket was closed, not abandoned
  });

  it('waits exactly the backoff it shows: nextRetryAt is when the next attempt starts', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    server.drop();
    await vi.advanceTimersByTimeAsync(5);
    const { nextRetryAt, attempt } = view();
    expect(attempt).toBe(1);
    expect(retryDelay()).toBe(500); // full jitter: 0.5 · min(30 s, 1 s · 2^0)
    await vi.advanceTimersByTimeAsync(nextRetryAt! - Date.now() - 1);
    expect(view().status).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1);
    expect(view()).toMatchObject({ status: 'connecting', nextRetryAt: null });
  });

  it('backs off exponentially while the server stays away', async () => {
    server.accepting = false;
    connect({ backoff: { maxAttempts: 5 }, polling: false });
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      await vi.waitFor(() => expect(view().attempt).toBe(attempt));
      delays.push(retryDelay());
      await vi.advanceTimersByTimeAsync(view().nextRetryAt! - Date.now() + 5);
    }
    expect(delays).toEqual([500, 1_000, 2_000, 4_000]);
  });

  it('RETRY skips the backoff wait', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    server.drop();
    await vi.advanceTimersByTimeAsync(5);
    expect(view().status).toBe('reconnecting');
    client!.retry();
    expect(view().status).toBe('connecting');
    await vi.advanceTimersByTimeAsync(10);
    expect(view().status).toBe('connected');
  });

  it('falls back to polling when the attempts run out, and returns to WebSocket when a probe opens', async () => {
    server.accepting = false;
    connect({ backoff: { maxAttempts: 2, baseMs: 100 }, polling: { waitMs: 20_000 } });
    const cpu = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(500);
    expect(view()).toMatchObject({ status: 'polling', transport: 'polling' });
    expect(server.connections).toBe(0);
    expect(subscriptionView(cpu.ref.getSnapshot())).toMatchObject({
      status: 'live',
      data: { total: 1 },
      seq: 0,
    });
    // The same frames arrive over HTTP: a publish wakes the held poll.
    server.publish('host.cpu', [{ op: 'replace', path: '/total', value: 2 }]);
    await vi.advanceTimersByTimeAsync(1);
    expect(subscriptionView(cpu.ref.getSnapshot())).toMatchObject({
      status: 'live',
      data: { total: 2 },
      seq: 1,
    });
    const poll = server.requests.at(-1)!.url;
    expect(poll.pathname).toBe('/api/poll');
    expect([...poll.searchParams]).toEqual([
      ['topic', 'host.cpu'],
      ['since', 'E1:1'],
      ['wait', '20000'],
      ['client', expect.any(String)],
    ]);
    // Probes start 5 s after falling back; the next one opens.
    expect(retryDelay()).toBe(5_000);
    server.accepting = true;
    await vi.advanceTimersByTimeAsync(view().nextRetryAt! - Date.now() + 20); // probe opens, then a fresh socket
    expect(view()).toMatchObject({ status: 'connected', transport: 'websocket' });
    expect(server.connections).toBe(2);
    expect(server.heldPolls).toBe(0);
    expect(server.framesOfType('subscribe').at(-1)).toEqual({
      type: 'subscribe',
      topic: 'host.cpu',
      since: { epoch: 'E1', seq: 1 },
    });
    expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live');
  });

  it('gives a WebSocket that never opened fewer attempts before polling takes over than one that worked', async () => {
    server.accepting = false;
    connect({ backoff: { maxAttempts: 5, maxAttemptsUntilOpen: 2 } });
    expect(view().maxAttempts).toBe(2);
    await vi.advanceTimersByTimeAsync(3_000); // 500 ms + 1 s of backoff, and 4 ms per refusal
    expect(view().status).toBe('polling');
    expect(server.connections).toBe(0);

    // Once a WebSocket has worked, losing it is worth the whole schedule.
    server.accepting = true;
    await vi.advanceTimersByTimeAsync(5_020);
    expect(view()).toMatchObject({ status: 'connected', maxAttempts: 5 });
    server.accepting = false;
    server.drop();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(view()).toMatchObject({ status: 'reconnecting', attempt: 3 });
  });

  it('probes on a 5–30 s schedule while polling', async () => {
    server.accepting = false;
    connect({ backoff: { maxAttempts: 0 } });
    await vi.advanceTimersByTimeAsync(5);
    expect(view().status).toBe('polling');
    const gaps: number[] = [];
    for (let probe = 0; probe < 4; probe++) {
      gaps.push(retryDelay());
      await vi.advanceTimersByTimeAsync(view().nextRetryAt! - Date.now() + 5);
    }
    expect(gaps).toEqual([5_000, 7_500, 12_500, 17_500]); // 5 s + 0.5 · (min(30 s, 5 s · 2^n) − 5 s)
    expect(view().status).toBe('polling');
  });

  it('is unreachable, not polling, while no poll is answered, and says when it tries again', async () => {
    server.accepting = false;
    server.httpUp = false;
    connect({ backoff: { maxAttempts: 0 } });
    await vi.advanceTimersByTimeAsync(5);
    const failedAt = 1_000_000 + 4; // mock-socket refuses after 4 ms, and polling takes over then
    expect(view()).toMatchObject({
      status: 'unreachable',
      transport: null,
      nextPollAt: failedAt + 1_000,
      nextRetryAt: failedAt + 5_000,
      lastError: { message: 'fetch failed' },
    });
    expect(view().statePath).toContain('fallbackPolling.link.down');

    // The first answered poll makes it polling, with when it was answered.
    server.httpUp = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(view()).toMatchObject({
      status: 'polling',
      transport: 'polling',
      nextPollAt: null,
      lastHeardAt: failedAt + 1_000,
    });
    server.httpUp = false;
    await vi.advanceTimersByTimeAsync(20_000); // the held /healthz wait ends, the next poll fails
    expect(view().status).toBe('unreachable');
  });

  it('goes straight to polling when WebSocket is unavailable', async () => {
    connect({ WebSocket: null });
    await vi.advanceTimersByTimeAsync(1);
    expect(view()).toMatchObject({ status: 'polling', transport: 'polling' });
  });

  it('fails with attempts_exhausted when the attempts run out and polling is off', async () => {
    server.accepting = false;
    connect({ backoff: { maxAttempts: 1 }, polling: false });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(view()).toMatchObject({ status: 'failed', lastError: { code: 'attempts_exhausted' } });
  });

  it('fails with no_transport when there is neither WebSocket nor fetch', () => {
    connect({ WebSocket: null, fetch: null });
    expect(view()).toMatchObject({ status: 'failed', lastError: { code: 'no_transport' } });
  });

  it('fails on an `unauthorized` error frame, does not retry by itself, and recovers on RETRY', async () => {
    server.welcome = false;
    connect();
    await vi.advanceTimersByTimeAsync(10);
    server.send({ type: 'error', code: 'unauthorized', message: 'bad token' });
    await delivered();
    expect(view()).toMatchObject({
      status: 'failed',
      lastError: { code: 'unauthorized', message: 'bad token' },
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.connections).toBe(1);
    server.welcome = { heartbeatMs: 1_000 };
    client!.retry();
    await vi.advanceTimersByTimeAsync(10);
    expect(view()).toMatchObject({ status: 'connected', lastError: null });
  });

  it('fails on close 4401 and recovers on RETRY', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    server.drop(4401, 'unauthorized');
    await vi.advanceTimersByTimeAsync(5);
    expect(view()).toMatchObject({
      status: 'failed',
      lastError: { code: 'close_4401', message: 'unauthorized' },
    });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.connections).toBe(1);
    client!.retry();
    await vi.advanceTimersByTimeAsync(10);
    expect(view().status).toBe('connected');
  });

  it('fails when polling is refused (HTTP 401)', async () => {
    server.httpStatus = 401;
    connect({ WebSocket: null });
    await vi.advanceTimersByTimeAsync(1);
    expect(view()).toMatchObject({ status: 'failed', lastError: { code: 'unauthorized' } });
  });

  it('records a bad frame from the server and carries on', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    server.sendRaw('{"type":"snapshot"}');
    await delivered();
    expect(view()).toMatchObject({ status: 'connected', lastError: { code: 'bad_frame' } });
  });

  it('stops trying while offline and reconnects at once, attempts reset, when the network returns', async () => {
    const network = new FakeNetwork();
    connect({ network: network.settings });
    await vi.advanceTimersByTimeAsync(10);
    server.drop();
    await vi.advanceTimersByTimeAsync(5);
    await vi.advanceTimersByTimeAsync(400);
    network.go(false);
    expect(view().status).toBe('offline');
    await vi.advanceTimersByTimeAsync(120_000);
    expect(server.connections).toBe(1);
    network.go(true);
    expect(view()).toMatchObject({ status: 'connecting', attempt: 0 });
    await vi.advanceTimersByTimeAsync(10);
    expect(view().status).toBe('connected');
  });

  it('goes offline from a live link, closing the socket, and marks subscriptions stale', async () => {
    const network = new FakeNetwork();
    connect({ network: network.settings });
    const cpu = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(20);
    expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('live');
    network.go(false);
    expect(view()).toMatchObject({ status: 'offline', transport: null });
    expect(subscriptionView(cpu.ref.getSnapshot()).status).toBe('stale');
    await vi.advanceTimersByTimeAsync(10);
    expect(server.openSockets()).toBe(0);
  });

  it('starts offline when the browser says so', async () => {
    connect({ network: new FakeNetwork(false).settings });
    await vi.advanceTimersByTimeAsync(100);
    expect(view().status).toBe('offline');
    expect(server.connections).toBe(0);
  });
});
