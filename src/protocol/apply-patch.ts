// The ES module of fast-json-patch's core: Node loads it as ESM (the package root is CommonJS,
// whose named exports Node cannot see), and a client bundle leaves out the library's diffing half.
import { applyOperation } from 'fast-json-patch/module/core.mjs';
import type { Operation } from 'fast-json-patch';
import type { PatchOperation } from './patch.ts';

export type PatchResult<T> = { ok: true; doc: T } | { ok: false; error: string };

type Container = Record<string, unknown> | unknown[];
const isContainer = (value: unknown): value is Container =>
  typeof value === 'object' && value !== null;

const unescapeToken = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * Applies RFC 6902 operations without touching `doc`: every container on a written path is copied
 * once, everything else is shared. Structural sharing is what lets snapshot consumers (Solid's
 * store diff, memoised selectors) skip the parts that did not change. fast-json-patch defines the
 * operation semantics (the common operations are applied here with its exact checks, the rest by
 * it); this function decides what to copy. All or nothing: on any failing operation the original
 * document stands.
 */
export function applyPatchImmutably<T>(doc: T, ops: readonly PatchOperation[]): PatchResult<T> {
  // Containers this call has copied (and may therefore write to). Module-level helpers, not
  // closures: this runs for every patch frame on both sides, so it allocates as little as it can.
  const copies = new Set<object>();
  let root: unknown = isContainer(doc) ? copyOf(doc, copies) : doc;
  try {
    for (const op of ops) {
      if (isContainer(root)) {
        const parent = copyPath(root, op.path, copies);
        if (op.op === 'move') copyPath(root, op.from, copies);
        if (parent !== null && applyInPlace(parent, op)) continue;
      }
      root = applyOperation(root, op as Operation, true, true).newDocument;
    }
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? error.message.split('\n')[0]! : String(error),
    };
  }
  return { ok: true, doc: root as T };
}

function copyOf<C extends Container>(value: C, copies: Set<object>): C {
  const clone = (Array.isArray(value) ? value.slice() : { ...(value as object) }) as C;
  copies.add(clone);
  return clone;
}

/**
 * Copies every container from the root down to the parent of the pointer's last token, and
 * returns that parent; null when the walk does not get there (the library will report why).
 */
function copyPath(root: Container, pointer: string, copies: Set<object>): Container | null {
  if (pointer.charCodeAt(0) !== 47 /* '/' */) return null; // '' (the root) or invalid
  const last = pointer.lastIndexOf('/');
  let parent: Container = root;
  for (let start = 1; start <= last;) {
    const end = pointer.indexOf('/', start);
    const raw = pointer.slice(start, end);
    start = end + 1;
    const key = raw.includes('~') ? unescapeToken(raw) : raw;
    const child = (parent as Record<string, unknown>)[key];
    if (!isContainer(child)) return null;
    const owned = copies.has(child) ? child : copyOf(child, copies);
    (parent as Record<string, unknown>)[key] = owned;
    parent = owned;
  }
  return parent;
}

const CANONICAL_INDEX = /^(?:0|[1-9]\d*)$/;

/**
 * The operations every metric stream is made of (add to an object or append to an array, remove,
 * replace an existing member), applied to the already copied parent with exactly the checks
 * fast-json-patch makes for them; false hands the operation to the library (anything else: move,
 * copy, test, insertion at an index, a missing member, a pointer naming __proto__ or prototype).
 * tests/unit/apply-patch.test.ts checks both paths against fast-json-patch itself.
 */
function applyInPlace(parent: Container, op: PatchOperation): boolean {
  if (op.op !== 'add' && op.op !== 'remove' && op.op !== 'replace') return false;
  if (op.path.includes('proto')) return false; // the library refuses __proto__ and constructor/prototype
  if (op.op !== 'remove' && hasUndefined(op.value)) return false;
  const raw = op.path.slice(op.path.lastIndexOf('/') + 1);
  const key = raw.includes('~') ? unescapeToken(raw) : raw;
  if (Array.isArray(parent)) {
    if (op.op === 'add') {
      if (key !== '-') return false; // an index: the library checks the bounds
      parent.push(op.value);
      return true;
    }
    if (!CANONICAL_INDEX.test(key) || parent[Number(key)] === undefined) return false;
    if (op.op === 'remove') parent.splice(Number(key), 1);
    else parent[Number(key)] = op.value;
    return true;
  }
  const object = parent;
  if (op.op === 'add') object[key] = op.value;
  else if (object[key] === undefined)
    return false; // not there: the library reports it
  else if (op.op === 'replace') object[key] = op.value;
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- 'remove' deletes the key the op names
  else delete object[key];
  return true;
}

/** fast-json-patch's rule for `value`: no `undefined` anywhere inside (JSON has none; app code may). */
function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasUndefined(value[i])) return true;
    return false;
  }
  // for…in with an own-key check visits what Object.keys lists without allocating its array (once per op).
  for (const key in value) {
    if (
      Object.prototype.hasOwnProperty.call(value, key) &&
      hasUndefined((value as Record<string, unknown>)[key])
    )
      return true;
  }
  return false;
}
