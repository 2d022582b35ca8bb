import fc from 'fast-check';
// The same ES module the applier uses: in strict mode it refuses to set a property on a primitive,
// where the CommonJS build silently does nothing.
import { applyPatch, deepClone } from 'fast-json-patch/module/core.mjs';
import { describe, expect, it } from 'vitest';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';

describe('applyPatchImmutably', () => {
  it('shares every subtree the patch does not touch and never mutates its input', () => {
    const doc = { cpu: { samples: [{ t: 1 }, { t: 2 }] }, memory: { total: 8 } };
    const frozen = JSON.stringify(doc);
    const result = applyPatchImmutably(doc, [
      { op: 'add', path: '/cpu/samples/-', value: { t: 3 } },
      { op: 'remove', path: '/cpu/samples/0' },
    ]);
    expect(result).toEqual({
      ok: true,
      doc: { cpu: { samples: [{ t: 2 }, { t: 3 }] }, memory: { total: 8 } },
    });
    expect(JSON.stringify(doc)).toBe(frozen);
    if (!result.ok) return;
    expect(result.doc.memory).toBe(doc.memory);
    expect(result.doc.cpu.samples[0]).toBe(doc.cpu.samples[1]);
    expect(result.doc.cpu).not.toBe(doc.cpu);
  });

  it('is all or nothing: a failing operation leaves no trace', () => {
    const doc = { a: 1, list: [1] };
    const result = applyPatchImmutably(doc, [
      { op: 'replace', path: '/a', value: 2 },
      { op: 'remove', path: '/missing' },
    ]);
    expect(result.ok).toBe(false);
    expect(doc).toEqual({ a: 1, list: [1] });
    expect(applyPatchImmutably(doc, [{ op: 'test', path: '/a', value: 5 }]).ok).toBe(false);
  });

  it('refuses to touch the prototype chain', () => {
    const result = applyPatchImmutably({}, [
      { op: 'add', path: '/__proto__/polluted', value: true },
    ]);
    expect(result.ok).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('gives the same result as fast-json-patch applied to a deep copy', () => {
    // Generate a document and operations that address paths it really has.
    const doc = fc.dictionary(
      fc.constantFrom('a', 'b', 'c'),
      fc.oneof(
        fc.integer(),
        fc.array(fc.integer(), { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('x', 'y'), fc.integer()),
      ),
    );
    const ops = fc.array(
      fc.oneof(
        fc.record({
          op: fc.constant('add' as const),
          path: fc.constantFrom('/a', '/b/x', '/c/-', '/a/0', '/d'),
          value: fc.integer(),
        }),
        fc.record({
          op: fc.constant('remove' as const),
          path: fc.constantFrom('/a', '/b/x', '/c/0', '/b'),
        }),
        fc.record({
          op: fc.constant('replace' as const),
          path: fc.constantFrom('/a', '/b/y', '/c/1'),
          value: fc.integer(),
        }),
        fc.record({
          op: fc.constant('move' as const),
          from: fc.constantFrom('/a', '/b/x', '/c/0'),
          path: fc.constantFrom('/d', '/b/z', '/c/-'),
        }),
        fc.record({
          op: fc.constant('copy' as const),
          from: fc.constantFrom('/a', '/b'),
          path: fc.constantFrom('/e', '/c/0'),
        }),
      ),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(doc, ops, (document, operations) => {
        const before = JSON.stringify(document);
        const ours = applyPatchImmutably(document, operations as PatchOperation[]);
        let theirs: { ok: true; doc: unknown } | { ok: false };
        try {
          theirs = {
            ok: true,
            doc: applyPatch(deepClone(document), deepClone(operations), true, true).newDocument,
          };
        } catch {
          theirs = { ok: false };
        }
        expect(JSON.stringify(document)).toBe(before);
        expect(ours.ok).toBe(theirs.ok);
        if (ours.ok && theirs.ok) expect(ours.doc).toEqual(theirs.doc);
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with fast-json-patch on the edge cases of the operations it applies itself', () => {
    // Escaped tokens, non-canonical and out-of-range indexes, inherited names, values holding undefined.
    // Objects with Object's prototype, as JSON.parse makes them (a copy of a null-prototype object would not be one).
    const key = fc.constantFrom(
      'a',
      'b',
      'c',
      'a~1b',
      'x~0y',
      '',
      'toString',
      'constructor',
      '__proto__',
      'prototype',
    );
    const doc = fc.dictionary(
      key,
      fc.oneof(
        fc.integer(),
        fc.array(fc.integer(), { maxLength: 3 }),
        fc.dictionary(key, fc.integer(), { noNullPrototype: true }),
      ),
      { noNullPrototype: true },
    );
    const path = fc.constantFrom(
      '/a',
      '/b',
      '/c',
      '/a~1b',
      '/x~0y',
      '/',
      '/toString',
      '/c/-',
      '/c/0',
      '/c/01',
      '/c/1',
      '/c/3',
      '/c/-1',
      '/b/a',
      '/b/toString',
      '/b/__proto__',
      '/__proto__/a',
      '/constructor/prototype',
      '/prototype',
      '/b/a~1b',
      '/missing/a',
      '',
    );
    const value = fc.oneof(
      fc.integer(),
      fc.constant(undefined),
      fc.record({ v: fc.oneof(fc.integer(), fc.constant(undefined)) }, { noNullPrototype: true }),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    const ops = fc.array(
      fc.oneof(
        fc.record({ op: fc.constantFrom('add' as const, 'replace' as const), path, value }),
        fc.record({ op: fc.constant('remove' as const), path }),
      ),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(doc, ops, (document, operations) => {
        const before = JSON.stringify(document);
        const ours = applyPatchImmutably(document, operations as PatchOperation[]);
        let theirs: { ok: true; doc: unknown } | { ok: false };
        try {
          theirs = {
            ok: true,
            doc: applyPatch(
              deepClone(document),
              operations.map((op) => ({ ...op })),
              true,
              true,
            ).newDocument,
          };
        } catch {
          theirs = { ok: false };
        }
        expect(JSON.stringify(document)).toBe(before);
        expect(ours.ok).toBe(theirs.ok);
        if (ours.ok && theirs.ok) expect(ours.doc).toEqual(theirs.doc);
      }),
      { numRuns: 3000 },
    );
  });
});
