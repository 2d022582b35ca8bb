import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ServerFrame, decodeServerFrame, validateServerFrame } from '../../src/protocol/index.ts';

// The client checks server frames by hand (server-frame-guard.ts); the valibot schema ServerFrame
// stays the definition. Both must accept exactly the same frames.
describe('the client guard for server frames', () => {
  const anything = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.integer(),
    fc.double(),
    fc.constant(null),
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
    fc.constant([{}]),
    fc.constant([{ path: '/a' }]),
    fc.constant([{ path: 1 }]),
  );
  // Values for every field, right and wrong (the edges of each rule included), all equally likely.
  const edges = fc.constantFrom(
    undefined,
    'host.cpu',
    'x'.repeat(64),
    'x'.repeat(65),
    'x'.repeat(128),
    'x'.repeat(129),
    'x'.repeat(8192),
    'x'.repeat(8193),
    '',
    '-a',
    'a b',
    'ü',
    'a/b:c-d_e.f',
    'toString',
    0,
    1,
    -1,
    1.5,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    2 ** 53,
    '/',
    '/a/b',
    '/samples/-',
    'a',
    'a/b',
    'add',
    'remove',
    'replace',
    'move',
    'copy',
    'test',
    'merge',
    'patch',
    'snapshot',
    'welcome',
    'token',
    'pong',
    'ack',
    'nack',
    'error',
    'constructor',
  );
  const candidates = fc.oneof({ weight: 3, arbitrary: edges }, { weight: 1, arbitrary: anything });
  const op = fc.oneof(
    fc.record({
      op: fc.constantFrom('add', 'replace', 'test'),
      path: fc.constantFrom('', '/a', '/samples/-'),
      value: fc.jsonValue({ maxDepth: 2 }),
    }),
    fc.record({ op: fc.constant('remove'), path: fc.constantFrom('/a', '/samples/0') }),
    fc.record({
      op: fc.constantFrom('move', 'copy'),
      from: fc.constantFrom('/a', ''),
      path: fc.constantFrom('/b', '/c/-'),
    }),
  );
  const topic = fc.constantFrom('host.cpu', 'a');
  const epoch = fc.constantFrom('e1', 'x'.repeat(64));
  const text = fc.string({ maxLength: 8 });
  const valid = fc.oneof(
    fc.record({ type: fc.constant('welcome'), heartbeatMs: fc.integer({ min: 1, max: 60_000 }) }),
    fc.record({ type: fc.constant('token'), token: text }),
    fc.record({ type: fc.constant('snapshot'), topic, epoch, seq: fc.nat(), data: fc.jsonValue() }),
    fc.record({
      type: fc.constant('patch'),
      topic,
      epoch,
      seq: fc.nat(),
      ops: fc.array(op, { maxLength: 3 }),
    }),
    fc.record({
      type: fc.constant('pong'),
      t: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }),
    fc.record({ type: fc.constant('ack'), id: fc.string({ minLength: 1, maxLength: 8 }) }),
    fc.record(
      {
        type: fc.constant('nack'),
        id: fc.string({ minLength: 1, maxLength: 8 }),
        code: text,
        message: text,
        conflicts: fc.array(
          fc.record(
            { path: fc.constantFrom('/a', ''), value: fc.jsonValue({ maxDepth: 1 }) },
            { requiredKeys: ['path'] },
          ),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: ['type', 'id', 'code', 'message'] },
    ),
    fc.record(
      { type: fc.constant('error'), code: text, message: text, topic: text },
      { requiredKeys: ['type', 'code', 'message'] },
    ),
  );
  // A valid frame with at most one thing wrong: one of its fields (or of its first element: an
  // operation or a conflict) replaced or removed, or a key added.
  const frame = fc
    .tuple(
      valid,
      fc.constantFrom('none', 'set', 'delete', 'extra'),
      fc.boolean(),
      fc.nat(),
      fc.constantFrom('extra', 'topic', 'from', 'value', 'conflicts', 'toString'),
      candidates,
    )
    .map(([base, how, inElement, pick, extra, value]) => {
      const frame: Record<string, unknown> = structuredClone(base);
      const list = (frame.ops ?? frame.conflicts) as Record<string, unknown>[] | undefined;
      const target = inElement && list?.[0] ? list[0] : frame;
      const keys = Object.keys(target);
      const key = keys[pick % keys.length]!;
      if (how === 'set') target[key] = value;
      else if (how === 'delete') delete target[key];
      else if (how === 'extra' && !(extra in target)) target[extra] = value;
      return frame;
    });

  it('accepts exactly the frames the valibot schema accepts, and keeps what the schema keeps', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(frame, anything), (value) => {
        const guarded = validateServerFrame(value);
        const checked = v.safeParse(ServerFrame, value);
        expect(guarded.ok, JSON.stringify(value)).toBe(checked.success);
        if (guarded.ok && checked.success) {
          accepted++;
          expect(guarded.frame).toBe(value); // no copy
          expect(guarded.frame).toMatchObject(checked.output);
        }
        if (!guarded.ok) {
          expect(guarded.code).toBe('bad_frame');
          expect(guarded.message).toMatch(/^[\w.]+: \S|^frame must be a JSON object$/);
          expect(guarded.message).not.toContain('\n');
        }
      }),
      { numRuns: 20_000 },
    );
    expect(accepted).toBeGreaterThan(5000); // the well-formed frames do pass
  });

  it('accepts every kind of server frame', () => {
    for (const text of [
      '{"type":"welcome","heartbeatMs":15000}',
      '{"type":"token","token":"abc"}',
      '{"type":"snapshot","topic":"host.cpu","epoch":"e","seq":0,"data":null}',
      '{"type":"patch","topic":"host.cpu","epoch":"e","seq":3,"ops":[{"op":"add","path":"/samples/-","value":{"t":1}},{"op":"remove","path":"/samples/0"},{"op":"move","from":"/a","path":"/b"}]}',
      '{"type":"pong","t":1.5}',
      '{"type":"ack","id":"a1"}',
      '{"type":"nack","id":"a1","code":"conflict","message":"changed","conflicts":[{"path":"/x","value":2},{"path":"/y"}]}',
      '{"type":"error","code":"unknown_topic","message":"no such topic","topic":"x","future":true}',
    ])
      expect(decodeServerFrame(text), text).toEqual({ ok: true, frame: JSON.parse(text) });
  });

  it.each([
    ['{"type":', 'frame is not valid JSON'],
    ['[]', 'frame must be a JSON object'],
    [
      '{"topic":"a"}',
      'type: expected one of welcome, snapshot, patch, pong, ack, nack, error, token',
    ],
    ['{"type":"toString"}', 'type: expected one of'],
    ['{"type":"welcome","heartbeatMs":0}', 'heartbeatMs: expected an integer of at least 1'],
    ['{"type":"snapshot","topic":"a","epoch":"e","seq":0}', 'data: a JSON value is required'],
    [
      '{"type":"snapshot","topic":"a b","epoch":"e","seq":0,"data":1}',
      'topic: a topic uses letters',
    ],
    [
      '{"type":"patch","topic":"a","epoch":"","seq":0,"ops":[]}',
      'epoch: expected a string of 1 to 64 characters',
    ],
    ['{"type":"patch","topic":"a","epoch":"e","seq":1.5,"ops":[]}', 'seq: seq is an integer'],
    ['{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":{}}', 'ops: expected an array'],
    [
      '{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[{"op":"add","path":"/x"}]}',
      'ops.0.value: a JSON value is required',
    ],
    [
      '{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[{"op":"add","path":"/x","value":1},{"op":"remove","path":"x"}]}',
      'ops.1.path: a JSON Pointer is empty or starts with "/"',
    ],
    [
      '{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[{"op":"merge","path":"/x"}]}',
      'ops.0.op: expected one of add, remove',
    ],
    ['{"type":"patch","topic":"a","epoch":"e","seq":1,"ops":[3]}', 'ops.0: expected an object'],
    ['{"type":"pong","t":"now"}', 't: expected a finite number'],
    [
      '{"type":"nack","id":"a","code":"c","message":"m","conflicts":[{"value":1}]}',
      'conflicts.0.path: expected a string',
    ],
    ['{"type":"error","code":"c"}', 'message: expected a string'],
  ])('refuses %s saying "%s"', (text, message) => {
    const decoded = decodeServerFrame(text);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) {
      expect(decoded.code).toBe('bad_frame');
      expect(decoded.message.startsWith(message), decoded.message).toBe(true);
    }
  });
});
