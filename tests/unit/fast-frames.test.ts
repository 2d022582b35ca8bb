import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { acceptTopicFrame } from '../../src/protocol/codec.ts';
import { ServerFrame } from '../../src/protocol/index.ts';

// The codec checks snapshot and patch frames by hand on the hot path (acceptTopicFrame) and sends
// everything else through valibot. The schemas stay the definition: the fast path may refuse what
// they accept (valibot then decides), never the other way round.
describe('the fast path for topic frames', () => {
  const anything = fc.oneof(
    fc.string({ maxLength: 4 }),
    fc.integer(),
    fc.double(),
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
  );
  // Values for every field, right and wrong (edges of each rule included).
  const candidates = fc.oneof(
    anything,
    fc.constant(undefined),
    fc.constantFrom(
      'host.cpu',
      'x'.repeat(64),
      'x'.repeat(65),
      'x'.repeat(128),
      'x'.repeat(129),
      '',
      '-a',
      'a b',
      'ü',
      'a/b:c-d_e.f',
    ),
    fc.constantFrom(0, 1, -1, 1.5, -0, Number.NaN, Number.POSITIVE_INFINITY),
    fc.constantFrom('/', '/a/b', '/samples/-', 'a', 'a/b'),
    fc.constantFrom(
      'add',
      'remove',
      'replace',
      'move',
      'copy',
      'test',
      'patch',
      'snapshot',
      'pong',
    ),
  );
  const op = fc.oneof(
    fc.record(
      {
        op: fc.constantFrom('add', 'replace', 'test'),
        path: fc.constantFrom('', '/a', '/samples/-'),
        value: fc.jsonValue(),
      },
      { noNullPrototype: true },
    ),
    fc.record(
      { op: fc.constant('remove'), path: fc.constantFrom('/a', '/samples/0') },
      { noNullPrototype: true },
    ),
    fc.record(
      {
        op: fc.constantFrom('move', 'copy'),
        from: fc.constantFrom('/a', ''),
        path: fc.constantFrom('/b', '/c/-'),
      },
      { noNullPrototype: true },
    ),
  );
  const valid = fc.oneof(
    fc.record(
      {
        type: fc.constant('patch'),
        topic: fc.constantFrom('host.cpu', 'a'),
        epoch: fc.constantFrom('e1', 'x'.repeat(64)),
        seq: fc.nat(),
        ops: fc.array(op, { maxLength: 3 }),
      },
      { noNullPrototype: true },
    ),
    fc.record(
      {
        type: fc.constant('snapshot'),
        topic: fc.constantFrom('host.cpu', 'a'),
        epoch: fc.constant('e1'),
        seq: fc.nat(),
        data: fc.jsonValue(),
      },
      { noNullPrototype: true },
    ),
  );
  // A valid frame with at most one thing wrong: a field (of the frame or of its first op) replaced,
  // removed, or a key added.
  const frame = fc
    .tuple(
      valid,
      fc.constantFrom('none', 'set', 'delete', 'extra'),
      fc.boolean(),
      fc.constantFrom(
        'type',
        'topic',
        'epoch',
        'seq',
        'ops',
        'data',
        'op',
        'path',
        'from',
        'value',
      ),
      candidates,
    )
    .map(([base, how, inOp, key, value]) => {
      const frame: Record<string, unknown> = structuredClone(base);
      const ops = frame.ops as Record<string, unknown>[] | undefined;
      const target = inOp && ops?.[0] ? ops[0] : frame;
      if (how === 'set') target[key] = value;
      else if (how === 'delete') delete target[key];
      else if (how === 'extra') target[key in target ? 'extra' : key] = value;
      return frame;
    });

  it('accepts only frames the schema accepts, and returns what the schema returns', () => {
    let taken = 0;
    fc.assert(
      fc.property(frame, (value) => {
        const fast = acceptTopicFrame(value);
        if (fast === null) return;
        taken++;
        const checked = v.safeParse(ServerFrame, value);
        expect(checked.success).toBe(true);
        if (checked.success) expect(fast).toEqual(checked.output);
      }),
      { numRuns: 10_000 },
    );
    expect(taken).toBeGreaterThan(2000); // the well-formed frames do take it
  });

  it('takes the frames a metric stream is made of', () => {
    expect(
      acceptTopicFrame(
        JSON.parse(
          '{"type":"patch","topic":"host.cpu","epoch":"e","seq":3,"ops":[{"op":"add","path":"/samples/-","value":{"t":1}},{"op":"remove","path":"/samples/0"}]}',
        ),
      ),
    ).not.toBeNull();
    expect(
      acceptTopicFrame(
        JSON.parse(
          '{"type":"snapshot","topic":"host.cpu","epoch":"e","seq":0,"data":{"samples":[]}}',
        ),
      ),
    ).not.toBeNull();
    expect(
      acceptTopicFrame(
        JSON.parse('{"type":"snapshot","topic":"host.cpu","epoch":"e","seq":0,"data":null}'),
      ),
    ).not.toBeNull();
  });
});
