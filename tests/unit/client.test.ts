import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createTetherClient, outboxView, subscriptionView } from '../../src/client/index.ts';
import type {
  LocalTetherClient,
  TetherClientOptions,
  WebSocketConstructor,
} from '../../src/client/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';

let server: ScriptedServer;
let client: LocalTetherClient | undefined;
beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
  server.topic('host.cpu', { samples: [] });
  server.topic('host.load', { load1: 0.5 });
});
afterEach(() => {
  client?.stop();
  client = undefined;
  server.stop();
  vi.useRealTimers();
});

function connect(options: TetherClientOptions = {}): LocalTetherClient {
  client = createTetherClient({
    url: server.httpUrl,
    WebSocket: server.WebSocket,
    fetch: null,
    network: false,
    ...options,
  });
  return client;
}
const sample = (value: number) => ({ op: 'add' as const, path: '/samples/-', value });

describe('createTetherClient', () => {
  it('shares one subscription between widgets on the same topic; the last release unsubscribes', async () => {
    connect();
    const first = client!.subscribe('host.cpu');
    const second = client!.subscribe('host.cpu');
    expect(second.ref).toBe(first.ref);
    await vi.advanceTimersByTimeAsync(20);
    expect(server.framesOfType('subscribe')).toEqual([{ type: 'subscribe', topic: 'host.cpu' }]);
    expect(client!.actor.getSnapshot().context.refcounts).toEqual({ 'host.cpu': 2 });

    first.release();
    first.release(); // a second release by the same holder must not take the other's reference
    await vi.advanceTimersByTimeAsync(10);
    expect(server.framesOfType('unsubscribe')).toEqual([]);
    expect(subscriptionView(second.ref.getSnapshot()).status).toBe('live');

    second.release();
    await vi.advanceTimersByTimeAsync(10);
    expect(server.framesOfType('unsubscribe')).toEqual([
      { type: 'unsubscribe', topic: 'host.cpu' },
    ]);
    expect(client!.actor.getSnapshot().children['sub:host.cpu']).toBeUndefined();
    expect(second.ref.getSnapshot().status).toBe('stopped');
    expect(client!.actor.getSnapshot().context.refcounts).toEqual({});
  });

  it('a released topic subscribed again starts afresh', async () => {
    connect();
    client!.subscribe('host.cpu').release();
    const again = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(20);
    expect(subscriptionView(again.ref.getSnapshot())).toMatchObject({
      status: 'live',
      data: { samples: [] },
    });
  });

  it('routes each topic’s frames to its own subscription', async () => {
    connect();
    const cpu = client!.subscribe('host.cpu');
    const load = client!.subscribe('host.load');
    await vi.advanceTimersByTimeAsync(20);
    server.publish('host.cpu', [sample(1)]);
    server.publish('host.load', [{ op: 'replace', path: '/load1', value: 2 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(subscriptionView(cpu.ref.getSnapshot()).data).toEqual({ samples: [1] });
    expect(subscriptionView(load.ref.getSnapshot()).data).toEqual({ load1: 2 });
  });

  it('resyncs from the last good seq when a patch is missing, and ends equal to the server', async () => {
    connect();
    const cpu = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(20);
    server.publish('host.cpu', [sample(1)]);
    server.publish('host.cpu', [sample(2)], { deliver: false }); // lost
    server.publish('host.cpu', [sample(3)]);
    await vi.advanceTimersByTimeAsync(0);
    expect(subscriptionView(cpu.ref.getSnapshot())).toMatchObject({ status: 'resyncing', seq: 1 });
    await vi.advanceTimersByTimeAsync(10);
    expect(server.framesOfType('subscribe').at(-1)).toEqual({
      type: 'subscribe',
      topic: 'host.cpu',
      since: { epoch: 'E1', seq: 1 },
    });
    expect(subscriptionView(cpu.ref.getSnapshot())).toMatchObject({
      status: 'live',
      seq: 3,
      data: server.snapshotOf('host.cpu').data,
    });
  });

  it('after a server restart (new epoch) takes the snapshot and drops the old history', async () => {
    connect({ random: () => 0 });
    const cpu = client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(20);
    server.publish('host.cpu', [sample(1)]);
    server.drop();
    server.restart();
    server.publish('host.cpu', [sample(2)]);
    await vi.advanceTimersByTimeAsync(50);
    expect(subscriptionView(cpu.ref.getSnapshot())).toMatchObject({
      status: 'live',
      epoch: 'E2',
      seq: 1,
      data: { samples: [1, 2] },
    });
  });

  it('send() queues an action under the id it returns', async () => {
    let n = 0;
    connect({ generateId: () => `id-${++n}` });
    await vi.advanceTimersByTimeAsync(10);
    server.actions = () => null;
    const id = client!.send('alerts.thresholds', { version: 1, set: { cpuPercent: 80 } });
    expect(outboxView(client!.actor.getSnapshot().children.outbox!.getSnapshot()).pending).toEqual([
      {
        id,
        topic: 'alerts.thresholds',
        payload: { version: 1, set: { cpuPercent: 80 } },
        state: 'sent',
      },
    ]);
    await vi.advanceTimersByTimeAsync(10);
    expect(server.framesOfType('action')).toEqual([
      {
        type: 'action',
        id,
        topic: 'alerts.thresholds',
        payload: { version: 1, set: { cpuPercent: 80 } },
      },
    ]);
  });

  it('derives the socket URL from the http(s) base URL', () => {
    const urls: string[] = [];
    const Recording = class extends (server.WebSocket as unknown as new (url: string) => object) {
      constructor(url: string) {
        urls.push(url);
        super(url);
      }
    } as unknown as WebSocketConstructor;
    createTetherClient({
      url: 'https://example.test/tether/',
      WebSocket: Recording,
      fetch: null,
      network: false,
    }).stop();
    createTetherClient({
      url: 'http://127.0.0.1:8080',
      WebSocket: Recording,
      fetch: null,
      network: false,
    }).stop();
    expect(urls).toEqual(['wss://example.test/tether/ws', 'ws://127.0.0.1:8080/ws']);
  });

  it('persists as plain data: the connection, every subscription and the outbox survive JSON', async () => {
    connect({ ackTimeoutMs: 60_000 });
    const holds = [client!.subscribe('host.cpu'), client!.subscribe('host.load')];
    await vi.advanceTimersByTimeAsync(20);
    server.publish('host.cpu', [sample(1)]);
    server.actions = () => null; // no answer: the action stays pending
    client!.send('alerts.thresholds', { version: 1 });
    await vi.advanceTimersByTimeAsync(20);
    expect(holds.map((hold) => subscriptionView(hold.ref.getSnapshot()).status)).toEqual([
      'live',
      'live',
    ]);
    const outbox = client!.actor.getSnapshot().children.outbox!;
    expect(outboxView(outbox.getSnapshot()).pending).toHaveLength(1);
    for (const actor of [client!.actor, outbox, ...holds.map((hold) => hold.ref)]) {
      const persisted = actor.getPersistedSnapshot();
      const revived = JSON.parse(JSON.stringify(persisted)) as typeof persisted;
      expect(revived).toEqual(persisted); // no function, no class instance, nothing lost
    }
    const persisted = client!.actor.getPersistedSnapshot() as unknown as {
      children: Record<string, unknown>;
    };
    expect(Object.keys(persisted.children).sort()).toEqual([
      'network',
      'outbox',
      'page',
      'socket',
      'sub:host.cpu',
      'sub:host.load',
    ]);
  });

  it('needs a URL outside a browser', () => {
    expect(() => createTetherClient({ WebSocket: null, fetch: null })).toThrow(/url/);
  });

  it('refuses to subscribe once stopped', () => {
    connect();
    client!.stop();
    expect(() => client!.subscribe('host.cpu')).toThrow(/stopped/);
  });

  it('hands inspection events to the `inspect` observer', async () => {
    const events: InspectionEvent[] = [];
    connect({ inspect: (event) => events.push(event) });
    client!.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(20);
    const ids = new Set(
      events
        .filter((event) => event.type === '@xstate.actor')
        .map((event) => (event.actorRef as AnyActorRef).id),
    );
    expect([...ids]).toEqual(
      expect.arrayContaining(['outbox', 'network', 'socket', 'sub:host.cpu']),
    );
    expect(
      events.some(
        (event) => event.type === '@xstate.event' && event.event.type === 'SOCKET.FRAMES',
      ),
    ).toBe(true);
  });
});
