// Default import: fast-json-patch is CommonJS, and Node (unlike bundlers) sees no named exports in it.
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { PatchOperation } from './patch.ts';

const { applyOperation } = jsonpatch;

export type PatchResult<T> = { ok: true; doc: T } | { ok: false; error: string };

type Container = Record<string, unknown> | unknown[];
const isContainer = (value: unknown): value is Container => typeof value === 'object' && value !== null;

const unescapeToken = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

/**
 * Applies RFC 6902 operations without touching `doc`: every container on a written path is copied
 * once, everything else is shared. Structural sharing is what lets snapshot consumers (Solid's
 * store diff, memoised selectors) skip the parts that did not change. fast-json-patch does the
 * operation semantics; this function only decides what to copy. All or nothing: on any failing
 * operation the original document stands.
 */
export function applyPatchImmutably<T>(doc: T, ops: readonly PatchOperation[]): PatchResult<T> {
  const copies = new WeakSet<object>();
  const copy = <C extends Container>(value: C): C => {
    const clone = (Array.isArray(value) ? value.slice() : { ...value }) as C;
    copies.add(clone);
    return clone;
  };
  let root: unknown = isContainer(doc) ? copy(doc) : doc;

  // Copy every container from the root down to the parent of the pointer's last token.
  const copyPath = (pointer: string) => {
    if (!isContainer(root)) return;
    const tokens = pointer.split('/').slice(1, -1);
    let parent: Container = root;
    for (const raw of tokens) {
      const key = unescapeToken(raw);
      const child = (parent as Record<string, unknown>)[key];
      if (!isContainer(child)) return; // the library will report the bad path
      const owned = copies.has(child) ? child : copy(child);
      (parent as Record<string, unknown>)[key] = owned;
      parent = owned;
    }
  };

  try {
    for (const op of ops) {
      copyPath(op.path);
      if (op.op === 'move') copyPath(op.from);
      root = applyOperation(root, op as Operation, true, true).newDocument;
    }
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
  }
  return { ok: true, doc: root as T };
}
