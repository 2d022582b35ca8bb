import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTetherClient } from '../../src/client/index.ts';
import type { TetherClient } from '../../src/client/index.ts';
import { createLeaderElectedClient } from '../../src/client/shared/leader.ts';
import type { ChannelLike, LeaderEnvironment } from '../../src/client/shared/leader.ts';
import type { TabLocks, TabPage, TabPageHandlers } from '../../src/client/shared/tab-page.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';

/**
 * The fallback where SharedWorker is missing: tabs elect a leader with Web Locks and talk over a
 * BroadcastChannel. Fakes of both behave as the browser's do for this purpose: a channel
 * delivers a clone to every other channel of its name a microtask later; a lock is exclusive,
 * granted in request order, released when its callback's promise settles.
 */

type Listener = (event: { data: unknown }) => void;

class FakeChannels {
  readonly #open = new Map<string, Set<FakeChannel>>();
  open(name: string): FakeChannel {
    const channel = new FakeChannel(name, this.#open);
    if (!this.#open.has(name)) this.#open.set(name, new Set());
    this.#open.get(name)!.add(channel);
    return channel;
  }
}

class FakeChannel implements ChannelLike {
  readonly listeners = new Set<Listener>();
  constructor(
    readonly name: string,
    readonly peers: Map<string, Set<FakeChannel>>,
  ) {}
  postMessage(message: unknown): void {
    const data = structuredClone(message);
    for (const peer of this.peers.get(this.name) ?? []) {
      if (peer !== this)
        queueMicrotask(() => peer.listeners.forEach((listener) => listener({ data })));
    }
  }
  addEventListener(_type: 'message', listener: Listener): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'message', listener: Listener): void {
    this.listeners.delete(listener);
  }
  close(): void {
    this.peers.get(this.name)?.delete(this);
  }
}

class FakeLocks implements TabLocks {
  readonly #queues = new Map<string, (() => void)[]>();
  request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const run = () => {
        callback()
          .then(resolve, reject)
          .finally(() => {
            const queue = this.#queues.get(name)!;
            queue.shift();
            queue[0]?.();
          });
      };
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      queue.push(run);
      if (queue.length === 1) run();
    });
  }
}

/** One tab's page: every listener hears pagehide/pageshow/visible. */
class FakePage implements TabPage {
  readonly handlers = new Set<TabPageHandlers>();
  listen(handlers: TabPageHandlers) {
    this.handlers.add(handlers);
    return () => void this.handlers.delete(handlers);
  }
  hide(): void {
    for (const handlers of [...this.handlers]) handlers.hide();
  }
}

let server: ScriptedServer;
let channels: FakeChannels;
let locks: FakeLocks;
let tabs: { client: TetherClient; page: FakePage }[];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
  server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
  server.topic('t', { values: [] });
  channels = new FakeChannels();
  locks = new FakeLocks();
  tabs = [];
});
afterEach(() => {
  for (const tab of tabs) tab.client.stop();
  server.stop();
  vi.useRealTimers();
});

function openTab(
  options: { token?: string; onTokenRenewed?: (token: string) => void } = {},
  sealTokens = false,
) {
  const page = new FakePage();
  const env: LeaderEnvironment = {
    sealTokens,
    openChannel: (name) => channels.open(name),
    locks,
    page,
    createClient: (options) =>
      createTetherClient({
        ...options,
        WebSocket: server.WebSocket,
        fetch: server.fetch,
        network: false,
        page: false,
        random: () => 0.5,
      }),
  };
  const client = createLeaderElectedClient(
    {
      name: 'test',
      url: server.httpUrl,
      heartbeatMs: 1_000,
      heartbeatTimeoutMs: 5_000,
      backoff: { baseMs: 10, capMs: 10 },
      ...options,
    },
    env,
  );
  const tab = { client, page };
  tabs.push(tab);
  return tab;
}
const settle = () => vi.advanceTimersByTimeAsync(30);
const publish = (value: number) => server.publish('t', [{ op: 'add', path: '/values/-', value }]);

describe('cross-tab sharing without SharedWorker: a leader tab', () => {
  it('gives three tabs one connection, held by the tab that took the lock first', async () => {
    const views = [openTab(), openTab(), openTab()].map((tab) => tab.client.subscribe('t').view);
    await settle();
    publish(1);
    await settle();
    expect(server.connections).toBe(1);
    expect(server.framesOfType('subscribe')).toHaveLength(1);
    for (const view of views)
      expect(view.get()).toMatchObject({ status: 'live', data: { values: [1] } });
  });

  it('hands over when the leader tab goes: another tab takes the lock and the connection, every tab keeps every value', async () => {
    const [leader, ...others] = [openTab(), openTab(), openTab()];
    leader.client.subscribe('t');
    const views = others.map((tab) => tab.client.subscribe('t').view);
    await settle();
    publish(1);
    await settle();
    leader.page.hide(); // pagehide: the leader resigns and detaches
    leader.client.stop();
    await settle();
    publish(2);
    await settle();
    expect(server.connections).toBe(2);
    for (const view of views)
      expect(view.get()).toMatchObject({ status: 'live', data: { values: [1, 2] } });
    publish(3);
    await settle();
    for (const view of views) expect(view.get().data).toEqual({ values: [1, 2, 3] });
  });

  it('sends an action still pending when the leader went again, under the same id, so the server applies it once', async () => {
    server.actions = () => null; // the old leader's server never answers
    const [leader, other] = [openTab(), openTab()];
    await settle();
    const id = other.client.send('t', { n: 1 });
    await settle();
    expect(other.client.outbox.get().pending.map((entry) => entry.id)).toEqual([id]);
    server.actions = 'ack';
    leader.page.hide();
    leader.client.stop();
    await settle();
    expect(server.framesOfType('action').map((frame) => frame.id)).toEqual([id, id]);
    expect(other.client.outbox.get()).toEqual({ pending: [], refused: [] });
  });

  it("keeps a tab's refusals across a handover: the new leader's outbox never saw them", async () => {
    server.actions = (frame) => ({
      type: 'nack',
      id: frame.id,
      code: 'conflict',
      message: 'stale version',
    });
    const [leader, other] = [openTab(), openTab()];
    await settle();
    const id = other.client.send('t', { n: 1 });
    await settle();
    const refusal = expect.objectContaining({ id, topic: 't', code: 'conflict' });
    expect(other.client.outbox.get().refused).toEqual([refusal]);
    leader.page.hide();
    leader.client.stop();
    await settle();
    expect(server.connections).toBe(2);
    expect(other.client.outbox.get()).toEqual({ pending: [], refused: [refusal] });
  });

  it("takes a signed-in tab's token for the leader's connection, but the token never crosses the channel in the clear", async () => {
    const TOKEN = 'token-of-the-signed-in-tab';
    const heard: unknown[] = [];
    channels.open('test').addEventListener('message', ({ data }) => heard.push(data)); // any same-origin page
    server.authorize = (token) => (token === TOKEN ? null : 'a token is required');
    vi.useRealTimers(); // WebCrypto answers on the real event loop
    const leader = openTab({}, true); // first: takes the lock, and has no token of its own
    const signedIn = openTab({ token: TOKEN }, true);
    const views = [leader, signedIn].map((tab) => tab.client.subscribe('t').view);
    await vi.waitFor(() => expect(views[1]!.get()).toMatchObject({ status: 'live' }), {
      timeout: 5000,
    });
    expect(server.framesOfType('hello').map((frame) => frame.token)).toContain(TOKEN);
    expect(heard.some((message) => JSON.stringify(message).includes('token?'))).toBe(true);
    expect(JSON.stringify(heard)).not.toContain(TOKEN);
  });

  it('keeps a renewed token in the leader tab only: it never crosses the channel', async () => {
    const heard: unknown[] = [];
    channels.open('test').addEventListener('message', ({ data }) => heard.push(data)); // any same-origin page
    const kept: string[][] = [[], []];
    const tabsOpened = [0, 1].map((i) =>
      openTab({ token: 'first', onTokenRenewed: (token) => kept[i]!.push(token) }),
    );
    tabsOpened[1]!.client.subscribe('t');
    await settle();
    expect(server.connections).toBe(1);
    server.send({ type: 'token', token: 'renewed-token' });
    await settle();
    expect(kept).toEqual([['renewed-token'], []]);
    expect(JSON.stringify(heard)).not.toContain('renewed-token');
  });
});
