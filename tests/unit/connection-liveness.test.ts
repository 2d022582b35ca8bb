import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectionView, createTetherClient } from '../../src/client/index.ts';
import type { LocalTetherClient, TetherClientOptions } from '../../src/client/index.ts';
import type { PageLifecycleSettings } from '../../src/client/page-lifecycle.ts';
import { FakeNetwork, ScriptedServer } from '../fixtures/scripted-server.ts';
import { scriptedClientOptions } from '../fixtures/scripted-client.ts';

/**
 * The link in the real browser world: background tabs whose timers fire late, sleep and wake,
 * network changes, unload. Fake timers drive the clock; `vi.setSystemTime` jumps the wall clock
 * forward without running timers, which is what a frozen tab or a sleeping laptop looks like.
 */

/** A page the test drives: visibility, pagehide/pageshow; the wake detector runs on the fake timers. */
class FakePage {
  visibilityState = 'visible';
  readonly #listeners = new Map<string, Set<(event: { persisted?: boolean }) => void>>();
  readonly settings: PageLifecycleSettings = {
    window: this,
    document: this,
    wake: { intervalMs: 1_000, thresholdMs: 2_000 },
    now: () => Date.now(),
    setInterval: (run, ms) => setInterval(run, ms),
    clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
  };
  addEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type)!.add(listener);
  }
  removeEventListener(type: string, listener: (event: { persisted?: boolean }) => void): void {
    this.#listeners.get(type)?.delete(listener);
  }
  get listenerCount(): number {
    return [...this.#listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
  dispatch(type: string, event: { persisted?: boolean } = {}): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener(event);
  }
  show(visible: boolean): void {
    this.visibilityState = visible ? 'visible' : 'hidden';
    this.dispatch('visibilitychange');
  }
}

let server: ScriptedServer;
let client: LocalTetherClient | undefined;
let page: FakePage;
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
  server.topic('t', { n: 0 });
  page = new FakePage();
});
afterEach(() => {
  client?.stop();
  client = undefined;
  server.stop();
  vi.useRealTimers();
});

function connect(options: TetherClientOptions = {}): LocalTetherClient {
  client = createTetherClient({
    ...scriptedClientOptions(server),
    page: page.settings,
    checkTimeoutMs: 1_000,
    ...options,
  });
  return client;
}
const view = () => connectionView(client!.actor.getSnapshot());
const pings = () => server.framesOfType('ping').length;

describe('liveness in the real browser world', () => {
  it('keeps a link alive on frames alone, without arming a timer per frame', async () => {
    server.pong = false; // only the topic's frames prove the link
    connect({ heartbeatMs: 60_000 });
    client!.subscribe('t');
    await vi.advanceTimersByTimeAsync(10);
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 1; i <= 40; i++) {
      server.publish('t', [{ op: 'replace', path: '/n', value: i }]);
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(setTimeoutSpy.mock.calls.length).toBeLessThan(5);
    setTimeoutSpy.mockRestore();
    for (let i = 1; i <= 20; i++) {
      server.publish('t', [{ op: 'replace', path: '/n', value: 100 + i }]);
      await vi.advanceTimersByTimeAsync(1_000);
    }
    expect(view()).toMatchObject({
      status: 'connected',
      statePath: expect.stringContaining('liveness.watching'),
    });
    expect(server.connections).toBe(1);
  });

  it('does not declare a link dead because its silence timer fired before the pings could be answered (throttled tab): it asks first', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    page.show(false);
    // The throttled heartbeat got nothing through before the silence timer fired.
    server.pong = false;
    await vi.advanceTimersByTimeAsync(3_990);
    server.pong = true;
    await vi.advanceTimersByTimeAsync(50);
    expect(pings()).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(view()).toMatchObject({ status: 'connected', attempt: 0, lastError: null });
    expect(server.connections).toBe(1);
  });

  it('survives the wall clock jumping ten minutes while the tab was frozen', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    page.show(false);
    vi.setSystemTime(Date.now() + 600_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(view()).toMatchObject({ status: 'connected', attempt: 0, lastError: null });
    expect(server.connections).toBe(1);
  });

  it('checks the link at once when the tab becomes visible, and reconnects quickly when the check goes unanswered', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    page.show(false);
    await vi.advanceTimersByTimeAsync(100);
    server.pong = false; // the link died while hidden, silently
    const before = pings();
    page.show(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(pings()).toBe(before + 1);
    expect(view().statePath).toContain('liveness.checking');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(view()).toMatchObject({
      status: 'reconnecting',
      lastError: { code: 'heartbeat_timeout' },
    });
  });

  it('stays connected when the check on becoming visible is answered', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    page.show(false);
    page.show(true);
    await vi.advanceTimersByTimeAsync(20);
    expect(view()).toMatchObject({
      status: 'connected',
      statePath: expect.stringContaining('liveness.watching'),
    });
    await vi.advanceTimersByTimeAsync(3_000);
    expect(view().status).toBe('connected');
    expect(server.connections).toBe(1);
  });

  it('notices a wake from sleep by the wall clock jumping, pings at once, and resumes on a new link when the old one is dead', async () => {
    connect();
    const hold = client!.subscribe('t');
    await vi.advanceTimersByTimeAsync(10);
    server.publish('t', [{ op: 'replace', path: '/n', value: 1 }]);
    await vi.advanceTimersByTimeAsync(10);
    server.pong = false;
    vi.setSystemTime(Date.now() + 3_600_000); // an hour asleep
    const before = pings();
    await vi.advanceTimersByTimeAsync(1_000); // the wake detector's next tick
    expect(pings()).toBeGreaterThan(before);
    expect(view().statePath).toContain('liveness.checking');
    server.pong = true;
    server.drop(1006, ''); // the old socket turns out to be dead
    server.publish('t', [{ op: 'replace', path: '/n', value: 2 }], { deliver: false });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(view()).toMatchObject({ status: 'connected' });
    expect(hold.ref.getSnapshot().context.position).toMatchObject({ seq: 2, data: { n: 2 } });
    // Resumed from the seq it held, not a fresh snapshot.
    expect(server.framesOfType('subscribe').at(-1)).toMatchObject({ since: { seq: 1 } });
  });

  it("does not take a hidden tab's late ticks for a wake (its check comes when it becomes visible)", async () => {
    server.welcome = { heartbeatMs: 60_000 }; // no heartbeat ping in this test's time
    connect({ heartbeatMs: 60_000, heartbeatTimeoutMs: 120_000 });
    await vi.advanceTimersByTimeAsync(20); // connected, and the ping sent on welcome has arrived
    page.show(false);
    const before = pings();
    vi.setSystemTime(Date.now() + 60_000); // throttled: the wake detector's ticks come a minute late
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pings()).toBe(before);
    page.show(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(pings()).toBe(before + 1);
  });

  it('checks the link when the network comes back while connected (a new network may have stranded the socket)', async () => {
    const network = new FakeNetwork();
    connect({ network: network.settings });
    await vi.advanceTimersByTimeAsync(20); // connected, and the ping sent on welcome has arrived
    const before = pings();
    network.go(true);
    await vi.advanceTimersByTimeAsync(10);
    expect(pings()).toBe(before + 1);
    expect(view().status).toBe('connected');
  });

  it('skips the backoff wait when the tab becomes visible while reconnecting', async () => {
    connect({ backoff: { baseMs: 30_000, capMs: 30_000 } });
    await vi.advanceTimersByTimeAsync(10);
    server.accepting = false;
    server.drop(1006, '');
    await vi.advanceTimersByTimeAsync(10);
    expect(view().status).toBe('reconnecting');
    server.accepting = true;
    page.show(true);
    await vi.advanceTimersByTimeAsync(20);
    expect(view().status).toBe('connected');
  });

  it('closes the socket on pagehide without trying to reconnect, and reconnects when the page returns from the back/forward cache', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    page.dispatch('pagehide', { persisted: true });
    await vi.advanceTimersByTimeAsync(10);
    expect(server.openSockets()).toBe(0);
    expect(view().status).toBe('suspended'); // on purpose, not waiting to connect
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.connections).toBe(1); // nothing was retried while hidden
    page.dispatch('pageshow', { persisted: true });
    await vi.advanceTimersByTimeAsync(10);
    expect(view().status).toBe('connected');
    expect(server.connections).toBe(2);
  });

  it('leaves no listener or timer behind on stop', async () => {
    connect();
    await vi.advanceTimersByTimeAsync(10);
    expect(page.listenerCount).toBe(3);
    client!.stop();
    client = undefined;
    expect(page.listenerCount).toBe(0);
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(0);
  });
});
