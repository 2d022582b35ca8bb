import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ActionHandler } from '../../server/hub.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import type { TestRedis } from '../fixtures/redis.ts';
import { SECRET, token } from '../fixtures/tokens.ts';

// Action ids are deduplicated per (subject, topic, id): one user's id never answers, swallows or
// refuses another user's action, nor one topic's another's; in one process and across a cluster.

type Frame = Record<string, unknown>;
const redisCheck = redisAvailability();
let redis: TestRedis | undefined;
let prefixes = 0;
let started: StartedServer[] = [];

beforeAll(async () => {
  if (redisCheck.available) redis = await startRedis();
});
afterAll(async () => {
  await redis?.close();
});
afterEach(async () => {
  await Promise.all(started.map((s) => s.close()));
  started = [];
});

/** Nodes sharing one fresh key prefix (with Redis) or one node (in memory); counters count runs. */
async function nodes(count: number, options: TetherServerOptions) {
  const runs: string[] = [];
  const onAction: ActionHandler<{ n: number }> = (payload, { state, topic }) => {
    runs.push(topic);
    const { refuse } = payload as { refuse?: boolean };
    if (refuse) return { ok: false, code: 'conflict', message: 'refused on purpose' };
    return { ok: true, ops: [{ op: 'replace', path: '/n', value: state.n + 1 }] };
  };
  const list: StartedServer[] = [];
  for (let i = 0; i < count; i++) {
    const s = await startServer({ auth: { secret: SECRET }, ...options });
    started.push(s);
    s.server.defineTopic('counter', { initial: { n: 0 }, onAction });
    s.server.defineTopic('other', { initial: { n: 0 }, onAction });
    await s.server.ready();
    list.push(s);
  }
  const act = async (node: StartedServer, subject: string, topic: string, payload = {}) => {
    const res = await fetch(`${node.httpUrl}/api/actions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token(undefined, { subject })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ type: 'action', id: 'same-id', topic, payload }),
    });
    return (await res.json()) as Frame;
  };
  return { list, runs, act };
}

async function expectScoped(count: number, options: TetherServerOptions) {
  const { list, runs, act } = await nodes(count, options);
  const [a, b] = [list[0]!, list.at(-1)!];
  // Mallory refuses first under Alice's id: Alice's action still runs, and Bob's too.
  expect(await act(a, 'mallory', 'counter', { refuse: true })).toMatchObject({
    type: 'nack',
    code: 'conflict',
  });
  expect(await act(b, 'alice', 'counter')).toEqual({ type: 'ack', id: 'same-id' });
  expect(await act(a, 'bob', 'counter')).toEqual({ type: 'ack', id: 'same-id' });
  // The same id on another topic is another action.
  expect(await act(b, 'alice', 'other')).toEqual({ type: 'ack', id: 'same-id' });
  expect(runs).toEqual(['counter', 'counter', 'counter', 'other']);
  // A true repeat (same subject, topic and id) is still answered once, from any node.
  expect(await act(a, 'alice', 'counter')).toEqual({ type: 'ack', id: 'same-id' });
  expect(await act(b, 'mallory', 'counter', { refuse: true })).toMatchObject({ code: 'conflict' });
  expect(runs).toHaveLength(4);
}

describe('action ids per (subject, topic, id)', () => {
  it('in one process', async () => {
    await expectScoped(1, {});
  });

  it.skipIf(!redisCheck.available)('across a cluster on Redis', async () => {
    await expectScoped(2, { redisUrl: redis!.url, redis: { keyPrefix: `ids${++prefixes}:` } });
  });
});
