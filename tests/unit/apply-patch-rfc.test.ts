import fc from 'fast-check';
// fast-json-patch's ES build is the reference: in strict mode it refuses to set a property on a
// primitive, where the CommonJS build silently does nothing.
import { applyOperation, deepClone } from 'fast-json-patch/module/core.mjs';
import type { Operation } from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchOperation } from '../../src/protocol/index.ts';

type Outcome = { ok: true; doc: unknown } | { ok: false };

const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);
const unescape = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');
const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * Whether every token of `pointer` names what RFC 6901 lets it name in `doc`: an own member of an
 * object, a canonical index of an array that exists (or, for the target of an add-like operation,
 * the end of the array or `-`, or a new member of an object as the last token).
 */
function resolvesStrictly(doc: unknown, pointer: string, target: boolean): boolean {
  if (pointer === '') return true;
  const tokens = pointer.slice(1).split('/').map(unescape);
  let value = doc;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const last = i === tokens.length - 1;
    if (typeof value !== 'object' || value === null) return false;
    if (Array.isArray(value)) {
      if (last && target && token === '-') return true;
      if (!CANONICAL_INDEX.test(token)) return false;
      const index = Number(token);
      if (index > value.length || (index === value.length && !(last && target))) return false;
      value = value[index];
    } else {
      if (!hasOwn(value, token)) return last && target;
      value = (value as Record<string, unknown>)[token];
    }
  }
  return true;
}

/**
 * The reference outcome: fast-json-patch applying the operations one by one with its validation
 * and its prototype ban, on a deep copy, after the RFC checks it leaves out itself: members must be
 * the object's own (it accepts inherited names such as `toString`), array indexes canonical (it
 * reads `01` as 1), and a copy's target in range (it appends past the end). A move is what RFC 6902
 * defines it to be, a remove and then an add of the removed value, never into the value's own
 * children (fast-json-patch resolves the target before removing, and checks no range).
 */
function reference(doc: unknown, ops: readonly PatchOperation[]): Outcome {
  let current = deepClone(doc) as unknown;
  const apply = (op: Operation) => {
    current = applyOperation(current, structuredClone(op), true, true).newDocument;
  };
  try {
    for (const op of ops) {
      if (op.op === 'move') {
        if (!resolvesStrictly(current, op.from, false)) return { ok: false };
        if (op.path.startsWith(`${op.from}/`)) return { ok: false };
        const value = applyOperation(current, { op: 'remove', path: op.from }, true, true);
        current = value.newDocument;
        if (!resolvesStrictly(current, op.path, true)) return { ok: false };
        apply({ op: 'add', path: op.path, value: value.removed as unknown });
        continue;
      }
      if (op.op === 'copy' && !resolvesStrictly(current, op.from, false)) return { ok: false };
      const target = op.op === 'add' || op.op === 'copy';
      if (!resolvesStrictly(current, op.path, target)) return { ok: false };
      apply(op as Operation);
    }
  } catch {
    return { ok: false };
  }
  return { ok: true, doc: current };
}

function agreesWithReference(document: unknown, operations: readonly PatchOperation[]) {
  const before = JSON.stringify(document);
  const ours = applyPatchImmutably(document, operations);
  const theirs = reference(document, operations);
  expect(JSON.stringify(document)).toBe(before);
  expect(ours.ok).toBe(theirs.ok);
  if (ours.ok && theirs.ok) expect(ours.doc).toEqual(theirs.doc);
  if (!ours.ok) expect(ours.error).toMatch(/^operation \d+ \(\w+ .*\): \S/);
}

// Escaped tokens, inherited names, prototype names; objects with Object's prototype, as JSON.parse makes them.
const NAMES = [
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
];
const key = fc.constantFrom(...NAMES);
const small = fc.integer({ min: 0, max: 3 });
const leaf = fc.oneof(small, fc.constant(null), fc.constantFrom('s', ''));
const { doc } = fc.letrec<{ doc: unknown; node: unknown }>((tie) => ({
  doc: fc.oneof(
    {
      weight: 5,
      arbitrary: fc.dictionary(key, tie('node'), { noNullPrototype: true, maxKeys: 5 }),
    },
    { weight: 2, arbitrary: fc.array(tie('node'), { maxLength: 4 }) },
    { weight: 1, arbitrary: leaf },
  ),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('node'), { maxLength: 3 }),
    fc.dictionary(key, tie('node'), { noNullPrototype: true, maxKeys: 3 }),
  ),
}));
const token = fc.constantFrom(...NAMES, '-', '0', '1', '2', '3', '01', '-1', '1.0');
const pointer = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  {
    weight: 8,
    arbitrary: fc.array(token, { minLength: 1, maxLength: 3 }).map((t) => `/${t.join('/')}`),
  },
);
// Small values, so that `test` sometimes finds what it compares with; some hold undefined.
const value = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 2, arbitrary: fc.array(small, { maxLength: 2 }) },
  {
    weight: 2,
    arbitrary: fc.dictionary(fc.constantFrom('a', 'b'), small, { noNullPrototype: true }),
  },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.record({ v: fc.constant(undefined) }, { noNullPrototype: true }) },
);
const operation: fc.Arbitrary<PatchOperation> = fc.oneof(
  fc.record({
    op: fc.constantFrom('add' as const, 'replace' as const, 'test' as const),
    path: pointer,
    value,
  }),
  fc.record({ op: fc.constant('remove' as const), path: pointer }),
  fc.record({
    op: fc.constantFrom('move' as const, 'copy' as const),
    from: pointer,
    path: pointer,
  }),
);

/** Follows `pointer`'s own members (no checks: the pointer comes from pointersOf). */
const valueAtPointer = (document: unknown, pointer: string): unknown =>
  pointer
    .slice(1)
    .split('/')
    .map(unescape)
    .reduce((value, token) => (value as Record<string, unknown>)[token], document);

/** The pointers a document really has (escaped), so that operations often find their target. */
function pointersOf(value: unknown, prefix = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const keys = Array.isArray(value) ? value.map((_, i) => String(i)) : Object.keys(value);
  return keys.flatMap((k) => {
    const here = `${prefix}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return [here, ...pointersOf((value as Record<string, unknown>)[k], here)];
  });
}

describe('applyPatchImmutably against fast-json-patch and RFC 6902/6901', () => {
  it('agrees on random documents and operations (all six, escapes, indexes, prototypes, undefined)', () => {
    fc.assert(
      fc.property(doc, fc.array(operation, { minLength: 1, maxLength: 3 }), agreesWithReference),
      { numRuns: 4000 },
    );
  });

  it('agrees on operations aimed at the paths the document has', () => {
    const docAndOps = doc.chain((document) => {
      const real = pointersOf(document);
      // Mostly pointers that exist (one op in a patch failing fails the patch), and the end or
      // start of a container below one.
      const target = real.length
        ? fc.oneof(
            { weight: 6, arbitrary: fc.constantFrom(...real) },
            { weight: 1, arbitrary: fc.constantFrom(...real).map((p) => `${p}/-`) },
            { weight: 1, arbitrary: fc.constantFrom(...real).map((p) => `${p}/0`) },
            { weight: 1, arbitrary: fc.constantFrom(...real).map((p) => `${p}/1`) },
            { weight: 1, arbitrary: pointer },
          )
        : pointer;
      const value = fc.oneof(
        { weight: 8, arbitrary: leaf },
        { weight: 2, arbitrary: fc.array(small, { maxLength: 2 }) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      );
      const op: fc.Arbitrary<PatchOperation> = fc.oneof(
        fc.record({
          op: fc.constantFrom('add' as const, 'replace' as const),
          path: target,
          value,
        }),
        fc.record({ op: fc.constant('remove' as const), path: target }),
        fc.record({
          op: fc.constantFrom('move' as const, 'copy' as const),
          from: target,
          path: target,
        }),
        // `test` with the value that is there, so that it passes and the patch goes on.
        ...(real.length
          ? [
              fc.constantFrom(...real).map((path): PatchOperation => ({
                op: 'test',
                path,
                value: structuredClone(valueAtPointer(document, path)),
              })),
            ]
          : []),
      );
      return fc.tuple(fc.constant(document), fc.array(op, { minLength: 1, maxLength: 4 }));
    });
    fc.assert(
      fc.property(docAndOps, ([document, operations]) => agreesWithReference(document, operations)),
      { numRuns: 4000 },
    );
  });
});
