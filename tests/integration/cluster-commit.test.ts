import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TopicReplica } from '../../server/broker/redis-replica.ts';
import type { ReplicaLink } from '../../server/broker/redis-replica.ts';
import { defineScripts } from '../../server/broker/redis-scripts.ts';
import type { TetherScripts } from '../../server/broker/redis-scripts.ts';
import { Topic } from '../../server/topic.ts';
import { redisAvailability, startRedis } from '../fixtures/redis.ts';
import type { TestRedis } from '../fixtures/redis.ts';

/**
 * A commit whose reply never arrives is the one case where a node cannot know whether Redis
 * applied it. These tests cut the reply on purpose, after the script ran or before it could, and
 * check that the replica finds out from the stream (by batch id) and commits each update once.
 */

const redisCheck = redisAvailability();
let redis: TestRedis;
let client: Redis;
let scripts: TetherScripts;
let counter = 0;

beforeAll(async () => {
  if (!redisCheck.available) return;
  redis = await startRedis();
  client = new Redis(redis.url);
  scripts = defineScripts(client);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.close();
});

/** A replica whose commits fail as `fail` says: 'after' the script ran, 'before' it ran, or not at all. */
async function replicaWith(fail: () => 'after' | 'before' | null) {
  const name = `doc${++counter}`;
  const keys = { hash: `c:topic:${name}`, stream: `c:log:${name}`, channel: `c:frames:${name}` };
  let batches = 0;
  const link: ReplicaLink = {
    scripts: {
      ...scripts,
      commit: async (commitKeys, args) => {
        const mode = fail();
        if (mode === 'before') throw new Error('connection lost before the script ran');
        const reply = await scripts.commit(commitKeys, args);
        if (mode === 'after') throw new Error('connection lost before the reply arrived');
        return reply;
      },
    },
    connected: () => true,
    nextBatchId: () => `test.${batches++}`,
    onError: () => undefined,
  };
  const topic = new Topic<{ n: number }>(name, { initial: { n: 0 } });
  const replica = new TopicReplica(topic, link, keys);
  topic.setWriter(replica);
  await replica.load();
  return { topic, replica, keys };
}

const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe.skipIf(!redisCheck.available)('commits whose reply is lost', () => {
  it('recognises a commit that Redis applied by its batch id, and does not apply it again', async () => {
    let lose = true;
    const { topic, replica, keys } = await replicaWith(() => (lose ? 'after' : null));
    const result = topic.update(() => ({
      ok: true,
      ops: [{ op: 'replace', path: '/n', value: 1 }],
    }));
    await settled();
    expect(topic.seq).toBe(0); // not known to be committed yet
    lose = false;
    await replica.resume(); // what the broker does after a reconnect
    expect(await result).toMatchObject({ ok: true, patch: { frame: { seq: 1 } } });
    expect(topic.position.seq).toBe(1);
    expect(await client.hget(keys.hash, 'seq')).toBe('1');
    expect(await client.xlen(keys.stream)).toBe(1);
  });

  it('sends a commit again when Redis never ran it', async () => {
    let lose = true;
    const { topic, replica, keys } = await replicaWith(() => (lose ? 'before' : null));
    const result = topic.update(() => ({
      ok: true,
      ops: [{ op: 'replace', path: '/n', value: 1 }],
    }));
    await settled();
    lose = false;
    await replica.resume();
    expect(await result).toMatchObject({ ok: true, patch: { frame: { seq: 1 } } });
    expect(topic.state).toEqual({ n: 1 });
    expect(await client.hget(keys.hash, 'seq')).toBe('1');
  });

  it('keeps every update exactly once through a run of lost replies', async () => {
    let calls = 0;
    const lost = { before: 0, after: 0 };
    // Commits take turns: lost before the script, committed, lost after the script.
    const { topic, replica, keys } = await replicaWith(() => {
      const mode = ([null, 'before', null, 'after'] as const)[++calls % 4]!;
      if (mode) lost[mode]++;
      return mode;
    });
    const results = [];
    for (let i = 1; i <= 30; i++) {
      results.push(
        topic.update(() => ({ ok: true, ops: [{ op: 'replace', path: '/n', value: i }] })),
      );
      for (let round = 0; round < 10 && topic.position.seq < i; round++) {
        await settled();
        await replica.resume();
      }
    }
    await Promise.all(results);
    expect(lost.before).toBeGreaterThanOrEqual(10);
    expect(lost.after).toBeGreaterThanOrEqual(10);
    expect(topic.position.seq).toBe(30);
    const entries = await client.xrange(keys.stream, '-', '+');
    const values = entries.map(
      ([, fields]) => (JSON.parse(fields[3]!) as { ops: { value: number }[] }).ops[0]!.value,
    );
    expect(values).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});
