import fc from 'fast-check';

/**
 * Client frames for fuzzing the server, each with the answer docs/protocol.md promises for it.
 * Expectations come from how a frame was built (a proper prefix of a JSON object is never JSON, a
 * number is never a topic name), not from the server's own decoder, so the decoder is under test.
 */

export type Expect =
  | { reply: 'error'; code: string; topic?: string }
  | { reply: 'pong'; t: number }
  | { reply: 'welcome' | 'snapshot' | 'nothing' | 'ack' }
  | { reply: 'nack'; code: string }
  /** The last frame of a connection: optionally an error frame, then this close code. */
  | { reply: 'close'; code: number; error?: string };

export interface FuzzFrame {
  /** What kind of input this is, for the tallies in docs/reliability.md. */
  kind: string;
  /** The bytes to send; action ids are filled in per send so that no two actions share one. */
  encode(id: string): string | Buffer;
  binary: boolean;
  expect: Expect;
}

export interface FuzzContext {
  epoch: string;
  /** A read-only topic with a fixed state (all topics of the server under test are named fuzz.* or watched.*). */
  staticTopic: string;
  /** A writable topic whose handler stores any payload. */
  writableTopic: string;
  maxFrameBytes: number;
  /** ws's own payload cap (max(2 × limit, limit + 64 KiB)): beyond it ws closes without our error frame. */
  wsCap: number;
}

const ID = '\u0000id'; // stands for the action id until encode() fills it in
const TYPES = ['hello', 'subscribe', 'unsubscribe', 'ping', 'action'];
const TOPIC_RE = /^[A-Za-z0-9][\w.:/-]*$/;
const bad = (kind: string, text: string | Buffer, binary = false): FuzzFrame => ({
  kind,
  encode: () => text,
  binary,
  expect: { reply: 'error', code: 'bad_frame' },
});
const encodeObject = (frame: object) => (id: string) =>
  JSON.stringify(frame, (_, value: unknown) => (value === ID ? id : value));
const isJsonObject = (text: string) => {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

/** `depth` nested arrays or objects: JSON.parse copes; recursive code (JSON.stringify, validators) may not. */
export const nested = (depth: number, shape: 'array' | 'object') =>
  shape === 'array'
    ? '['.repeat(depth) + ']'.repeat(depth)
    : '{"a":'.repeat(depth) + '0' + '}'.repeat(depth);

export function frameArbitraries(ctx: FuzzContext) {
  // The fuzz servers define only fuzz.* and watched.* topics.
  const unknownTopic = fc
    .stringMatching(/^[a-z0-9][a-z0-9.:_/-]{0,30}$/)
    .filter((t) => !t.startsWith('fuzz.') && !t.startsWith('watched.'));
  const notString = fc.oneof(
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 3 }),
    fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  );
  const notNumber = fc.oneof(
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(Number.NaN, Infinity),
    fc.array(fc.integer(), { maxLength: 2 }),
  );
  const DELETE = Symbol('delete');

  // Well-formed frames and their answers.
  const ping = fc.double({ noNaN: true, noDefaultInfinity: true }).map((t): FuzzFrame => {
    const sent = JSON.parse(JSON.stringify(t)) as number; // -0 travels as 0
    return {
      kind: 'valid',
      encode: encodeObject({ type: 'ping', t }),
      binary: false,
      expect: { reply: 'pong', t: sent },
    };
  });
  const toFrame = ({ frame, expect }: { frame: object; expect: Expect }): FuzzFrame => ({
    kind: 'valid',
    encode: encodeObject(frame),
    binary: false,
    expect,
  });
  const actions = fc.oneof(
    unknownTopic.map((topic) => ({
      frame: { type: 'action', id: ID, topic, payload: 1 },
      expect: { reply: 'nack', code: 'unknown_topic' } as Expect,
    })),
    fc.jsonValue({ maxDepth: 3 }).map((payload) => ({
      frame: { type: 'action', id: ID, topic: ctx.writableTopic, payload },
      expect: { reply: 'ack' } as Expect,
    })),
    fc.jsonValue({ maxDepth: 2 }).map((payload) => ({
      frame: { type: 'action', id: ID, topic: ctx.staticTopic, payload },
      expect: { reply: 'nack', code: 'not_writable' } as Expect,
    })),
  );
  const valid = fc
    .oneof(
      fc.option(fc.string({ maxLength: 100 }), { nil: undefined }).map((token) => ({
        frame: { type: 'hello', token },
        expect: { reply: 'welcome' } as Expect,
      })),
      fc.constant({
        frame: { type: 'subscribe', topic: ctx.staticTopic },
        expect: { reply: 'snapshot' } as Expect,
      }),
      fc.constant({
        frame: { type: 'subscribe', topic: ctx.staticTopic, since: { epoch: ctx.epoch, seq: 0 } },
        expect: { reply: 'nothing' } as Expect,
      }),
      fc.nat().map((seq) => ({
        frame: {
          type: 'subscribe',
          topic: ctx.staticTopic,
          since: { epoch: 'another-epoch', seq },
        },
        expect: { reply: 'snapshot' } as Expect,
      })),
      fc.constant({
        frame: { type: 'unsubscribe', topic: ctx.staticTopic },
        expect: { reply: 'nothing' } as Expect,
      }),
      unknownTopic.chain((topic) =>
        fc.constantFrom(
          {
            frame: { type: 'subscribe', topic },
            expect: { reply: 'error', code: 'unknown_topic', topic } as Expect,
          },
          {
            frame: { type: 'unsubscribe', topic },
            expect: { reply: 'error', code: 'unknown_topic', topic } as Expect,
          },
        ),
      ),
      { arbitrary: actions, weight: 3 },
    )
    .map(toFrame);

  // Valid frames with one field of the wrong type, or missing.
  const wrongFor: Record<string, fc.Arbitrary<unknown>> = {
    type: fc.oneof(
      notString,
      fc.string().filter((s) => !TYPES.includes(s)),
      fc.constant(DELETE),
    ),
    topic: fc.oneof(
      notString,
      fc.constant(''),
      fc.string({ minLength: 129, maxLength: 200 }),
      fc.string({ minLength: 1 }).filter((s) => !TOPIC_RE.test(s)),
      fc.constant(DELETE),
    ),
    since: fc.oneof(
      notString,
      fc.string(),
      fc.record({ epoch: notString, seq: fc.nat() }),
      fc.record({ epoch: fc.constantFrom('', 'e'.repeat(65)), seq: fc.nat() }),
      fc.record({
        epoch: fc.constant('e'),
        seq: fc.oneof(
          fc.integer({ max: -1 }),
          fc.double({ min: 0.1, max: 1e6, noInteger: true }),
          fc.string(),
          fc.constant(DELETE),
        ),
      }),
    ),
    t: fc.oneof(notNumber, fc.constant(DELETE)),
    id: fc.oneof(
      notString,
      fc.constant(''),
      fc.string({ minLength: 129, maxLength: 200 }),
      fc.constant(DELETE),
    ),
    token: fc.oneof(notString, fc.constant('x'.repeat(8193))),
    payload: fc.constant(DELETE),
  };
  const shapes: [Record<string, unknown>, string[]][] = [
    [{ type: 'hello' }, ['type', 'token']],
    [{ type: 'subscribe', topic: ctx.staticTopic }, ['type', 'topic', 'since']],
    [{ type: 'unsubscribe', topic: ctx.staticTopic }, ['type', 'topic']],
    [{ type: 'ping', t: 1 }, ['type', 't']],
    [
      { type: 'action', id: ID, topic: ctx.writableTopic, payload: {} },
      ['type', 'id', 'topic', 'payload'],
    ],
  ];
  const wrongTyped = fc
    .constantFrom(...shapes)
    .chain(([frame, fields]) => fc.tuple(fc.constant(frame), fc.constantFrom(...fields)))
    .chain(([frame, field]) =>
      wrongFor[field]!.map((value) => {
        const copy: Record<string, unknown> = { ...frame, [field]: value };
        if (
          field === 'since' &&
          typeof value === 'object' &&
          value !== null &&
          (value as Record<string, unknown>).seq === DELETE
        )
          copy.since = { epoch: 'e' };
        if (value === DELETE) delete copy[field];
        return {
          kind: 'wrong-type',
          encode: encodeObject(copy),
          binary: false,
          expect: { reply: 'error', code: 'bad_frame' },
        } as FuzzFrame;
      }),
    );

  const malformed = fc.oneof(
    fc
      .string({ unit: 'binary', maxLength: 200 })
      .filter((s) => !isJsonObject(s))
      .map((s) => bad('malformed', s)),
    fc
      .constantFrom(
        '',
        ' ',
        '{',
        '}',
        '{"type":"ping",}',
        "{'type':'ping'}",
        '{"type":"ping","t":1}}',
        'NaN',
        '{"t":1e999999}x',
      )
      .map((s) => bad('malformed', s)),
    fc
      .jsonValue()
      .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
      .map((v) => bad('not-object', JSON.stringify(v))),
  );
  // Any proper prefix of an encoded object lacks its closing brace, so it is never valid JSON.
  const truncated = fc.oneof(ping, valid).chain((frame) => {
    const text = String(frame.encode('truncated-id'));
    return fc.nat({ max: text.length - 1 }).map((cut) => bad('truncated', text.slice(0, cut)));
  });
  const deep = fc
    .record({
      depth: fc.integer({ min: 1000, max: 10_000 }),
      shape: fc.constantFrom('array' as const, 'object' as const),
      where: fc.constantFrom('top', 'ignored', 'since', 'payload', 'writable'),
    })
    .map(({ depth, shape, where }): FuzzFrame => {
      const value = nested(depth, shape);
      if (where === 'top') return bad('deep', value); // an array is not an object; an object of "a"s has no type
      if (where === 'ignored')
        return {
          kind: 'deep',
          encode: () => `{"type":"ping","t":7,"x":${value}}`,
          binary: false,
          expect: { reply: 'pong', t: 7 },
        };
      if (where === 'since')
        return bad('deep', `{"type":"subscribe","topic":"${ctx.staticTopic}","since":${value}}`);
      // The writable topic's handler stores the payload: the topic's depth limit refuses it.
      const writable = where === 'writable';
      return {
        kind: 'deep',
        encode: (id) =>
          `{"type":"action","id":"${id}","topic":"${writable ? ctx.writableTopic : ctx.staticTopic}","payload":${value}}`,
        binary: false,
        expect: writable
          ? { reply: 'nack', code: 'too_deep' }
          : { reply: 'nack', code: 'not_writable' },
      };
    });
  // Large values for the writable topic: up to the frame limit, and at the depth limit's edge.
  const large = fc
    .record({
      bytes: fc.integer({ min: 1000, max: ctx.maxFrameBytes - 400 }),
      depth: fc.integer({ min: 0, max: 62 }),
    })
    .map(({ bytes, depth }): FuzzFrame => {
      const value = `${'['.repeat(depth)}"${'x'.repeat(bytes)}"${']'.repeat(depth)}`;
      return {
        kind: 'large',
        encode: (id) =>
          `{"type":"action","id":"${id}","topic":"${ctx.writableTopic}","payload":${value}}`,
        binary: false,
        expect: { reply: 'ack' },
      };
    });
  const binary = fc
    .oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.constant(new TextEncoder().encode('{"type":"ping","t":1}')),
    )
    .map((bytes) => bad('binary', Buffer.from(bytes), true));
  const randomText = fc
    .uint8Array({ minLength: 1, maxLength: 300 })
    .filter((bytes) => !isJsonObject(Buffer.from(bytes).toString('utf8')))
    .map((bytes): FuzzFrame => {
      let utf8 = true;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        utf8 = false;
      }
      // ws itself closes a text frame that is not UTF-8 with 1007 before we see it.
      return utf8
        ? bad('random-bytes', Buffer.from(bytes))
        : {
            kind: 'random-bytes',
            encode: () => Buffer.from(bytes),
            binary: false,
            expect: { reply: 'close', code: 1007 },
          };
    });

  // Frames that end the connection, so only ever the last of a run.
  const terminal = fc.oneof(
    fc.integer({ min: ctx.maxFrameBytes + 1, max: ctx.wsCap }).map((size): FuzzFrame => ({
      kind: 'oversize',
      encode: () => JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(size) }).slice(0, size),
      binary: false,
      expect: { reply: 'close', code: 1009, error: 'too_large' },
    })),
    fc.integer({ min: ctx.wsCap + 1, max: ctx.wsCap * 2 }).map((size): FuzzFrame => ({
      kind: 'over-ws-cap',
      encode: () => 'x'.repeat(size),
      binary: false,
      expect: { reply: 'close', code: 1009 },
    })),
    fc
      .integer({ min: Math.ceil(ctx.maxFrameBytes / 2) + 1, max: Math.floor(ctx.wsCap / 2) })
      .map((depth): FuzzFrame => ({
        kind: 'deep-oversize',
        encode: () => nested(depth, 'array'),
        binary: false,
        expect: { reply: 'close', code: 1009, error: 'too_large' },
      })),
    randomText.filter((f) => f.expect.reply === 'close'),
  );
  const nonTerminal = fc.oneof(
    { arbitrary: valid, weight: 3 },
    { arbitrary: ping, weight: 1 },
    { arbitrary: wrongTyped, weight: 3 },
    { arbitrary: malformed, weight: 2 },
    { arbitrary: truncated, weight: 2 },
    { arbitrary: deep, weight: 1 },
    { arbitrary: large, weight: 1 },
    { arbitrary: binary, weight: 1 },
    { arbitrary: randomText.filter((f) => f.expect.reply !== 'close'), weight: 1 },
  );
  return { nonTerminal, terminal, valid, actions: actions.map(toFrame), wrongTyped, malformed };
}
