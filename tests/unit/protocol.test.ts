import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeServerFrame, encodeFrame } from '../../src/protocol/index.ts';
import type { ClientFrame, ServerFrame } from '../../src/protocol/index.ts';

const topic = fc.stringMatching(/^[A-Za-z0-9][\w.:/-]{0,40}$/);
const epoch = fc.string({ minLength: 1, maxLength: 20 });
const seq = fc.nat({ max: 1_000_000 });
const json = fc.jsonValue({ maxDepth: 3 }).filter((value) => value !== undefined);
const pointer = fc
  .array(fc.string({ maxLength: 6 }), { maxLength: 4 })
  .map((tokens) => tokens.map((t) => '/' + t.replace(/~/g, '~0').replace(/\//g, '~1')).join(''));
const op = fc.oneof(
  fc.record({ op: fc.constant('add' as const), path: pointer, value: json }),
  fc.record({ op: fc.constant('remove' as const), path: pointer }),
  fc.record({ op: fc.constant('replace' as const), path: pointer, value: json }),
  fc.record({ op: fc.constant('move' as const), from: pointer, path: pointer }),
  fc.record({ op: fc.constant('copy' as const), from: pointer, path: pointer }),
  fc.record({ op: fc.constant('test' as const), path: pointer, value: json }),
);
const actionId = fc.string({ minLength: 1, maxLength: 40 });

const clientFrame: fc.Arbitrary<ClientFrame> = fc.oneof(
  fc.record(
    { type: fc.constant('hello' as const), token: fc.string({ maxLength: 100 }) },
    { requiredKeys: ['type'] },
  ),
  fc.record(
    { type: fc.constant('subscribe' as const), topic, since: fc.record({ epoch, seq }) },
    { requiredKeys: ['type', 'topic'] },
  ),
  fc.record({ type: fc.constant('unsubscribe' as const), topic }),
  fc.record({
    type: fc.constant('ping' as const),
    t: fc.double({ noNaN: true, noDefaultInfinity: true }),
  }),
  fc.record({ type: fc.constant('action' as const), id: actionId, topic, payload: json }),
);
const serverFrame: fc.Arbitrary<ServerFrame> = fc.oneof(
  fc.record({
    type: fc.constant('welcome' as const),
    heartbeatMs: fc.integer({ min: 1, max: 120_000 }),
  }),
  fc.record({ type: fc.constant('snapshot' as const), topic, epoch, seq, data: json }),
  fc.record({
    type: fc.constant('patch' as const),
    topic,
    epoch,
    seq,
    ops: fc.array(op, { maxLength: 5 }),
  }),
  fc.record({
    type: fc.constant('pong' as const),
    t: fc.double({ noNaN: true, noDefaultInfinity: true }),
  }),
  fc.record({ type: fc.constant('ack' as const), id: actionId }),
  fc.record({
    type: fc.constant('nack' as const),
    id: actionId,
    code: fc.string(),
    message: fc.string(),
  }),
  fc.record(
    {
      type: fc.constant('error' as const),
      code: fc.string(),
      message: fc.string(),
      topic: fc.string(),
    },
    { requiredKeys: ['type', 'code', 'message'] },
  ),
);

/** Fields whose removal must make the frame invalid (JSON drops -0 → 0, so compare through JSON). */
const required: Record<string, string[]> = {
  subscribe: ['topic'],
  unsubscribe: ['topic'],
  ping: ['t'],
  action: ['id', 'topic', 'payload'],
  welcome: ['heartbeatMs'],
  snapshot: ['topic', 'epoch', 'seq', 'data'],
  patch: ['topic', 'epoch', 'seq', 'ops'],
  pong: ['t'],
  ack: ['id'],
  nack: ['id', 'code', 'message'],
  error: ['code', 'message'],
};
/** A value of a type no field of that name accepts. */
const wrongTypeFor: Record<string, unknown> = {
  topic: 42,
  epoch: 7,
  seq: 'one',
  t: 'now',
  id: 3,
  code: false,
  message: 1,
  heartbeatMs: -5,
  ops: {},
  since: 'e:1',
  token: 9,
};

type Mutation = { frame: Record<string, unknown>; field: string };
function mutations(frame: Record<string, unknown>): Mutation[] {
  const type = frame.type as string;
  const removals = (required[type] ?? []).map((field) => {
    const copy = { ...frame };
    delete copy[field];
    return { frame: copy, field };
  });
  const retypes = Object.keys(frame)
    .filter((field) => field in wrongTypeFor)
    .map((field) => ({ frame: { ...frame, [field]: wrongTypeFor[field] }, field }));
  return [...removals, ...retypes, { frame: { ...frame, type: `${type}!` }, field: 'type' }];
}

describe('wire protocol v1 validation', () => {
  it('every valid client frame round-trips through encode and decode', () => {
    fc.assert(
      fc.property(clientFrame, (frame) => {
        const decoded = decodeClientFrame(encodeFrame(frame));
        expect(decoded).toEqual({ ok: true, frame: JSON.parse(JSON.stringify(frame)) });
      }),
      { numRuns: 500 },
    );
  });

  it('every valid server frame round-trips through encode and decode', () => {
    fc.assert(
      fc.property(serverFrame, (frame) => {
        const decoded = decodeServerFrame(encodeFrame(frame));
        expect(decoded).toEqual({ ok: true, frame: JSON.parse(JSON.stringify(frame)) });
      }),
      { numRuns: 500 },
    );
  });

  it('every mutated frame is refused with a reason naming the broken field', () => {
    const both = fc.oneof(
      clientFrame.map((frame) => ({
        frame: frame,
        decode: decodeClientFrame,
      })),
      serverFrame.map((frame) => ({
        frame: frame,
        decode: decodeServerFrame,
      })),
    );
    fc.assert(
      fc.property(both, ({ frame, decode }) => {
        for (const mutation of mutations(frame)) {
          const decoded = decode(JSON.stringify(mutation.frame));
          expect(decoded.ok, JSON.stringify(mutation.frame)).toBe(false);
          if (!decoded.ok) {
            expect(decoded.code).toBe('bad_frame');
            expect(decoded.message).toContain(mutation.field);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses text that is not a JSON object, saying why', () => {
    expect(decodeClientFrame('{"type":')).toEqual({
      ok: false,
      code: 'bad_frame',
      message: 'frame is not valid JSON',
    });
    for (const text of ['[]', '"hello"', '42', 'null']) {
      expect(decodeClientFrame(text)).toEqual({
        ok: false,
        code: 'bad_frame',
        message: 'frame must be a JSON object',
      });
    }
  });

  it('refuses a patch operation without its value and an op it does not know', () => {
    const missingValue = decodeServerFrame(
      '{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[{"op":"add","path":"/x"}]}',
    );
    expect(missingValue.ok).toBe(false);
    if (!missingValue.ok) expect(missingValue.message).toMatch(/^ops\.0\.value/);
    const unknownOp = decodeServerFrame(
      '{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[{"op":"merge","path":"/x"}]}',
    );
    expect(unknownOp.ok).toBe(false);
    const badPointer = decodeServerFrame(
      '{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[{"op":"remove","path":"x"}]}',
    );
    expect(badPointer.ok).toBe(false);
    if (!badPointer.ok) expect(badPointer.message).toContain('JSON Pointer');
  });

  it('refuses a negative or fractional seq and an empty or odd topic', () => {
    for (const bad of [
      '{"type":"subscribe","topic":"a","since":{"epoch":"e","seq":-1}}',
      '{"type":"subscribe","topic":"a","since":{"epoch":"e","seq":1.5}}',
      '{"type":"subscribe","topic":""}',
      '{"type":"subscribe","topic":"<script>"}',
    ])
      expect(decodeClientFrame(bad).ok, bad).toBe(false);
  });

  it('ignores fields it does not know, so v1 can grow without breaking old peers', () => {
    expect(decodeClientFrame('{"type":"ping","t":5,"future":true}')).toEqual({
      ok: true,
      frame: { type: 'ping', t: 5 },
    });
  });
});
