import { describe, expect, it } from 'vitest';
import { acceptPatches } from '../../server/patch-actions.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import type { TestClient } from '../fixtures/real-server.ts';
import { closedAfterEach } from '../fixtures/closed-after-each.ts';

// Topic limits (nesting depth, state bytes, history bytes) against the real server: a change past
// them is refused before commit, and the topic stays readable for everyone over both transports.

type Frame = Record<string, unknown>;
const PUBLISH_KEY = 'publish-key-0123456789abcdef';

const tracked = closedAfterEach();

async function setup(options: TetherServerOptions = {}) {
  const s = await tracked.start({ publishKey: PUBLISH_KEY, ...options });
  s.server.defineTopic('notes', { initial: { items: [] as unknown[] }, onAction: acceptPatches() });
  const connect = async () => {
    const client = await tracked.open(s.wsUrl);
    client.send({ type: 'hello' });
    await client.take((f) => f.type === 'welcome');
    return client;
  };
  let ids = 0;
  const act = async (client: TestClient, payload: unknown) => {
    const id = `a${++ids}`;
    client.send({ type: 'action', id, topic: 'notes', payload });
    return client.take((f) => (f.type === 'ack' || f.type === 'nack') && f.id === id);
  };
  const publish = async (body: unknown) => {
    const res = await fetch(`${s.httpUrl}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PUBLISH_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Frame };
  };
  /** A fresh subscriber and a poll both get the topic's snapshot. */
  const readable = async () => {
    const reader = await connect();
    reader.send({ type: 'subscribe', topic: 'notes' });
    const snapshot = await reader.take((f) => f.type === 'snapshot');
    const poll = await fetch(`${s.httpUrl}/api/poll?topic=notes`);
    expect(poll.status).toBe(200);
    return snapshot;
  };
  return { ...s, connect, act, publish, readable };
}

/** An array nested `depth` levels deep, as JSON text (JSON.stringify itself would overflow). */
const nestedText = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('topic limits', () => {
  it('refuses actions whose values nest past maxDepth with too_deep, and the topic stays readable', async () => {
    const s = await setup();
    const writer = await s.connect();
    // The review's attack: two acked actions built an array 5,000 deep and poisoned the topic.
    for (let i = 0; i < 2; i++) {
      const id = `deep${i}`;
      writer.send(
        `{"type":"action","id":"${id}","topic":"notes","payload":{"ops":[{"op":"add","path":"/items/-","value":${nestedText(2500)}}]}}`,
      );
      expect(await writer.take((f) => f.id === id)).toMatchObject({
        type: 'nack',
        code: 'too_deep',
      });
    }
    // Exactly at the limit is accepted: /items/- puts the value two levels down.
    const fits = JSON.parse(nestedText(62)) as unknown;
    expect(
      await s.act(writer, { ops: [{ op: 'add', path: '/items/-', value: fits }] }),
    ).toMatchObject({ type: 'ack' });
    const deeper = JSON.parse(nestedText(63)) as unknown;
    expect(
      await s.act(writer, { ops: [{ op: 'add', path: '/items/-', value: deeper }] }),
    ).toMatchObject({ type: 'nack', code: 'too_deep' });
    // A `data` replacement is measured from the root, before it is diffed.
    expect(await s.act(writer, { data: { items: JSON.parse(nestedText(3000)) } })).toMatchObject({
      type: 'nack',
      code: 'too_deep',
    });
    const snapshot = await s.readable();
    expect((snapshot.data as { items: unknown[] }).items).toHaveLength(1);
    expect(writer.ws.readyState).toBe(writer.ws.OPEN);
  });

  it('refuses deep publishes over HTTP with 400 too_deep (ops and data)', async () => {
    const s = await setup();
    const res = await fetch(`${s.httpUrl}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PUBLISH_KEY}`, 'content-type': 'application/json' },
      body: `{"topic":"notes","data":{"items":${nestedText(20_000)}}}`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'too_deep', topic: 'notes' });
    const ops = await s.publish({
      topic: 'notes',
      ops: [{ op: 'add', path: '/items/-', value: JSON.parse(nestedText(100)) }],
    });
    expect(ops).toMatchObject({ status: 400, json: { code: 'too_deep' } });
    await s.readable();
  });

  it('refuses changes that would grow the state past maxStateBytes with too_large, over actions and publishes', async () => {
    const s = await setup({ topicLimits: { maxStateBytes: 200_000 } });
    const writer = await s.connect();
    const chunk = 'x'.repeat(30_000);
    const replies: Frame[] = [];
    for (let i = 0; i < 10; i++)
      replies.push(await s.act(writer, { ops: [{ op: 'add', path: '/items/-', value: chunk }] }));
    const acked = replies.filter((f) => f.type === 'ack').length;
    expect(acked).toBe(6); // 6 × 30 KB fit in 200 KB, the 7th does not
    expect(replies.slice(acked).every((f) => f.type === 'nack' && f.code === 'too_large')).toBe(
      true,
    );
    const big = await s.publish({
      topic: 'notes',
      ops: [{ op: 'add', path: '/more', value: chunk }],
    });
    expect(big).toMatchObject({ status: 413, json: { code: 'too_large', topic: 'notes' } });
    // Making room makes the next change fit again: removals count.
    expect(await s.act(writer, { data: { items: [] } })).toMatchObject({ type: 'ack' });
    expect(
      await s.act(writer, { ops: [{ op: 'add', path: '/items/-', value: chunk }] }),
    ).toMatchObject({ type: 'ack' });
    const snapshot = await s.readable();
    expect(JSON.stringify(snapshot.data).length).toBeLessThan(200_000);
  });

  it('keeps at most maxHistoryBytes of patch frames: an older position gets a snapshot', async () => {
    const s = await setup({ topicLimits: { maxHistoryBytes: 50_000 } });
    const writer = await s.connect();
    const first = await s.readable();
    for (let i = 0; i < 5; i++)
      await s.act(writer, { ops: [{ op: 'add', path: '/items/-', value: 'y'.repeat(20_000) }] });
    const late = await s.connect();
    late.send({ type: 'subscribe', topic: 'notes', since: { epoch: first.epoch, seq: 0 } });
    expect(await late.take()).toMatchObject({ type: 'snapshot', seq: 5 });
    // The last two frames (40 KB) are still kept.
    const recent = await s.connect();
    recent.send({ type: 'subscribe', topic: 'notes', since: { epoch: first.epoch, seq: 3 } });
    expect(await recent.take()).toMatchObject({ type: 'patch', seq: 4 });
  });

  it('refuses library publishes past the limits with a TopicLimitError, leaving the topic as it was', async () => {
    const s = await setup();
    const deep = JSON.parse(nestedText(200)) as unknown;
    expect(() => s.server.publish('notes', [{ op: 'add', path: '/deep', value: deep }])).toThrow(
      /nest at most 64 levels/,
    );
    expect(() => s.server.publishState('notes', { items: ['z'.repeat(2_000_000)] })).toThrow(
      /at most 1048576 bytes/,
    );
    expect(s.server.hub.topic('notes')!.seq).toBe(0);
    await s.readable();
  });
});
