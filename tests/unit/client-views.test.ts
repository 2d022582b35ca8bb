import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTetherClient, snapshotViews } from '../../src/client/index.ts';
import { shallowEqual } from '../../src/client/view-source.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';

let server: ScriptedServer;
let client: LocalTetherClient;
beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
  server.topic('counter', { n: 0 });
  client = createTetherClient({
    url: server.httpUrl,
    WebSocket: server.WebSocket,
    fetch: null,
    network: false,
    random: () => 0.5,
  });
});
afterEach(() => {
  client.stop();
  server.stop();
  vi.useRealTimers();
});
const settle = () => vi.advanceTimersByTimeAsync(20);
const bump = (n: number) => server.publish('counter', [{ op: 'replace', path: '/n', value: n }]);

describe('the client’s view sources', () => {
  it('a topic’s view follows every frame and keeps its identity between them', async () => {
    const { view } = client.subscribe('counter');
    expect(view.get()).toMatchObject({
      topic: 'counter',
      status: 'pending',
      seq: null,
      data: undefined,
    });
    const seen: Array<number | null> = [];
    view.subscribe(() => seen.push(view.get().seq));
    await settle();
    const live = view.get();
    expect(live).toMatchObject({ status: 'live', seq: 0, data: { n: 0 } });
    expect(view.get()).toBe(live);

    for (let n = 1; n <= 3; n++) {
      bump(n);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(seen.slice(-3)).toEqual([1, 2, 3]);
    expect(view.get()).toMatchObject({ seq: 3, data: { n: 3 } });
    expect(view.get()).not.toBe(live);
  });

  it('holders of one topic share its view source', () => {
    const first = client.subscribe('counter');
    const second = client.subscribe('counter');
    expect(second.view).toBe(first.view);
  });

  it('the connection’s view stays the same object, and quiet, while frames only carry data', async () => {
    const { release } = client.subscribe('counter');
    await settle();
    const connected = client.connection.get();
    expect(connected).toMatchObject({ status: 'connected', transport: 'websocket' });
    const heard = vi.fn();
    client.connection.subscribe(heard);
    for (let n = 1; n <= 5; n++) {
      bump(n);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(heard).not.toHaveBeenCalled();
    expect(client.connection.get()).toBe(connected);

    server.accepting = false;
    server.drop();
    await settle();
    expect(heard).toHaveBeenCalled();
    expect(client.connection.get().status).toBe('reconnecting');
    release();
  });

  it('the outbox’s view lists a queued action, and nothing changes it until its answer', async () => {
    await settle();
    const heard = vi.fn();
    client.outbox.subscribe(heard);
    const id = client.send('counter', { n: 1 });
    expect(client.outbox.get().pending).toEqual([
      { id, topic: 'counter', payload: { n: 1 }, state: expect.any(String) },
    ]);
    expect(heard).toHaveBeenCalled();
  });

  it('stops following the actor once the last listener unsubscribes', async () => {
    const unsubscribed = vi.fn();
    const listeners = new Set<() => void>();
    let snapshot = { n: 0 };
    const actor = {
      getSnapshot: () => snapshot,
      subscribe(observer: () => void) {
        listeners.add(observer);
        return { unsubscribe: () => (listeners.delete(observer), unsubscribed()) };
      },
    };
    const derive = vi.fn((s: { n: number }) => ({ even: s.n % 2 === 0 }));
    const source = snapshotViews(actor, derive);
    const first = source.get();
    const a = vi.fn();
    const b = vi.fn();
    const offA = source.subscribe(a);
    const offB = source.subscribe(b);
    expect(listeners.size).toBe(1); // one observation, however many listeners

    snapshot = { n: 2 }; // a new snapshot, an equal view: nobody hears, the object stays
    for (const listener of listeners) listener();
    expect(a).not.toHaveBeenCalled();
    expect(source.get()).toBe(first);
    snapshot = { n: 3 };
    for (const listener of listeners) listener();
    expect(a).toHaveBeenCalledTimes(1);
    expect(b).toHaveBeenCalledTimes(1);
    expect(source.get()).toEqual({ even: false });

    const derivations = derive.mock.calls.length;
    source.get();
    source.get();
    expect(derive.mock.calls.length).toBe(derivations); // once per snapshot, not per read

    offA();
    expect(unsubscribed).not.toHaveBeenCalled();
    offB();
    expect(unsubscribed).toHaveBeenCalledTimes(1);
  });
});

describe('shallowEqual (whether a new view replaces the old one)', () => {
  it('is equal for the same keys holding the same values, in any order', () => {
    const data = { n: 1 };
    expect(shallowEqual({ status: 'live', data }, { data, status: 'live' })).toBe(true);
    expect(shallowEqual({}, {})).toBe(true);
  });
  it('differs on a value that is not the same object, however alike', () => {
    expect(shallowEqual({ data: { n: 1 } }, { data: { n: 1 } })).toBe(false);
    expect(shallowEqual({ status: 'live' }, { status: 'stale' })).toBe(false);
  });
  it('differs on a key only one side has, even when both read as undefined', () => {
    expect(shallowEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(shallowEqual({ a: 1, b: 2 }, { a: 1 })).toBe(false);
    expect(shallowEqual<Record<string, unknown>>({ a: undefined }, { b: undefined })).toBe(false);
  });
  it('compares non-objects by identity', () => {
    expect(shallowEqual<unknown>(null, {})).toBe(false);
    expect(shallowEqual<unknown>(3, 3)).toBe(true);
  });
});
