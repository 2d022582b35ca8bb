import { describe, expect, it } from 'vitest';
import { applyPatchImmutably, applyToDraft, createPatchDraft } from '../../src/protocol/index.ts';
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

  it('applies move, copy, test and insertion at an index as RFC 6902 defines them', () => {
    const doc = { list: [1, 2, 3], from: { x: 1 }, to: {} };
    const result = applyPatchImmutably(doc, [
      { op: 'add', path: '/list/1', value: 9 },
      { op: 'move', from: '/list/0', path: '/list/3' },
      { op: 'copy', from: '/from', path: '/to/copied' },
      { op: 'move', from: '/from/x', path: '/to/moved' },
      { op: 'test', path: '/to', value: { copied: { x: 1 }, moved: 1 } },
      { op: 'add', path: '/list/4', value: 0 },
    ]);
    expect(result).toEqual({
      ok: true,
      doc: { list: [9, 2, 3, 1, 0], from: {}, to: { copied: { x: 1 }, moved: 1 } },
    });
    expect(doc).toEqual({ list: [1, 2, 3], from: { x: 1 }, to: {} });
  });

  it('keeps a copied value apart from its source when either is written later', () => {
    const result = applyPatchImmutably({ a: { n: 1 } }, [
      { op: 'add', path: '/a/m', value: 2 }, // /a is now this call's own copy
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'add', path: '/a/k', value: 3 },
      { op: 'copy', from: '', path: '/whole' },
      { op: 'remove', path: '/b/n' },
    ]);
    expect(result).toEqual({
      ok: true,
      doc: {
        a: { n: 1, m: 2, k: 3 },
        b: { m: 2 },
        whole: { a: { n: 1, m: 2, k: 3 }, b: { n: 1, m: 2 } },
      },
    });
  });

  it('returns the document itself for a patch that writes nothing', () => {
    const doc = { a: [1] };
    expect(applyPatchImmutably(doc, [])).toEqual({ ok: true, doc });
    const tested = applyPatchImmutably(doc, [{ op: 'test', path: '/a/0', value: 1 }]);
    expect(tested.ok && tested.doc).toBe(doc);
  });

  it.each([
    [{ op: 'add', path: '/list/01', value: 1 }, 'not an array index'],
    [{ op: 'add', path: '/list/3', value: 1 }, 'index out of range'],
    [{ op: 'remove', path: '/list/2' }, 'index out of range'],
    [{ op: 'replace', path: '/list/-', value: 1 }, 'not an array index'],
    [{ op: 'remove', path: '/toString' }, 'the path does not exist'],
    [{ op: 'replace', path: '/missing', value: 1 }, 'the path does not exist'],
    [{ op: 'add', path: '/missing/a', value: 1 }, 'the path does not exist'],
    [{ op: 'add', path: '/n/a', value: 1 }, 'not an object or array'],
    [{ op: 'add', path: '/a', value: { v: undefined } }, 'holds undefined'],
    [{ op: 'test', path: '/n', value: 2 }, 'test failed'],
    [{ op: 'test', path: '/list/01', value: 1 }, 'the path does not exist'],
    [{ op: 'copy', from: '/missing', path: '/a' }, 'the path does not exist'],
    [{ op: 'move', from: '/obj', path: '/obj/inner' }, 'cannot move into itself'],
    [{ op: 'add', path: 'n', value: 1 }, 'starts with "/"'],
    [{ op: 'add', path: '/constructor/prototype/x', value: 1 }, '__proto__'],
    [{ op: 'copy', from: '/__proto__', path: '/x' }, '__proto__'],
    [{ op: 'nope', path: '/n' }, 'unknown operation'],
  ])('refuses %j with a message that names the operation and the reason', (op, reason) => {
    const doc = { list: [1, 2], n: 1, obj: {} };
    const result = applyPatchImmutably(doc, [
      { op: 'replace', path: '/n', value: 1 },
      op as PatchOperation,
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toMatch(/^operation 1 \(\w+ [^)]*\): /);
    expect(result.error).toContain(reason);
  });
});

describe('applyToDraft', () => {
  it('writes in place what the draft copied earlier, and never what it did not copy', () => {
    const doc = { cpu: { samples: [1, 2] }, memory: { total: 8 } };
    const frozen = JSON.stringify(doc);
    const draft = createPatchDraft(doc);
    const added = { t: 3 };
    expect(applyToDraft(draft, [{ op: 'add', path: '/cpu/samples/-', value: added }]).ok).toBe(
      true,
    );
    const root = draft.root as typeof doc;
    const samples = root.cpu.samples;
    expect(applyToDraft(draft, [{ op: 'remove', path: '/cpu/samples/0' }])).toEqual({
      ok: true,
      doc: { cpu: { samples: [2, { t: 3 }] }, memory: { total: 8 } },
    });
    // The second patch wrote the copies the first made; the caller's document and the added value are untouched.
    expect(draft.root).toBe(root);
    expect(root.cpu.samples).toBe(samples);
    expect(root.memory).toBe(doc.memory);
    expect(JSON.stringify(doc)).toBe(frozen);
    expect(applyToDraft(draft, [{ op: 'add', path: '/cpu/samples/1/u', value: 4 }]).ok).toBe(true);
    expect(added).toEqual({ t: 3 });
    expect((draft.root as typeof doc).cpu.samples[1]).toEqual({ t: 3, u: 4 });
  });

  it('writes through the container a path names now, after a write replaced or copied it', () => {
    const draft = createPatchDraft({ a: { list: [1] } });
    const ops = (...list: PatchOperation[]) => expect(applyToDraft(draft, list).ok).toBe(true);
    ops({ op: 'add', path: '/a/list/-', value: 2 });
    ops({ op: 'replace', path: '/a', value: { list: [] } });
    ops({ op: 'add', path: '/a/list/-', value: 3 });
    ops({ op: 'copy', from: '/a', path: '/b' });
    ops({ op: 'add', path: '/a/list/-', value: 4 });
    expect(draft.root).toEqual({ a: { list: [3, 4] }, b: { list: [3] } });
  });

  it('appends to and trims the array the last write went through with the same checks as any write', () => {
    const draft = createPatchDraft({ s: [1], t: [] });
    const apply = (...list: PatchOperation[]) => applyToDraft(draft, list);
    expect(apply({ op: 'add', path: '/s/-', value: 2 }, { op: 'remove', path: '/s/0' })).toEqual({
      ok: true,
      doc: { s: [2], t: [] },
    });
    // Not from JSON text: a value holding undefined is refused on this path too.
    expect(apply({ op: 'add', path: '/s/-', value: { x: undefined } })).toMatchObject({
      ok: false,
      error: expect.stringContaining('holds undefined'),
    });
    const trimmed = createPatchDraft({ s: [1] });
    expect(
      applyToDraft(trimmed, [
        { op: 'remove', path: '/s/0' },
        { op: 'remove', path: '/s/0' },
      ]),
    ).toEqual({ ok: false, error: 'operation 1 (remove /s/0): index out of range' });
    // A sibling whose name starts like the last parent's is its own array.
    const siblings = createPatchDraft({ s: [1], s0: [] });
    applyToDraft(siblings, [{ op: 'add', path: '/s/-', value: 2 }]);
    applyToDraft(siblings, [{ op: 'add', path: '/s0/-', value: 3 }]);
    expect(siblings.root).toEqual({ s: [1, 2], s0: [3] });
  });

  it('is not all or nothing: a refusal reports the operation after the earlier ones were written', () => {
    const draft = createPatchDraft({ a: 1 });
    const result = applyToDraft(draft, [
      { op: 'replace', path: '/a', value: 2 },
      { op: 'remove', path: '/missing' },
    ]);
    expect(result).toEqual({
      ok: false,
      error: 'operation 1 (remove /missing): the path does not exist',
    });
    expect(draft.root).toEqual({ a: 2 }); // why a refused draft is dropped
  });
});
