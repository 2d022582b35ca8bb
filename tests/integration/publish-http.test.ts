import { afterEach, describe, expect, it } from 'vitest';
import type { TetherServerOptions } from '../../server/index.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';

// POST /api/publish: trusted tools feed topics over HTTP with a publish key (docs/server.md).

const KEY = 'test-publish-key-0123456789abcdef';

let started: StartedServer[] = [];
let clients: TestClient[] = [];
afterEach(async () => {
  for (const client of clients) client.ws.close();
  await Promise.all(started.map((s) => s.close()));
  started = [];
  clients = [];
});

interface Orders {
  perMinute: number;
  byRegion: { eu: number; us: number };
  recent: { id: string; total: number }[];
}
const INITIAL: Orders = { perMinute: 0, byRegion: { eu: 0, us: 0 }, recent: [] };

async function setup(options: TetherServerOptions = { publishKey: KEY }) {
  const s = await startServer(options);
  started.push(s);
  s.server.defineTopic('orders.perMinute', { initial: INITIAL });
  const publish = async (
    body: unknown,
    headers: Record<string, string> = { Authorization: `Bearer ${KEY}` },
  ) => {
    const res = await fetch(`${s.httpUrl}/api/publish`, {
      method: 'POST',
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', ...headers },
    });
    return {
      status: res.status,
      headers: res.headers,
      json: (await res.json()) as Record<string, unknown>,
    };
  };
  const state = () => s.server.hub.topic('orders.perMinute')!.state as Orders;
  const seq = () => s.server.hub.topic('orders.perMinute')!.seq;
  /** A raw WebSocket client subscribed to the topic, past its snapshot. */
  const subscriber = async () => {
    const client = await openClient(s.wsUrl);
    clients.push(client);
    client.send({ type: 'subscribe', topic: 'orders.perMinute' });
    await client.take((f) => f.type === 'snapshot');
    return client;
  };
  return { ...s, epoch: s.server.hub.epoch, publish, state, seq, subscriber };
}

describe('POST /api/publish', () => {
  it('applies ops and delivers them to a subscribed WebSocket client as the next patch', async () => {
    const s = await setup();
    const client = await s.subscriber();
    const ops = [
      { op: 'replace', path: '/perMinute', value: 42 },
      { op: 'add', path: '/recent/-', value: { id: 'o-1', total: 19.9 } },
    ];
    const res = await s.publish({ topic: 'orders.perMinute', ops });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({
      type: 'published',
      topic: 'orders.perMinute',
      epoch: s.epoch,
      seq: 1,
    });
    expect(await client.take()).toEqual({
      type: 'patch',
      topic: 'orders.perMinute',
      epoch: s.epoch,
      seq: 1,
      ops,
    });

    const second = await s.publish({
      topic: 'orders.perMinute',
      ops: [{ op: 'replace', path: '/perMinute', value: 40 }],
    });
    expect(second.json).toMatchObject({ seq: 2 });
    expect(await client.take()).toMatchObject({ type: 'patch', seq: 2 });
    expect(s.state()).toEqual({
      perMinute: 40,
      byRegion: { eu: 0, us: 0 },
      recent: [{ id: 'o-1', total: 19.9 }],
    });
  });

  it('turns a data publish into the minimal diff', async () => {
    const s = await setup();
    const client = await s.subscriber();
    const res = await s.publish({
      topic: 'orders.perMinute',
      data: { ...INITIAL, byRegion: { eu: 3, us: 0 } },
    });
    expect(res.json).toEqual({
      type: 'published',
      topic: 'orders.perMinute',
      epoch: s.epoch,
      seq: 1,
    });
    // Only the one field that changed travels, not the whole state.
    expect(await client.take()).toEqual({
      type: 'patch',
      topic: 'orders.perMinute',
      epoch: s.epoch,
      seq: 1,
      ops: [{ op: 'replace', path: '/byRegion/eu', value: 3 }],
    });
    // An appended row is one add.
    await s.publish({
      topic: 'orders.perMinute',
      data: { ...INITIAL, byRegion: { eu: 3, us: 0 }, recent: [{ id: 'o-2', total: 5 }] },
    });
    expect(await client.take()).toMatchObject({
      seq: 2,
      ops: [{ op: 'add', path: '/recent/0', value: { id: 'o-2', total: 5 } }],
    });
  });

  it('answers changed: false, without using a seq, when nothing changes', async () => {
    const s = await setup();
    const client = await s.subscriber();
    expect((await s.publish({ topic: 'orders.perMinute', data: INITIAL })).json).toEqual({
      type: 'published',
      topic: 'orders.perMinute',
      epoch: s.epoch,
      seq: 0,
      changed: false,
    });
    expect((await s.publish({ topic: 'orders.perMinute', ops: [] })).json).toMatchObject({
      seq: 0,
      changed: false,
    });
    await client.sync();
    expect(client.frames.filter((f) => f.type === 'patch')).toEqual([]);
    expect(s.seq()).toBe(0);
  });

  it('refuses an unknown topic with 404 unknown_topic', async () => {
    const s = await setup();
    const res = await s.publish({ topic: 'orders.perHour', data: { n: 1 } });
    expect(res).toMatchObject({
      status: 404,
      json: {
        type: 'error',
        code: 'unknown_topic',
        message: 'no topic "orders.perHour"',
        topic: 'orders.perHour',
      },
    });
  });

  it('refuses a patch that does not apply with 400 bad_patch and leaves the state and seq untouched', async () => {
    const s = await setup();
    const client = await s.subscriber();
    await s.publish({
      topic: 'orders.perMinute',
      ops: [{ op: 'replace', path: '/perMinute', value: 5 }],
    });
    await client.take((f) => f.type === 'patch');
    const before = s.state();

    // The first op applies on its own; the second does not, so neither may stick.
    const res = await s.publish({
      topic: 'orders.perMinute',
      ops: [
        { op: 'replace', path: '/perMinute', value: 99 },
        { op: 'remove', path: '/byRegion/asia' },
      ],
    });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'error', code: 'bad_patch', topic: 'orders.perMinute' });
    expect(res.json.message).toMatch(/patch refused/);
    const failedTest = await s.publish({
      topic: 'orders.perMinute',
      ops: [
        { op: 'test', path: '/perMinute', value: 6 },
        { op: 'replace', path: '/perMinute', value: 7 },
      ],
    });
    expect(failedTest).toMatchObject({ status: 400, json: { code: 'bad_patch' } });

    expect(s.state()).toBe(before);
    expect(s.seq()).toBe(1);
    await client.sync();
    expect(client.frames.filter((f) => f.type === 'patch')).toHaveLength(1);
    // The next good publish continues from seq 1.
    expect(
      (
        await s.publish({
          topic: 'orders.perMinute',
          ops: [{ op: 'replace', path: '/perMinute', value: 6 }],
        })
      ).json,
    ).toMatchObject({ seq: 2 });
  });

  it.each([
    ['invalid JSON', '{"topic":', 'body is not valid JSON'],
    ['an array', '[]', 'body must be a JSON object'],
    ['no topic', { data: 1 }, 'topic: '],
    ['a bad topic name', { topic: '../etc', data: 1 }, 'topic: a topic uses letters'],
    [
      'neither ops nor data',
      { topic: 'orders.perMinute' },
      'give "ops" (RFC 6902 operations) or "data" (the next state)',
    ],
    [
      'both ops and data',
      { topic: 'orders.perMinute', ops: [], data: {} },
      'give "ops" or "data", not both',
    ],
    [
      'ops that are not operations',
      { topic: 'orders.perMinute', ops: [{ op: 'replace', path: 'perMinute', value: 1 }] },
      'ops.0.path: a JSON Pointer is empty or starts with "/"',
    ],
    [
      'an op without its value',
      { topic: 'orders.perMinute', ops: [{ op: 'add', path: '/x' }] },
      'ops.0.value',
    ],
  ])('refuses a body with %s with 400 bad_frame and the reason', async (_what, body, reason) => {
    const s = await setup();
    const res = await s.publish(body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'error', code: 'bad_frame' });
    expect(res.json.message).toContain(reason);
    expect(s.seq()).toBe(0);
  });

  it('refuses a body over maxPublishBytes with 413 too_large', async () => {
    const s = await setup({ publishKey: KEY, maxPublishBytes: 2048 });
    const res = await s.publish({
      topic: 'orders.perMinute',
      ops: [{ op: 'add', path: '/recent/-', value: { id: 'x'.repeat(4000), total: 1 } }],
    });
    expect(res).toMatchObject({
      status: 413,
      json: {
        type: 'error',
        code: 'too_large',
        message: 'publish bodies are limited to 2048 bytes',
      },
    });
    expect(s.seq()).toBe(0);
  });

  it('accepts bodies larger than a client frame (64 KiB) by default', async () => {
    const s = await setup();
    const recent = Array.from({ length: 2000 }, (_, i) => ({
      id: `order-${i}-${'x'.repeat(30)}`,
      total: i,
    }));
    const res = await s.publish({ topic: 'orders.perMinute', data: { ...INITIAL, recent } });
    expect(res).toMatchObject({ status: 200, json: { seq: 1 } });
  });

  it.each([
    [
      'no Authorization header',
      {},
      'send the publish key as "Authorization: Bearer <key>"',
      'Bearer realm="tether-publish"',
    ],
    [
      'another scheme',
      { Authorization: `Basic ${KEY}` },
      'send the publish key as "Authorization: Bearer <key>"',
      'Bearer realm="tether-publish"',
    ],
    [
      'a wrong key',
      { Authorization: 'Bearer not-the-key-0123456789' },
      'the publish key is not valid',
      'Bearer realm="tether-publish", error="invalid_token"',
    ],
    [
      'a prefix of the key',
      { Authorization: `Bearer ${KEY.slice(0, -1)}` },
      'the publish key is not valid',
      'Bearer realm="tether-publish", error="invalid_token"',
    ],
  ])(
    'refuses %s with 401 unauthorized and leaves the topic alone',
    async (_what, headers, message, challenge) => {
      const s = await setup();
      const res = await s.publish(
        { topic: 'orders.perMinute', data: { ...INITIAL, perMinute: 1 } },
        headers,
      );
      expect(res).toMatchObject({
        status: 401,
        json: { type: 'error', code: 'unauthorized', message },
      });
      expect(res.headers.get('www-authenticate')).toBe(challenge);
      expect(s.seq()).toBe(0);
    },
  );

  it('does not tell an unauthenticated caller whether a topic exists', async () => {
    const s = await setup();
    const res = await s.publish(
      { topic: 'secret.topic', data: 1 },
      { Authorization: 'Bearer guess-guess-guess-guess' },
    );
    expect(res.status).toBe(401);
  });

  it('is disabled with 403 and a hint when the server has no publish key', async () => {
    const s = await setup({});
    const res = await s.publish({ topic: 'orders.perMinute', data: { ...INITIAL, perMinute: 1 } });
    expect(res).toMatchObject({ status: 403, json: { type: 'error', code: 'forbidden' } });
    expect(res.json.message).toMatch(
      /publishing over HTTP is disabled.*publishKey.*TETHER_PUBLISH_KEY/,
    );
    expect(s.seq()).toBe(0);
  });

  it('accepts any of several keys, so a key can be rotated', async () => {
    const next = 'the-next-publish-key-fedcba987654';
    const s = await setup({ publishKey: [KEY, next] });
    expect(
      (
        await s.publish({
          topic: 'orders.perMinute',
          ops: [{ op: 'replace', path: '/perMinute', value: 1 }],
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await s.publish(
          { topic: 'orders.perMinute', ops: [{ op: 'replace', path: '/perMinute', value: 2 }] },
          { Authorization: `Bearer ${next}` },
        )
      ).status,
    ).toBe(200);
    expect(s.seq()).toBe(2);
  });

  it('refuses publish keys that are too short to be secrets', async () => {
    await expect(startServer({ publishKey: 'short' })).rejects.toThrow(
      /at least 16 printable ASCII characters/,
    );
    await expect(startServer({ publishKey: [KEY, 'with space in it 123456'] })).rejects.toThrow(
      /without spaces/,
    );
  });

  it('answers other methods on the path with 404 not_found', async () => {
    const s = await setup();
    const res = await fetch(`${s.httpUrl}/api/publish`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found' });
  });
});

describe('GET /dashboard.json', () => {
  it('serves the configured dashboard', async () => {
    const dashboard = {
      title: 'shop',
      widgets: [
        { view: 'number' as const, topic: 'orders.perMinute', title: 'Orders', path: '/perMinute' },
      ],
    };
    const s = await setup({ dashboard });
    const res = await fetch(`${s.httpUrl}/dashboard.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual(dashboard);
  });

  it('refuses an invalid dashboard config when the server is created', async () => {
    await expect(
      startServer({ dashboard: { widgets: [{ view: 'gauge' }] } as never }),
    ).rejects.toThrow(/^dashboard: widgets\.0\.view: /);
  });

  it('is not answered by a server that serves no dashboard and has no config', async () => {
    const s = await setup();
    expect((await fetch(`${s.httpUrl}/dashboard.json`)).status).toBe(404);
  });
});
