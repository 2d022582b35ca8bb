import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTetherClient } from '../../src/client/index.ts';
import type { OutboxStore, StoredAction } from '../../src/client/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';

/** An OutboxStore in memory; every call answers asynchronously, as IndexedDB does. */
class MemoryStore implements OutboxStore {
  readonly records = new Map<string, StoredAction>();
  failing = false;
  async load() {
    await this.#io();
    return [...this.records.values()].map((action) => structuredClone(action));
  }
  async put(action: StoredAction) {
    await this.#io();
    this.records.set(action.id, structuredClone(action));
  }
  async delete(id: string) {
    await this.#io();
    this.records.delete(id);
  }
  async #io() {
    await Promise.resolve();
    if (this.failing) throw new Error('quota exceeded');
  }
  get payloads() {
    return [...this.records.values()].map((action) => action.payload);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

describe('durable outbox', () => {
  let server: ScriptedServer;
  let store: MemoryStore;
  const clients: { stop(): void }[] = [];
  beforeEach(() => {
    server = new ScriptedServer();
    store = new MemoryStore();
  });
  afterEach(() => {
    for (const client of clients.splice(0)) client.stop();
    server.stop();
  });
  const start = (outboxStore: OutboxStore = store) => {
    const client = createTetherClient({
      url: server.httpUrl,
      WebSocket: server.WebSocket,
      fetch: null,
      network: false,
      page: false,
      handover: 'task',
      outboxStore,
    });
    clients.push(client);
    return client;
  };
  const actionIds = () => server.framesOfType('action').map((frame) => frame.id);

  it('keeps each action until the server answers it, acked or refused', async () => {
    server.actions = () => null;
    const client = start();
    await vi.advanceTimersByTimeAsync(10);
    const base = { epoch: 'E1', seq: 3 };
    const kept = client.send(
      'alerts.thresholds',
      { set: { load1: 5 } },
      {
        base,
        fields: ['/load1'],
      },
    );
    const refused = client.send('alerts.thresholds', 'no');
    await vi.advanceTimersByTimeAsync(10);
    expect(store.records.get(kept)).toMatchObject({
      topic: 'alerts.thresholds',
      payload: { set: { load1: 5 } },
      base,
      fields: ['/load1'],
    });
    expect(store.payloads).toEqual([{ set: { load1: 5 } }, 'no']);

    server.send({ type: 'nack', id: refused, code: 'out_of_range', message: 'no' });
    await vi.advanceTimersByTimeAsync(10);
    expect([...store.records.keys()]).toEqual([kept]);
    server.send({ type: 'ack', id: kept });
    await vi.advanceTimersByTimeAsync(10);
    expect(store.records.size).toBe(0);
  });

  it('a reloaded page sends what the previous one left, under the same ids, in the order they were made', async () => {
    const closed = start();
    // Offline: nothing reaches the server.
    server.accepting = false;
    server.drop();
    await vi.advanceTimersByTimeAsync(10);
    const ids = [1, 2, 3].map((n) => closed.send('alerts.thresholds', n));
    await vi.advanceTimersByTimeAsync(10);
    closed.stop(); // the tab is closed (or reloaded) before the link is back
    expect(store.payloads.sort()).toEqual([1, 2, 3]);
    const sentBefore = actionIds().length;

    server.accepting = true;
    const reloaded = start();
    await vi.advanceTimersByTimeAsync(50);
    expect(actionIds().slice(sentBefore)).toEqual(ids);
    expect(reloaded.outbox.get().pending).toEqual([]);
    expect(store.records.size).toBe(0);
  });

  it('two pages restoring the same store send each action under its one id (the server applies an id once)', async () => {
    server.actions = () => null;
    const first = start();
    await vi.advanceTimersByTimeAsync(10);
    const id = first.send('alerts.thresholds', 'once');
    await vi.advanceTimersByTimeAsync(10);
    first.stop();
    server.actions = 'ack';
    start();
    start();
    await vi.advanceTimersByTimeAsync(50);
    expect(new Set(actionIds())).toEqual(new Set([id]));
    expect(store.records.size).toBe(0);
  });

  it('keeps working in memory when the store fails, and says so', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    store.failing = true;
    const client = start();
    await vi.advanceTimersByTimeAsync(10);
    const id = client.send('alerts.thresholds', 'still sent');
    await vi.advanceTimersByTimeAsync(10);
    expect(actionIds()).toContain(id);
    expect(client.outbox.get().pending).toEqual([]);
    expect(warn).toHaveBeenCalledWith('Tether: the durable outbox failed', expect.any(Error));
    warn.mockRestore();
  });
});
