import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTetherClient } from '../../src/client/index.ts';
import type { TetherClient } from '../../src/client/index.ts';
import { createSharedHub } from '../../src/client/shared/hub.ts';
import type { SharedHub } from '../../src/client/shared/hub.ts';
import { createTabClient } from '../../src/client/shared/shared-client.ts';
import type { TabLocks, TabPage, TabPageHandlers } from '../../src/client/shared/tab-page.ts';
import { portPair } from '../fixtures/fake-ports.ts';
import type { FakePort } from '../fixtures/fake-ports.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';

/**
 * Cross-tab sharing without a browser: tabs (createTabClient) and the hub (createSharedHub, what
 * the SharedWorker runs) talk over in-memory ports that clone every message and deliver it a
 * microtask later, as MessagePorts do; the hub's client talks to the scripted server.
 */

/** A page the test drives (visible again, pagehide, pageshow). */
class FakeTabPage implements TabPage {
  handlers: TabPageHandlers | null = null;
  listen(handlers: TabPageHandlers) {
    this.handlers = handlers;
    return () => (this.handlers = null);
  }
}

/** Web Locks as the browser does them for this case: a tab's lock is granted to the hub when the tab lets go. */
class FakeLocks implements TabLocks {
  readonly held = new Map<string, { release: Promise<unknown>; waiting: (() => void)[] }>();
  request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
    const current = this.held.get(name);
    if (current) return new Promise((resolve) => current.waiting.push(() => resolve(callback())));
    const release = callback();
    const entry = { release, waiting: [] as (() => void)[] };
    this.held.set(name, entry);
    void release.then(() => {
      this.held.delete(name);
      for (const next of entry.waiting) next();
    });
    return release;
  }
}

let server: ScriptedServer;
let hub: SharedHub;
let hubClients: TetherClient[];
let tabs: {
  client: TetherClient;
  page: FakeTabPage;
  port: () => FakePort | undefined;
  hubPort: () => FakePort | undefined;
}[];
let locks: FakeLocks;
const crashed = new Map<string, () => void>();

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
  server.topic('t', { n: 0 });
  locks = new FakeLocks();
  hubClients = [];
  tabs = [];
  hub = createSharedHub({
    createClient: (config, getToken, onTokenRenewed) => {
      const client = createTetherClient({
        ...config,
        getToken,
        onTokenRenewed,
        WebSocket: server.WebSocket,
        fetch: server.fetch,
        network: false,
        page: false,
        random: () => 0.5,
      });
      hubClients.push(client);
      return client;
    },
    watchTab: (tab, gone) => crashed.set(tab, gone),
    lingerMs: 1_000,
  });
});
afterEach(() => {
  for (const tab of tabs) tab.client.stop();
  hub.stop();
  server.stop();
  crashed.clear();
  vi.useRealTimers();
});

function openTab(
  options: { token?: string; useLocks?: boolean; onTokenRenewed?: (token: string) => void } = {},
) {
  const page = new FakeTabPage();
  let port: FakePort | undefined;
  let hubPort: FakePort | undefined;
  const client = createTabClient({
    url: server.httpUrl,
    heartbeatMs: 1_000,
    heartbeatTimeoutMs: 5_000,
    token: options.token,
    ...(options.onTokenRenewed && { onTokenRenewed: options.onTokenRenewed }),
    page,
    locks: options.useLocks ? locks : null,
    connect: () => {
      const [tabEnd, hubEnd] = portPair();
      hub.connect(hubEnd);
      port = tabEnd;
      hubPort = hubEnd;
      return tabEnd;
    },
  });
  const tab = { client, page, port: () => port, hubPort: () => hubPort };
  tabs.push(tab);
  return tab;
}
const settle = () => vi.advanceTimersByTimeAsync(20);

describe('cross-tab sharing: tabs and the hub', () => {
  it('hands a token the server renewed to every tab, so a reload after the hub is gone still signs in', async () => {
    const keptA: string[] = [];
    const keptB: string[] = [];
    openTab({ token: 'first', onTokenRenewed: (token) => keptA.push(token) });
    openTab({ token: 'first', onTokenRenewed: (token) => keptB.push(token) });
    await settle();
    expect(server.connections).toBe(1);
    server.send({ type: 'token', token: 'renewed' });
    await settle();
    expect(keptA).toEqual(['renewed']);
    expect(keptB).toEqual(['renewed']);
  });

  it('gives three tabs one connection and one server subscription per topic, each tab seeing the data and the connection', async () => {
    const [a, b, c] = [openTab(), openTab(), openTab()];
    const views = [a, b, c].map((tab) => tab.client.subscribe('t').view);
    await settle();
    expect(server.connections).toBe(1);
    expect(server.framesOfType('subscribe')).toHaveLength(1);
    server.publish('t', [{ op: 'replace', path: '/n', value: 7 }]);
    await settle();
    for (const view of views)
      expect(view.get()).toMatchObject({ topic: 't', status: 'live', seq: 1, data: { n: 7 } });
    for (const tab of [a, b, c]) {
      expect(tab.client.actor).toBeNull();
      expect(tab.client.connection.get()).toMatchObject({
        status: 'connected',
        transport: 'websocket',
      });
    }
  });

  it('sends each update to the tabs as its patch, not the document, and the tab keeps structural sharing', async () => {
    server.topic('big', {
      rows: Array.from({ length: 500 }, (_, i) => ({ i, label: `row ${i}` })),
      n: 0,
    });
    const a = openTab();
    const view = a.client.subscribe('big').view;
    await settle();
    const rows = (view.get().data as { rows: unknown[] }).rows;
    const postedBefore = a.hubPort()!.posted.length;
    for (let n = 1; n <= 5; n++) server.publish('big', [{ op: 'replace', path: '/n', value: n }]);
    await settle();
    expect(view.get()).toMatchObject({ status: 'live', seq: 5, data: { n: 5 } });
    expect((view.get().data as { rows: unknown[] }).rows).toBe(rows); // untouched subtree: same object
    // The document went once (the subscribe's snapshot frame); the five updates cost their patches.
    const updates = a.hubPort()!.posted.slice(postedBefore);
    expect(new Set(updates.map((message) => (message as { type: string }).type))).toEqual(
      new Set(['frames']),
    );
    expect(JSON.stringify(updates).length).toBeLessThan(
      JSON.stringify(view.get().data).length / 20,
    );
  });

  it("a tab that joins mid-stream starts from the hub's data and folds on in step with the others", async () => {
    const a = openTab();
    const viewA = a.client.subscribe('t').view;
    await settle();
    for (let n = 1; n <= 3; n++) server.publish('t', [{ op: 'replace', path: '/n', value: n }]);
    await settle();
    const b = openTab();
    const viewB = b.client.subscribe('t').view;
    await settle();
    expect(viewB.get()).toMatchObject({ status: 'live', seq: 3, data: { n: 3 } });
    server.publish('t', [{ op: 'replace', path: '/n', value: 4 }]);
    server.drop(1006, ''); // and through a reconnect, which resumes from seq 4
    await vi.advanceTimersByTimeAsync(5);
    server.publish('t', [{ op: 'replace', path: '/n', value: 5 }], { deliver: false });
    a.client.retry();
    await settle();
    for (const view of [viewA, viewB])
      expect(view.get()).toMatchObject({ status: 'live', epoch: 'E1', seq: 5, data: { n: 5 } });
  });

  it('every tab follows every connection state (reconnecting with its attempt and next retry, then connected)', async () => {
    const [a, b] = [openTab(), openTab()];
    await settle();
    server.drop(1006, '');
    await vi.advanceTimersByTimeAsync(5);
    for (const tab of [a, b]) {
      expect(tab.client.connection.get()).toMatchObject({
        status: 'reconnecting',
        attempt: 1,
        lastError: { code: 'close_1006' },
      });
      expect(tab.client.connection.get().nextRetryAt).toBeGreaterThan(Date.now());
    }
    b.client.retry();
    await settle();
    for (const tab of [a, b])
      expect(tab.client.connection.get()).toMatchObject({ status: 'connected', attempt: 0 });
  });

  it('counts topics across tabs: the server is unsubscribed only when the last tab lets go', async () => {
    const [a, b] = [openTab(), openTab()];
    const holdA1 = a.client.subscribe('t');
    const holdA2 = a.client.subscribe('t');
    const holdB = b.client.subscribe('t');
    await settle();
    holdA1.release();
    holdA1.release(); // twice: harmless
    holdA2.release();
    await settle();
    expect(server.framesOfType('unsubscribe')).toHaveLength(0);
    expect(hub.topics).toEqual(['t']);
    holdB.release();
    await settle();
    expect(server.framesOfType('unsubscribe')).toEqual([{ type: 'unsubscribe', topic: 't' }]);
    expect(hub.topics).toEqual([]);
  });

  it('releases what a tab held when it goes away: pagehide, or a crash noticed through its lock', async () => {
    const [a, b, c] = [
      openTab({ useLocks: true }),
      openTab({ useLocks: true }),
      openTab({ useLocks: true }),
    ];
    for (const tab of [a, b, c]) tab.client.subscribe('t');
    await settle();
    expect(hub.tabCount).toBe(3);
    a.page.handlers!.hide();
    await settle();
    expect(hub.tabCount).toBe(2);
    // A crashed tab says nothing; the lock it held is released by the browser.
    crashed.get(JSON.parse(JSON.stringify(b.port()!.posted[0])).tab)!();
    await settle();
    expect(hub.tabCount).toBe(1);
    expect(server.framesOfType('unsubscribe')).toHaveLength(0);
    c.client.stop();
    await settle();
    expect(hub.tabCount).toBe(0);
    expect(server.framesOfType('unsubscribe')).toHaveLength(1);
  });

  it('comes back from the back/forward cache on a new port with its topics', async () => {
    const a = openTab();
    const view = a.client.subscribe('t').view;
    await settle();
    a.page.handlers!.hide();
    await settle();
    expect(hub.tabCount).toBe(0);
    a.page.handlers!.show();
    server.publish('t', [{ op: 'replace', path: '/n', value: 3 }]);
    await settle();
    expect(hub.tabCount).toBe(1);
    expect(view.get()).toMatchObject({ status: 'live', data: { n: 3 } });
  });

  it('shows each tab its own actions only, under the id send() returned, refusals included', async () => {
    server.actions = () => null; // no answer yet
    const [a, b] = [openTab(), openTab()];
    await settle();
    const id = a.client.send('t', { set: 1 });
    await settle();
    expect(server.framesOfType('action')).toEqual([
      expect.objectContaining({ topic: 't', payload: { set: 1 } }),
    ]);
    expect(a.client.outbox.get().pending).toEqual([
      { id, topic: 't', payload: { set: 1 }, state: 'sent' },
    ]);
    expect(b.client.outbox.get()).toEqual({ pending: [], refused: [] });
    // Sent again after the ack timeout (same id on the wire), refused this time.
    server.actions = (frame) => ({
      type: 'nack',
      id: frame.id,
      code: 'conflict',
      message: 'stale version',
    });
    await vi.advanceTimersByTimeAsync(10_100);
    expect(a.client.outbox.get()).toEqual({
      pending: [],
      refused: [expect.objectContaining({ id, topic: 't', payload: { set: 1 }, code: 'conflict' })],
    });
    expect(b.client.outbox.get()).toEqual({ pending: [], refused: [] });
  });

  it('keeps its refusals when it attaches again (back from the back/forward cache), so a refused save never reads as saved', async () => {
    server.actions = (frame) => ({
      type: 'nack',
      id: frame.id,
      code: 'conflict',
      message: 'stale version',
    });
    const a = openTab();
    await settle();
    const id = a.client.send('t', { set: 1 });
    await settle();
    const refusal = expect.objectContaining({ id, topic: 't', code: 'conflict' });
    expect(a.client.outbox.get()).toEqual({ pending: [], refused: [refusal] });
    a.page.handlers!.hide();
    await settle();
    a.page.handlers!.show();
    await settle();
    expect(hub.tabCount).toBe(1);
    expect(a.client.outbox.get()).toEqual({ pending: [], refused: [refusal] });
    // Later refusals follow the earlier ones, newest last, as in a tab's own outbox.
    const later = a.client.send('t', { set: 2 });
    await settle();
    expect(a.client.outbox.get().refused.map((entry) => entry.id)).toEqual([id, later]);
  });

  it('asks the tabs for the credential and uses the first token one gives; no token in any URL', async () => {
    const seen: (string | undefined)[] = [];
    server.authorize = (token) => (seen.push(token), null);
    openTab({ token: 'secret-token' });
    openTab();
    await settle();
    expect(seen).toEqual(['secret-token']);
    expect(server.framesOfType('hello')).toEqual([
      { type: 'hello', token: 'secret-token', renew: true },
    ]);
    expect(hubClients).toHaveLength(1);
  });

  it('retries a connection refused for want of a credential when a tab that has one arrives', async () => {
    server.authorize = (token) => (token === 'secret-token' ? null : 'no token');
    const a = openTab();
    await settle();
    expect(a.client.connection.get()).toMatchObject({
      status: 'failed',
      lastError: { code: 'unauthorized' },
    });
    openTab({ token: 'secret-token' });
    await settle();
    expect(a.client.connection.get()).toMatchObject({ status: 'connected' });
  });

  it('checks the link when a tab becomes visible or comes online', async () => {
    const a = openTab();
    await settle();
    const before = server.framesOfType('ping').length;
    a.page.handlers!.check();
    await settle();
    expect(server.framesOfType('ping').length).toBe(before + 1);
  });

  it('forwards reauthenticate and resolves when the hub has asked again', async () => {
    const a = openTab({ token: 'one' });
    await settle();
    await Promise.all([a.client.reauthenticate(), settle()]);
    expect(server.framesOfType('hello')).toHaveLength(1); // same token: no fresh hello
  });

  it('closes the connection a moment after the last tab leaves, and starts afresh for the next tab', async () => {
    const a = openTab();
    await settle();
    a.client.stop();
    expect(a.client.connection.get().status).toBe('closed');
    await vi.advanceTimersByTimeAsync(1_100);
    expect(server.openSockets()).toBe(0);
    openTab();
    await settle();
    expect(server.connections).toBe(2);
    expect(() => a.client.subscribe('t')).toThrow(/stopped/);
  });
});
