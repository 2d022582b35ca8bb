import type { PatchOperation } from './patch.ts';

/**
 * Fields of a topic's document, named by RFC 6901 JSON Pointers, as the per-field merge of
 * actions sees them (docs/protocol.md § Merging concurrent edits). Shared by server and clients.
 */

const inside = (inner: string, outer: string) => outer === '' || inner.startsWith(`${outer}/`);

/** Two fields overlap when one is the other or lies inside it: changing `/a` changes `/a/b`, and the reverse. */
export function fieldsOverlap(a: string, b: string): boolean {
  return a === b || inside(a, b) || inside(b, a);
}

/** A JSON Pointer to a member of the document's root object (escaped per RFC 6901). */
export function memberField(key: string): string {
  return `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * The pointer a change of `path` counts against. Adding or removing an array element (a last
 * token that is an index or `-`) moves the elements after it, so it counts as a change of the
 * whole array. A numeric member name of an object counts the same way: cautious, never wrong.
 */
function shifted(path: string): string {
  const last = path.lastIndexOf('/');
  return last >= 0 && /^(?:\d+|-)$/.test(path.slice(last + 1)) ? path.slice(0, last) : path;
}

/** The fields a patch changes (a `move` changes where it takes from, too; a `test` changes nothing). */
export function changedFields(ops: readonly PatchOperation[]): string[] {
  const fields = new Set<string>();
  for (const op of ops) {
    if (op.op === 'test') continue;
    fields.add(op.op === 'replace' ? op.path : shifted(op.path));
    if (op.op === 'move') fields.add(shifted(op.from));
  }
  return [...fields];
}
