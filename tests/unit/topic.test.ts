import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchFrame, PatchOperation, TopicFrame } from '../../src/protocol/index.ts';
import { Hub } from '../../server/hub.ts';
import { PatchRefusedError, Topic, newEpoch } from '../../server/topic.ts';

interface Doc {
  counter: number;
  items: number[];
  map: Record<string, number>;
}
const initial = (): Doc => ({ counter: 0, items: [], map: {} });

/** A publish a source could make; some are bound to fail (removing from an empty list, a missing path). */
const opsArbitrary: fc.Arbitrary<PatchOperation[]> = fc.oneof(
  fc.integer().map((n): PatchOperation[] => [{ op: 'replace', path: '/counter', value: n }]),
  fc.integer().map((n): PatchOperation[] => [{ op: 'add', path: '/items/-', value: n }]),
  fc.constant<PatchOperation[]>([{ op: 'remove', path: '/items/0' }]),
  fc
    .tuple(fc.constantFrom('a', 'b', 'c~', 'd/e'), fc.integer())
    .map(([key, n]): PatchOperation[] => [
      { op: 'add', path: `/map/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`, value: n },
    ]),
  fc.integer().map((n): PatchOperation[] => [
    { op: 'add', path: '/items/-', value: n },
    { op: 'replace', path: '/counter', value: n },
  ]),
  fc.constant<PatchOperation[]>([{ op: 'remove', path: '/missing' }]),
);

/** Publishes each op list, skipping refused ones; returns every accepted frame and the state after each seq. */
function run(topic: Topic<Doc>, publishes: PatchOperation[][]) {
  const frames: PatchFrame[] = [];
  const states: Doc[] = [topic.state];
  for (const ops of publishes) {
    try {
      const published = topic.publish(ops);
      if (published) {
        frames.push(published.frame);
        states.push(topic.state);
      }
    } catch (error) {
      expect(error).toBeInstanceOf(PatchRefusedError);
    }
  }
  return { frames, states };
}

const applyFrames = (start: unknown, frames: TopicFrame[]) =>
  frames.reduce((doc, frame) => {
    if (frame.type === 'snapshot') return frame.data;
    const result = applyPatchImmutably(doc, frame.ops);
    if (!result.ok) throw new Error(result.error);
    return result.doc;
  }, start);

describe('Topic', () => {
  it('starts at seq 0 with its initial state as the snapshot', () => {
    const topic = new Topic('t', { initial: initial() });
    expect(topic.framesSince().map((f) => f.frame)).toEqual([
      { type: 'snapshot', topic: 't', epoch: topic.epoch, seq: 0, data: initial() },
    ]);
  });

  it('advances seq by exactly one per accepted publish', () => {
    fc.assert(
      fc.property(fc.array(opsArbitrary, { maxLength: 60 }), (publishes) => {
        const topic = new Topic('t', { initial: initial() });
        const { frames } = run(topic, publishes);
        expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i + 1));
        expect(topic.seq).toBe(frames.length);
      }),
    );
  });

  it('returns exactly the missing patches, in order, for any position the history covers', () => {
    fc.assert(
      fc.property(
        fc.array(opsArbitrary, { maxLength: 60 }),
        fc.integer({ min: 0, max: 20 }),
        fc.nat(),
        (publishes, historyLength, pick) => {
          const topic = new Topic('t', { initial: initial(), historyLength });
          const { frames } = run(topic, publishes);
          const oldestCovered = Math.max(0, topic.seq - historyLength);
          const since = oldestCovered + (pick % (topic.seq - oldestCovered + 1));
          const got = topic.framesSince({ epoch: topic.epoch, seq: since }).map((f) => f.frame);
          expect(got).toEqual(frames.slice(since));
        },
      ),
    );
  });

  it('answers with one snapshot for a position outside the history, from another epoch, or ahead', () => {
    fc.assert(
      fc.property(
        fc.array(opsArbitrary, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 0, max: 10 }),
        (publishes, historyLength) => {
          const topic = new Topic('t', { initial: initial(), historyLength });
          run(topic, publishes);
          const snapshot = [
            { type: 'snapshot', topic: 't', epoch: topic.epoch, seq: topic.seq, data: topic.state },
          ];
          const frames = (seq: number, epoch = topic.epoch) =>
            topic.framesSince({ epoch, seq }).map((f) => f.frame);
          expect(frames(topic.seq + 1)).toEqual(snapshot);
          expect(frames(topic.seq, 'another-epoch')).toEqual(snapshot);
          if (topic.seq - historyLength - 1 >= 0)
            expect(frames(topic.seq - historyLength - 1)).toEqual(snapshot);
        },
      ),
    );
  });

  it('answers an up-to-date position with nothing', () => {
    const topic = new Topic('t', { initial: initial() });
    topic.publish([{ op: 'replace', path: '/counter', value: 1 }]);
    expect(topic.framesSince({ epoch: topic.epoch, seq: 1 })).toEqual([]);
    expect(topic.isUpToDate({ epoch: topic.epoch, seq: 1 })).toBe(true);
  });

  it('rebuilds the latest state from any past snapshot plus the patches after it', () => {
    fc.assert(
      fc.property(fc.array(opsArbitrary, { maxLength: 60 }), fc.nat(), (publishes, pick) => {
        const topic = new Topic('t', { initial: initial(), historyLength: 1000 });
        const { states } = run(topic, publishes);
        const k = pick % states.length;
        const catchUp = topic.framesSince({ epoch: topic.epoch, seq: k }).map((f) => f.frame);
        expect(applyFrames(states[k], catchUp)).toEqual(topic.state);
      }),
    );
  });

  it('refuses a failing patch as a whole and leaves state, seq and history untouched', () => {
    fc.assert(
      fc.property(fc.array(opsArbitrary, { maxLength: 30 }), fc.integer(), (publishes, n) => {
        const topic = new Topic('t', { initial: initial() });
        run(topic, publishes);
        const before = {
          state: topic.state,
          seq: topic.seq,
          frames: topic.framesSince({ epoch: topic.epoch, seq: 0 }),
        };
        // The first op would apply; the second cannot, so neither may.
        const failing: PatchOperation[] = [
          { op: 'replace', path: '/counter', value: n },
          { op: 'remove', path: '/nowhere/deep' },
        ];
        expect(() => topic.publish(failing)).toThrow(/topic "t": patch refused/);
        expect(topic.state).toBe(before.state);
        expect(topic.seq).toBe(before.seq);
        expect(topic.framesSince({ epoch: topic.epoch, seq: 0 })).toEqual(before.frames);
      }),
    );
  });

  it('publishes a minimal diff: one replace per changed leaf, nothing when nothing changed', () => {
    const record = fc.dictionary(
      fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      fc.record({ x: fc.integer(), y: fc.string() }),
    );
    fc.assert(
      fc.property(record, fc.func(fc.boolean()), fc.integer(), (start, shouldChange, delta) => {
        const topic = new Topic('t', { initial: start });
        const next = structuredClone(start);
        let changed = 0;
        for (const key of Object.keys(next)) {
          if (shouldChange(key) && delta !== 0) {
            next[key]!.x += delta;
            changed++;
          }
        }
        const published = topic.publishState(next);
        if (changed === 0) {
          expect(published).toBeNull();
          expect(topic.seq).toBe(0);
          return;
        }
        expect(published!.frame.ops).toHaveLength(changed);
        expect(
          published!.frame.ops.every((op) => op.op === 'replace' && op.path.endsWith('/x')),
        ).toBe(true);
        expect(topic.state).toEqual(next);
      }),
    );
  });

  it('keeps untouched subtrees by reference across publishes', () => {
    const topic = new Topic('t', { initial: { a: { deep: [1, 2] }, b: { n: 1 } } });
    const a = topic.state.a;
    topic.publishState({ a: { deep: [1, 2] }, b: { n: 2 } });
    expect(topic.state.a).toBe(a);
  });

  it('serializes a patch once: every caller of framesSince shares the same text', () => {
    const topic = new Topic('t', { initial: initial() });
    const published = topic.publish([{ op: 'replace', path: '/counter', value: 7 }])!;
    expect(JSON.parse(published.text)).toEqual(published.frame);
    expect(topic.framesSince({ epoch: topic.epoch, seq: 0 })[0]).toBe(published);
  });

  it('makes epochs that are unique and never contain a colon', () => {
    const epochs = new Set(Array.from({ length: 100 }, newEpoch));
    expect(epochs.size).toBe(100);
    for (const epoch of epochs) expect(epoch).not.toContain(':');
  });
});

describe('Hub', () => {
  it('gives all its topics one epoch and lists them with name, epoch, seq and writability', () => {
    const hub = new Hub();
    hub.defineTopic('a', { initial: { n: 0 } });
    hub.defineTopic('b', { initial: { n: 0 }, onAction: () => ({ ok: true }) });
    hub.publish('a', [{ op: 'replace', path: '/n', value: 1 }]);
    expect(hub.list()).toEqual([
      { name: 'a', epoch: hub.epoch, seq: 1, writable: false },
      { name: 'b', epoch: hub.epoch, seq: 0, writable: true },
    ]);
  });

  it('tells listeners about every publish, including ones made on the Topic directly', () => {
    const hub = new Hub();
    const topic = hub.defineTopic('a', { initial: { n: 0 } });
    const heard: number[] = [];
    const stop = hub.onPublish((_, patch) => heard.push(patch.frame.seq));
    hub.publish('a', [{ op: 'replace', path: '/n', value: 1 }]);
    topic.publish([{ op: 'replace', path: '/n', value: 2 }]);
    hub.publishState('a', { n: 2 }); // no change, no publish
    stop();
    hub.publishState('a', { n: 3 });
    expect(heard).toEqual([1, 2]);
  });

  it('applies its default history length to topics that do not set one', () => {
    const hub = new Hub({ historyLength: 2 });
    const topic = hub.defineTopic('a', { initial: { n: 0 } });
    for (let n = 1; n <= 3; n++) hub.publish('a', [{ op: 'replace', path: '/n', value: n }]);
    expect(topic.framesSince({ epoch: hub.epoch, seq: 0 })[0]!.frame.type).toBe('snapshot');
    expect(topic.framesSince({ epoch: hub.epoch, seq: 1 })).toHaveLength(2);
  });

  it('refuses bad definitions and publishes to unknown topics', () => {
    const hub = new Hub();
    hub.defineTopic('a', { initial: {} });
    expect(() => hub.defineTopic('a', { initial: {} })).toThrow(/already defined/);
    expect(() => hub.defineTopic('has space', { initial: {} })).toThrow(/invalid topic name/);
    expect(() => hub.defineTopic('w', { initial: {}, writable: true })).toThrow(/no onAction/);
    expect(() => hub.publish('nope', [])).toThrow(/unknown topic "nope"/);
  });
});
