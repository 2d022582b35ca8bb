import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer, TestClient } from '../fixtures/real-server.ts';
import { SEED, scaled } from './budget.ts';
import { frameArbitraries, nested } from './fuzz-frames.ts';
import type { FuzzContext, FuzzFrame } from './fuzz-frames.ts';
import { watchStream } from './stream-watch.ts';
import type { StreamWatch } from './stream-watch.ts';

// Bad input against the real server (default limits): every frame gets the answer
// docs/protocol.md documents, floods are rate limited or closed, the server stays up, and a
// bystander subscribed to a busy topic loses nothing. Runs are seeded; fast-check prints the seed
// and the shrunk input on failure (replay with TETHER_FUZZ_SEED=<seed>).

type Frame = Record<string, unknown>;
const STATIC = 'fuzz.static';
const WRITABLE = 'fuzz.notes';
const STATIC_DATA = { hello: 'world', list: [1, 2, 3] };
const LIMIT = 64 * 1024;
const RATE = { framesPerSecond: 100, burst: 200 }; // the defaults, restated for the flood oracle
const BAD_FRAME_LIMIT = 20;

let s: StartedServer;
let watch: StreamWatch;
let ctx: FuzzContext;
let arbs: ReturnType<typeof frameArbitraries>;
const serverErrors: string[] = [];
const tally = {
  wsFrames: 0,
  byKind: {} as Record<string, number>,
  floods: {} as Record<string, number>,
  errorCodes: {} as Record<string, number>,
  closeCodes: {} as Record<string, number>,
};
const bump = (table: Record<string, number>, key: string | number, by = 1) =>
  void (table[key] = (table[key] ?? 0) + by);
let ids = 0;

beforeAll(async () => {
  s = await startServer({
    onError: (error, where) => void serverErrors.push(`${where}: ${String(error)}`),
  });
  s.server.defineTopic(STATIC, { initial: STATIC_DATA });
  s.server.defineTopic<{ note: unknown }>(WRITABLE, {
    initial: { note: null },
    onAction: (payload) => ({ ok: true, ops: [{ op: 'replace', path: '/note', value: payload }] }),
  });
  ctx = {
    epoch: s.server.hub.epoch,
    staticTopic: STATIC,
    writableTopic: WRITABLE,
    maxFrameBytes: LIMIT,
    wsCap: Math.max(2 * LIMIT, LIMIT + 64 * 1024),
  };
  arbs = frameArbitraries(ctx);
  watch = await watchStream(s);
});

afterAll(async () => {
  watch?.stop();
  await s?.close();
  console.log(`[faults] server fuzz (seed ${SEED}): ${JSON.stringify(tally)}`);
});

/** Up, and every topic can still be read: polled, and subscribed to by a fresh WebSocket. */
async function healthy(): Promise<void> {
  const res = await fetch(`${s.httpUrl}/healthz`);
  expect(await res.json()).toEqual({ ok: true });
  const poll = await fetch(`${s.httpUrl}/api/poll?topic=${STATIC}&topic=${WRITABLE}`);
  expect(poll.status).toBe(200);
  const reader = await openClient(s.wsUrl);
  try {
    for (const topic of [STATIC, WRITABLE]) {
      reader.send({ type: 'subscribe', topic });
      expect(await reader.take()).toMatchObject({ type: 'snapshot', topic });
    }
  } finally {
    reader.ws.terminate();
  }
}

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms),
    ),
  ]);

function record(got: Frame[]): void {
  for (const frame of got)
    if (frame.type === 'error' || frame.type === 'nack')
      bump(tally.errorCodes, frame.code as string);
}

/** What the server must answer to `frame`, as frames (the sync pong excluded). */
function answerFor(frame: FuzzFrame, id: string): unknown[] {
  const e = frame.expect;
  switch (e.reply) {
    case 'error':
      return [
        {
          type: 'error',
          code: e.code,
          message: expect.any(String),
          ...(e.topic === undefined ? {} : { topic: e.topic }),
        },
      ];
    case 'pong':
      return [{ type: 'pong', t: e.t }];
    case 'welcome':
      return [{ type: 'welcome', heartbeatMs: 25_000 }];
    case 'snapshot':
      return [{ type: 'snapshot', topic: STATIC, epoch: ctx.epoch, seq: 0, data: STATIC_DATA }];
    case 'ack':
      return [{ type: 'ack', id }];
    case 'nack':
      return [{ type: 'nack', id, code: e.code, message: expect.any(String) }];
    case 'nothing':
      return [];
    case 'close':
      return e.error ? [{ type: 'error', code: e.error, message: expect.any(String) }] : [];
  }
}

/** Sends one frame and checks the complete answer (and, for a closing frame, the close code). */
async function exchange(client: TestClient, frame: FuzzFrame): Promise<void> {
  const id = `fuzz-${++ids}`;
  const mark = client.frames.length;
  client.ws.send(frame.encode(id), { binary: frame.binary });
  tally.wsFrames++;
  bump(tally.byKind, frame.kind);
  if (frame.expect.reply === 'close') {
    const { code } = await within(client.closed, 5000, 'close');
    bump(tally.closeCodes, code);
    expect(code).toBe(frame.expect.code);
  } else {
    if (frame.expect.reply === 'ack' || frame.expect.reply === 'nack')
      await client.take((f) => f.id === id);
    await client.sync(); // everything the server answered before this pong is in `frames`
  }
  const got = client.frames.slice(mark);
  record(got);
  expect(got).toEqual(answerFor(frame, id));
}

describe('fuzzing /ws', () => {
  it(
    'answers every malformed, truncated, wrong-typed, deep, binary or random frame as documented',
    async () => {
      const run = fc.record({
        frames: fc.array(arbs.nonTerminal, { minLength: 1, maxLength: 8 }),
        last: fc.option(arbs.terminal, { freq: 3, nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(run, async ({ frames, last }) => {
          const client = await openClient(s.wsUrl);
          try {
            for (const frame of last ? [...frames, last] : frames) await exchange(client, frame);
          } finally {
            client.ws.terminate();
          }
          await healthy();
        }),
        { seed: SEED, numRuns: scaled(300) },
      );
    },
    scaled(120_000),
  );

  it(
    'closes with 4400 after 20 bad frames in 10 s, having answered each with bad_frame',
    async () => {
      const bads = fc.array(fc.oneof(arbs.malformed, arbs.wrongTyped), {
        minLength: BAD_FRAME_LIMIT,
        maxLength: 40,
      });
      await fc.assert(
        fc.asyncProperty(bads, async (frames) => {
          const client = await openClient(s.wsUrl);
          for (const frame of frames) client.ws.send(frame.encode(`fuzz-${++ids}`));
          tally.wsFrames += frames.length;
          bump(tally.byKind, 'bad-frame-burst', frames.length);
          const { code } = await within(client.closed, 5000, 'close');
          bump(tally.closeCodes, code);
          record(client.frames);
          expect(code).toBe(4400);
          expect(client.frames).toEqual(
            Array.from({ length: BAD_FRAME_LIMIT }, () =>
              expect.objectContaining({ type: 'error', code: 'bad_frame' }),
            ),
          );
        }),
        { seed: SEED, numRuns: scaled(30) },
      );
      await healthy();
    },
    scaled(60_000),
  );

  it.each(['valid', 'mixed', 'bad'] as const)(
    'rate limits or closes a client that floods thousands of %s frames as fast as it can',
    async (mode) => {
      const bad = fc.oneof(arbs.malformed, arbs.wrongTyped);
      const frame = {
        valid: arbs.valid,
        bad,
        mixed: fc.oneof({ arbitrary: arbs.valid, weight: 15 }, { arbitrary: bad, weight: 1 }),
      }[mode];
      const flood = fc.record({
        count: fc.integer({ min: 1000, max: 5000 }),
        pool: fc.array(frame, { minLength: 1, maxLength: 30 }),
      });
      await fc.assert(
        fc.asyncProperty(flood, async ({ count, pool }) => {
          const client = await openClient(s.wsUrl);
          const started = performance.now();
          const sent = Array.from({ length: count }, (_, i) => pool[i % pool.length]!);
          for (const frame of sent) client.ws.send(frame.encode(`fuzz-${++ids}`));
          tally.wsFrames += count;
          bump(tally.floods, `${mode} frames`, count);
          const outcome = await settle(client);
          bump(tally.floods, `${mode} ${outcome === 'closed' ? 'closed 4400' : 'rate limited'}`);
          const elapsedSec = (performance.now() - started) / 1000;
          const got = client.frames.filter((f) => f.type !== 'pong' || (f.t as number) < 1e15); // not settle's own pongs
          record(got);
          // The server admits at most its burst plus what refilled meanwhile; the rest was dropped unanswered.
          const budget = RATE.burst + Math.ceil(RATE.framesPerSecond * elapsedSec) + 1;
          const answered = got.filter((f) => f.code !== 'rate_limited');
          expect(answered.length).toBeLessThanOrEqual(budget);
          const badIndex = sent
            .map((f, i) => (f.expect.reply === 'error' && f.expect.code === 'bad_frame' ? i : -1))
            .filter((i) => i >= 0);
          const twentiethBad = badIndex[BAD_FRAME_LIMIT - 1] ?? Infinity;
          if (outcome === 'closed') {
            expect(badIndex.length).toBeGreaterThanOrEqual(BAD_FRAME_LIMIT);
            expect(got.filter((f) => f.code === 'bad_frame')).toHaveLength(BAD_FRAME_LIMIT);
          } else {
            expect(twentiethBad).toBeGreaterThanOrEqual(RATE.burst); // 20 admitted bad frames would have closed it
            const notices = got.filter((f) => f.code === 'rate_limited').length;
            expect(notices).toBeGreaterThanOrEqual(1);
            expect(notices).toBeLessThanOrEqual(1 + Math.ceil(elapsedSec)); // told at most once per second
            client.ws.terminate();
          }
          await healthy();
        }),
        { seed: SEED, numRuns: scaled(4) },
      );
    },
    scaled(120_000),
  );

  it('refuses a payload nested past the depth limit with too_deep, without advancing the topic', async () => {
    const client = await openClient(s.wsUrl);
    const topic = s.server.hub.topic(WRITABLE)!;
    const before = topic.seq;
    for (const depth of [64, 2000, 4000, 6000, 8000, 10_000, 12_000]) {
      const id = `deep-${depth}-${++ids}`;
      client.send(
        `{"type":"action","id":"${id}","topic":"${WRITABLE}","payload":${nested(depth, 'array')}}`,
      );
      expect(await client.take<Frame>((f) => f.id === id)).toMatchObject({
        type: 'nack',
        code: 'too_deep',
      });
      expect(topic.seq).toBe(before);
    }
    client.send({ type: 'subscribe', topic: WRITABLE });
    expect(await client.take()).toMatchObject({ type: 'snapshot', topic: WRITABLE, seq: before });
    expect((await fetch(`${s.httpUrl}/api/poll?topic=${WRITABLE}`)).status).toBe(200);
    client.ws.terminate();
    expect(serverErrors).toEqual([]);
  });
});

/** Waits (bounded) until the flooding client is either closed or answering again. */
async function settle(client: TestClient): Promise<'closed' | 'open'> {
  let closed = false;
  void client.closed.then(() => (closed = true));
  for (let attempt = 0; attempt < 50; attempt++) {
    if (closed) return 'closed';
    const t = 1e15 + attempt; // a ping of our own; a rate-limited one is simply dropped, so retry
    if (client.ws.readyState === client.ws.OPEN) client.send({ type: 'ping', t });
    const pong = await client.take((f) => f.t === t, 200).catch(() => null);
    if (pong) return closed ? 'closed' : 'open';
  }
  throw new Error('the flooding client neither closed nor answered within 10 s');
}

describe('the bystander', () => {
  it('received every patch of its busy topic exactly once, in order, through all of the above', async () => {
    expect(serverErrors).toEqual([]);
    await healthy();
    const { patches } = await watch.verify();
    expect(patches).toBeGreaterThan(100);
    console.log(`[faults] bystander checked ${patches} patches: lost 0, duplicated 0`);
  });
});
