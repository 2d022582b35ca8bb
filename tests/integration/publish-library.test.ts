import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import {
  PatchRefusedError,
  acceptPatches,
  createTetherServer,
  typedTopics,
} from '../../server/index.ts';
import type { TetherServer, Topic } from '../../server/index.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';

// createTetherServer as a library (docs/server.md): defineTopic, publish with ops or a next state,
// standalone or inside an app's own http.Server.

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function started(): Promise<StartedServer> {
  const s = await startServer();
  cleanups.push(() => s.close());
  return s;
}

async function subscribed(wsUrl: string, topic: string): Promise<TestClient> {
  const client = await openClient(wsUrl);
  cleanups.push(() => client.ws.close());
  client.send({ type: 'subscribe', topic });
  await client.take((f) => f.type === 'snapshot');
  return client;
}

interface Deploys {
  latest: string | null;
  items: { id: string; service: string }[];
}

describe('publishing from the library', () => {
  it('publish(ops) reaches a subscribed WebSocket client as the next patch', async () => {
    const s = await started();
    s.server.defineTopic<Deploys>('deploys', { initial: { latest: null, items: [] } });
    const client = await subscribed(s.wsUrl, 'deploys');

    const ops = [
      { op: 'add' as const, path: '/items/-', value: { id: 'd1', service: 'api' } },
      { op: 'replace' as const, path: '/latest', value: 'd1' },
    ];
    const frame = s.server.publish('deploys', ops);
    expect(frame).toEqual({
      type: 'patch',
      topic: 'deploys',
      epoch: s.server.hub.epoch,
      seq: 1,
      ops,
    });
    expect(await client.take()).toEqual(frame);
    s.server.publish('deploys', [{ op: 'replace', path: '/latest', value: null }]);
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 2 });
  });

  it('publishState(next) sends the minimal diff, and nothing when nothing changed', async () => {
    const s = await started();
    const initial = { latest: 'd1', items: [{ id: 'd1', service: 'api' }] };
    s.server.defineTopic<Deploys>('deploys', { initial });
    const client = await subscribed(s.wsUrl, 'deploys');

    expect(
      s.server.publishState('deploys', { latest: 'd1', items: [{ id: 'd1', service: 'api' }] }),
    ).toBeNull();
    const frame = s.server.publishState('deploys', {
      latest: 'd2',
      items: [...initial.items, { id: 'd2', service: 'web' }],
    });
    expect(frame!.seq).toBe(1);
    expect(await client.take()).toEqual({
      type: 'patch',
      topic: 'deploys',
      epoch: s.server.hub.epoch,
      seq: 1,
      ops: [
        { op: 'add', path: '/items/1', value: { id: 'd2', service: 'web' } },
        { op: 'replace', path: '/latest', value: 'd2' },
      ],
    });
    // A scalar topic is replaced whole.
    s.server.defineTopic('orders.total', { initial: 0 });
    expect(s.server.publishState('orders.total', 12)!.ops).toEqual([
      { op: 'replace', path: '', value: 12 },
    ]);
  });

  it('refuses ops that do not apply with PatchRefusedError and leaves the topic untouched', async () => {
    const s = await started();
    const topic = s.server.defineTopic<Deploys>('deploys', {
      initial: { latest: null, items: [] },
    });
    const client = await subscribed(s.wsUrl, 'deploys');
    const before = topic.state;
    expect(() =>
      s.server.publish('deploys', [
        { op: 'replace', path: '/latest', value: 'd9' },
        { op: 'remove', path: '/items/0' },
      ]),
    ).toThrow(PatchRefusedError);
    expect(topic.state).toBe(before);
    expect(topic.seq).toBe(0);
    expect(() => s.server.publish('nope', [])).toThrow('unknown topic "nope"');
    await client.sync();
    expect(client.frames.filter((f) => f.type === 'patch')).toEqual([]);
  });

  it('feeds a real Tether client subscription, seq by seq', async () => {
    const s = await started();
    s.server.defineTopic('orders.perMinute', { initial: { count: 0 } });
    const client: LocalTetherClient = createTetherClient({
      url: s.httpUrl,
      WebSocket,
      fetch: null,
      network: false,
    });
    cleanups.push(() => client.stop());
    const { ref, release } = client.subscribe('orders.perMinute');
    cleanups.push(release);
    const view = () => subscriptionView<{ count: number }>(ref.getSnapshot());
    await expect.poll(() => view().status).toBe('live');
    for (let count = 1; count <= 3; count++) s.server.publishState('orders.perMinute', { count });
    await expect.poll(() => view().seq).toBe(3);
    expect(view().data).toEqual({ count: 3 });
  });
});

describe('writable topics with acceptPatches', () => {
  it('applies { ops } and { data } actions, refuses bad ones with a reason and leaves the state alone', async () => {
    const s = await started();
    const topic = s.server.defineTopic('flags', {
      initial: { checkout: true, search: false },
      onAction: acceptPatches(),
    });
    const client = await subscribed(s.wsUrl, 'flags');
    const act = async (id: string, payload: unknown) => {
      client.send({ type: 'action', id, topic: 'flags', payload });
      return client.take((f) => f.id === id);
    };

    expect(await act('a1', { ops: [{ op: 'replace', path: '/search', value: true }] })).toEqual({
      type: 'ack',
      id: 'a1',
    });
    expect(client.frames.find((f) => f.type === 'patch')).toMatchObject({
      seq: 1,
      ops: [{ op: 'replace', path: '/search', value: true }],
    });
    expect(await act('a2', { data: { checkout: false, search: true } })).toEqual({
      type: 'ack',
      id: 'a2',
    });
    expect(topic.state).toEqual({ checkout: false, search: true });
    expect(topic.seq).toBe(2);

    expect(await act('a3', { ops: [{ op: 'remove', path: '/beta' }] })).toMatchObject({
      type: 'nack',
      code: 'bad_patch',
    });
    expect(await act('a4', { flags: {} })).toMatchObject({
      type: 'nack',
      code: 'bad_frame',
      message: 'give "ops" (RFC 6902 operations) or "data" (the next state)',
    });
    expect(await act('a5', { data: { checkout: false, search: true } })).toEqual({
      type: 'ack',
      id: 'a5',
    });
    expect(topic.seq).toBe(2);
  });
});

describe('embedding in an app', () => {
  async function listen(server: Server): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    cleanups.push(() => server.closeAllConnections());
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('attaches to the app’s http.Server next to its own routes (handleRequest with next, handleUpgrade)', async () => {
    const tether = createTetherServer({ staticDir: false });
    cleanups.push(() => tether.close());
    tether.defineTopic('orders.perMinute', { initial: { count: 0 } });
    let count = 0;
    const app = createServer((req, res) => {
      tether.handleRequest(req, res, () => {
        if (req.method === 'POST' && req.url === '/orders') {
          count++;
          tether.publishState('orders.perMinute', { count });
          res.writeHead(201).end();
        } else res.writeHead(404).end('app: not found');
      });
    });
    app.on('upgrade', (req, socket, head) => tether.handleUpgrade(req, socket, head));
    const host = await listen(app);

    const client = await subscribed(`ws://${host}/ws`, 'orders.perMinute');
    expect((await fetch(`http://${host}/orders`, { method: 'POST' })).status).toBe(201);
    expect(await client.take()).toMatchObject({
      type: 'patch',
      seq: 1,
      ops: [{ op: 'replace', path: '/count', value: 1 }],
    });
    expect(await (await fetch(`http://${host}/healthz`)).json()).toEqual({ ok: true });
    expect(await (await fetch(`http://${host}/elsewhere`)).text()).toBe('app: not found');
  });

  it('attach() takes over a whole http.Server, and close() leaves the app’s server running', async () => {
    const tether = createTetherServer({
      staticDir: false,
      publishKey: 'attach-test-key-0123456789',
    });
    tether.defineTopic('orders.perMinute', { initial: { count: 0 } });
    const app = createServer();
    tether.attach(app);
    const host = await listen(app);
    const res = await fetch(`http://${host}/api/publish`, {
      method: 'POST',
      headers: { Authorization: 'Bearer attach-test-key-0123456789' },
      body: JSON.stringify({ topic: 'orders.perMinute', data: { count: 5 } }),
    });
    expect(await res.json()).toMatchObject({ type: 'published', seq: 1 });
    await tether.close();
    expect(app.listening).toBe(true);
  });
});

describe('typed topics on the server', () => {
  interface AppTopics {
    'orders.perMinute': { count: number };
    deploys: Deploys;
  }

  it('checks names and states against the app’s topic map', async () => {
    const s = await started();
    const topics = typedTopics<AppTopics>(s.server);
    const orders = topics.define('orders.perMinute', { initial: { count: 0 } });
    expectTypeOf(orders).toEqualTypeOf<Topic<{ count: number }>>();
    expect(topics.publishState('orders.perMinute', { count: 2 })!.seq).toBe(1);
    expect(topics.state('orders.perMinute')).toEqual({ count: 2 });
    expectTypeOf(topics.state('orders.perMinute')).toEqualTypeOf<{ count: number }>();

    // Never called: for the type checker (tsc --noEmit in npm test).
    const checks = (server: TetherServer) => {
      const t = typedTopics<AppTopics>(server);
      // @ts-expect-error not in the map
      t.define('orders.perHour', { initial: { count: 0 } });
      // @ts-expect-error wrong shape for the topic
      t.publishState('orders.perMinute', { total: 1 });
      // @ts-expect-error initial state of the wrong shape
      t.define('deploys', { initial: { latest: 3, items: [] } });
    };
    expect(typeof checks).toBe('function');
  });
});
