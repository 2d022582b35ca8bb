import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';
import { SEED, scaled } from './budget.ts';
import { frameArbitraries } from './fuzz-frames.ts';
import type { FuzzFrame } from './fuzz-frames.ts';
import { watchStream } from './stream-watch.ts';
import type { StreamWatch } from './stream-watch.ts';

// Bad input on the HTTP side (/api/poll query strings, POST /api/actions bodies): never a 500,
// never a crash, always the documented status and error code, and a WebSocket bystander keeps
// its stream meanwhile. Seeded like server-fuzz.test.ts.

type Frame = Record<string, unknown>;
const STATIC = 'fuzz.static';
const WRITABLE = 'fuzz.notes';
const LIMIT = 64 * 1024;
/** Long polls are real: a generated `wait` above this would only make the run slow. */
const MAX_WAIT_MS = 30;
const PUBLISH_KEY = 'fuzz-publish-key-0123456789';
/** Small enough that generated publishes cross it well below the 1 MiB body limit. */
const TOPIC_LIMITS = { maxDepth: 64, maxStateBytes: 200_000, maxHistoryBytes: 1_000_000 };

let s: StartedServer;
let watch: StreamWatch;
let arbs: ReturnType<typeof frameArbitraries>;
const serverErrors: string[] = [];
const tally = {
  requests: 0,
  status: {} as Record<string, number>,
  errorCodes: {} as Record<string, number>,
  pollFrames: 0,
};
const bump = (table: Record<string, number>, key: string | number) =>
  void (table[key] = (table[key] ?? 0) + 1);
let ids = 0;

beforeAll(async () => {
  s = await startServer({
    onError: (error, where) => void serverErrors.push(`${where}: ${String(error)}`),
    publishKey: PUBLISH_KEY,
    topicLimits: TOPIC_LIMITS,
  });
  s.server.defineTopic(STATIC, { initial: { fixed: true } });
  s.server.defineTopic<{ note: unknown }>(WRITABLE, {
    initial: { note: null },
    onAction: (payload) => ({ ok: true, ops: [{ op: 'replace', path: '/note', value: payload }] }),
  });
  const wsCap = Math.max(2 * LIMIT, LIMIT + 64 * 1024);
  arbs = frameArbitraries({
    epoch: s.server.hub.epoch,
    staticTopic: STATIC,
    writableTopic: WRITABLE,
    maxFrameBytes: LIMIT,
    wsCap,
  });
  watch = await watchStream(s);
});

afterAll(async () => {
  watch?.stop();
  await s?.close();
  console.log(`[faults] http fuzz (seed ${SEED}): ${JSON.stringify(tally)}`);
});

/** Every API answer is JSON with the no-store headers, whatever the input was. */
async function call(path: string, init?: RequestInit): Promise<{ status: number; body: Frame }> {
  const res = await fetch(`${s.httpUrl}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  tally.requests++;
  bump(tally.status, `${path.split('?')[0]} ${res.status}`);
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  const body = (await res.json()) as Frame;
  if (body.type === 'error' || body.type === 'nack') bump(tally.errorCodes, body.code as string);
  return { status: res.status, body };
}

describe('fuzzing /api/poll', () => {
  const epoch = () => s.server.hub.epoch;
  const junk = fc.string();
  const param = fc.oneof(
    fc.tuple(
      fc.constant('topic'),
      fc.oneof(
        { arbitrary: fc.constantFrom(STATIC, WRITABLE, 'watched.ticker'), weight: 2 },
        fc.stringMatching(/^[a-z][a-z.]{0,20}$/),
        junk,
      ),
    ),
    fc.tuple(
      fc.constant('since'),
      fc.oneof(
        { arbitrary: fc.nat().map((n) => `${epoch()}:${n}`), weight: 2 },
        fc.tuple(fc.string(), fc.integer()).map(([e, n]) => `${e}:${n}`),
        junk,
      ),
    ),
    fc.tuple(
      fc.constant('wait'),
      fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: MAX_WAIT_MS }).map(String), weight: 2 },
        fc.constantFrom('-1', '1.5', '1e3', 'abc', '', '9999999999'),
      ),
    ),
    fc.tuple(
      fc.constant('client'),
      fc.oneof(
        { arbitrary: fc.string({ minLength: 1, maxLength: 128 }), weight: 2 },
        fc.constantFrom(''),
        fc.string({ minLength: 129, maxLength: 140 }),
      ),
    ),
    fc.tuple(fc.string({ maxLength: 8 }), junk),
  );
  const query = fc
    .oneof(
      // Mostly led by a real topic, so the deeper parsing (since, wait, client, more topics) is reached.
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom(STATIC, WRITABLE, 'watched.ticker'),
            fc.array(param, { maxLength: 8 }),
          )
          .map(([topic, pairs]) => new URLSearchParams([['topic', topic], ...pairs]).toString()),
        weight: 3,
      },
      fc.array(param, { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString()),
      fc.string({ unit: 'binary', maxLength: 200 }).map((raw) => raw.replace(/#/g, '%23')), // raw bytes, '%zz' and all
    )
    .filter((q) =>
      new URL(`http://h/?${q}`).searchParams
        .getAll('wait')
        .every((w) => !/^\d{1,9}$/.test(w) || Number(w) <= MAX_WAIT_MS),
    );

  it(
    'answers any query string with 200 frames or 400 bad_frame, never anything else',
    async () => {
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const { status, body } = await call(`/api/poll?${q}`);
          const requested = new URL(`http://h/?${q}`).searchParams.getAll('topic');
          if (status === 400) {
            // A property that returns a value fails when it is false: check, then return nothing.
            expect(body).toEqual({ type: 'error', code: 'bad_frame', message: expect.any(String) });
            return;
          }
          expect(status).toBe(200);
          expect(requested.length).toBeGreaterThan(0); // a poll without a topic is a 400
          const frames = body.frames as Frame[];
          tally.pollFrames += frames.length;
          for (const frame of frames) {
            expect(requested).toContain(frame.topic);
            if (frame.type === 'error') expect(frame.code).toBe('unknown_topic');
            else expect(['snapshot', 'patch']).toContain(frame.type);
          }
        }),
        { seed: SEED, numRuns: scaled(300) },
      );
    },
    scaled(60_000),
  );
});

describe('fuzzing POST /api/actions', () => {
  /** The HTTP status and body a frame gets as a POST body (docs/protocol.md, POST /api/actions). */
  function expected(frame: FuzzFrame, id: string): [number, unknown] {
    const e = frame.expect;
    if (e.reply === 'ack') return [200, { type: 'ack', id }];
    if (e.reply === 'nack')
      return [200, { type: 'nack', id, code: e.code, message: expect.any(String) }];
    if (e.reply === 'close' && e.code === 1009)
      return [413, { type: 'error', code: 'too_large', message: expect.any(String) }];
    // Everything else is not valid JSON, not an object, not a valid frame, or not an action.
    return [400, { type: 'error', code: 'bad_frame', message: expect.any(String) }];
  }

  it(
    'answers any body with ack/nack, 400 bad_frame or 413 too_large, never a 500',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            { arbitrary: arbs.nonTerminal, weight: 6 },
            { arbitrary: arbs.actions, weight: 3 },
            { arbitrary: arbs.terminal, weight: 1 },
          ),
          async (frame) => {
            const id = `http-${++ids}`;
            const data = frame.encode(id);
            const { status, body } = await call('/api/actions', {
              method: 'POST',
              body: typeof data === 'string' ? data : new Uint8Array(data),
            });
            const [wantStatus, wantBody] = expected(frame, id);
            expect([status, body]).toEqual([wantStatus, wantBody]);
          },
        ),
        { seed: SEED, numRuns: scaled(300) },
      );
    },
    scaled(60_000),
  );
});

describe('fuzzing POST /api/publish with deep and large values', () => {
  /** A value `depth` arrays deep around a string of `bytes` x's, as JSON text, and its JSON size. */
  const value = fc
    .record({
      depth: fc.oneof(fc.integer({ min: 0, max: 70 }), fc.integer({ min: 70, max: 20_000 })),
      bytes: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 1000, max: 400_000 })),
    })
    .map(({ depth, bytes }) => ({
      depth,
      size: 2 * depth + bytes + 2,
      text: `${'['.repeat(depth)}"${'x'.repeat(bytes)}"${']'.repeat(depth)}`,
    }));
  const publish = fc.record({ value, as: fc.constantFrom('data', 'ops') });

  it(
    'answers 200, 400 too_deep or 413 too_large as the limits say, and the topic stays readable',
    async () => {
      await fc.assert(
        fc.asyncProperty(publish, async ({ value, as }) => {
          // The state becomes { note: value } either way: one level and `{"note":}` around it.
          const body =
            as === 'data'
              ? `{"topic":"${WRITABLE}","data":{"note":${value.text}}}`
              : `{"topic":"${WRITABLE}","ops":[{"op":"replace","path":"/note","value":${value.text}}]}`;
          const { status, body: answer } = await call('/api/publish', {
            method: 'POST',
            headers: { authorization: `Bearer ${PUBLISH_KEY}` },
            body,
          });
          if (value.depth + 1 > TOPIC_LIMITS.maxDepth)
            expect([status, answer.code]).toEqual([400, 'too_deep']);
          else if (value.size + 9 > TOPIC_LIMITS.maxStateBytes)
            expect([status, answer.code]).toEqual([413, 'too_large']);
          else expect([status, answer.type]).toEqual([200, 'published']);
          const poll = await call(`/api/poll?topic=${WRITABLE}`);
          expect(poll.status).toBe(200);
          expect((poll.body.frames as Frame[])[0]).toMatchObject({ type: 'snapshot' });
        }),
        { seed: SEED, numRuns: scaled(60) },
      );
    },
    scaled(60_000),
  );
});

describe('the bystander', () => {
  it('received every patch exactly once, in order, while HTTP was fuzzed', async () => {
    expect(serverErrors).toEqual([]);
    expect(await call('/healthz')).toEqual({ status: 200, body: { ok: true } });
    const { patches } = await watch.verify();
    expect(patches).toBeGreaterThan(50);
    console.log(`[faults] bystander checked ${patches} patches: lost 0, duplicated 0`);
  });
});
