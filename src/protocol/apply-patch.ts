import type { PatchOperation } from './patch.ts';

export type PatchResult<T> = { ok: true; doc: T } | { ok: false; error: string };

type Container = Record<string, unknown> | unknown[];
const isContainer = (value: unknown): value is Container =>
  typeof value === 'object' && value !== null;
const hasOwn = (object: object, key: string) => Object.prototype.hasOwnProperty.call(object, key);

/** Why an operation does not apply; thrown inside this module only, and turned into the result. */
class PatchRefusal extends Error {}
const refuse = (reason: string): never => {
  throw new PatchRefusal(reason);
};

/**
 * A document being patched across calls: `root` is the current result, `copies` the containers
 * this draft made (and may therefore write to). Everything else is the caller's and is only ever
 * read, so frames whose values the document now holds stay as they arrived.
 */
export interface PatchDraft {
  readonly root: unknown;
}

interface Draft extends PatchDraft {
  root: unknown;
  copies: Set<object>;
  /**
   * The pointer to the owned container the last write went through, and that container: a
   * series' appends and trims go straight to it (`appendOrTrim`). Every write sets both or clears
   * the pointer (and `parent` is read only with a pointer), so it is never a container another
   * write has since replaced or made shared.
   */
  parentPath?: string | undefined;
  parent?: Container;
  /** Values come from JSON text, which has no `undefined`: `checkValue` need not look. */
  fromJson: boolean;
}

/**
 * Applies RFC 6902 operations (JSON Pointers per RFC 6901) without touching `doc`: every
 * container on a written path is copied once, everything else is shared. Structural sharing is
 * what lets snapshot consumers (Solid's store diff, memoised selectors) skip the parts that did
 * not change. All or nothing: on any failing operation the original document stands, and the
 * error names the operation and why. Strict where the RFCs are: a member must exist to be
 * removed, replaced, tested, moved or copied; array indexes are canonical and in range; values
 * hold no `undefined`; and no pointer may reach `__proto__` or `constructor/prototype`.
 */
export function applyPatchImmutably<T>(doc: T, ops: readonly PatchOperation[]): PatchResult<T> {
  return applyToDraft(createPatchDraft(doc), ops) as PatchResult<T>;
}

/**
 * A draft of `doc` for `applyToDraft`: nothing is copied until the first write. With `fromJson`,
 * the caller promises that every operation came out of JSON text (a decoded frame), so no value
 * can hold `undefined` and values are not searched for it.
 */
export function createPatchDraft(doc: unknown, fromJson = false): PatchDraft {
  const draft: Draft = { root: doc, copies: new Set(), fromJson };
  return draft;
}

/**
 * Applies operations to a draft, with the rules of `applyPatchImmutably`: `doc` (and everything
 * the draft did not copy) is never written, and a container the draft copied in an earlier call
 * is written in place, so a series of patches copies each container once in all. The result's
 * `doc` is `draft.root`. Not all or nothing: after a refusal the draft may hold part of the
 * refused patch and must be dropped.
 */
export function applyToDraft(
  draft: PatchDraft,
  ops: readonly PatchOperation[],
): PatchResult<unknown> {
  const owned = draft as Draft;
  let i = 0;
  try {
    for (; i < ops.length; i++) applyOne(owned, ops[i]!);
  } catch (error) {
    if (!(error instanceof PatchRefusal)) throw error;
    const op = ops[i]!;
    const where = 'from' in op ? `${op.from} to ${op.path}` : op.path;
    return { ok: false, error: `operation ${i} (${op.op} ${where}): ${error.message}` };
  }
  return { ok: true, doc: owned.root };
}

function applyOne(draft: Draft, op: PatchOperation): void {
  if (appendOrTrim(draft, op)) return;
  checkPointer(op.path);
  switch (op.op) {
    case 'add':
    case 'replace':
      write(draft, op.path, op.op, draft.fromJson ? op.value : checkValue(op.value));
      return;
    case 'remove':
      write(draft, op.path, 'remove');
      return;
    case 'test':
      if (!deepEqual(valueAt(draft.root, op.path), checkValue(op.value))) refuse('test failed');
      return;
    case 'move':
      checkPointer(op.from);
      if (op.from === op.path) valueAt(draft.root, op.from);
      else if (op.path.startsWith(`${op.from}/`)) refuse('a value cannot move into itself');
      else write(draft, op.path, 'add', write(draft, op.from, 'remove'));
      return;
    case 'copy': {
      checkPointer(op.from);
      const value = valueAt(draft.root, op.from);
      // The value may be a container this call owns, and is now reachable twice: from here on,
      // nothing is owned, so the next write through either place copies first.
      draft.copies.clear();
      draft.parentPath = undefined;
      write(draft, op.path, 'add', value);
      return;
    }
    default:
      refuse('unknown operation');
  }
}

/**
 * A live series' two writes, `add <array>/-` and `remove <array>/0` on the array the last write
 * went through, without taking the pointer apart again: that array is owned and its pointer was
 * checked. Anything else (or a remove from an empty array, to be refused) takes the general path.
 */
function appendOrTrim(draft: Draft, op: PatchOperation): boolean {
  const { parent, parentPath } = draft;
  if (parentPath === undefined || !Array.isArray(parent)) return false;
  if (op.op === 'add' && op.path === `${parentPath}/-`)
    parent.push(draft.fromJson ? op.value : checkValue(op.value));
  else if (op.op === 'remove' && op.path === `${parentPath}/0` && parent.length > 0) parent.shift();
  else return false;
  return true;
}

/**
 * Performs one write on the copied parent of `path`'s last token (or on the root), and returns
 * what was there. Arrays: `add` inserts (`-` appends), `remove` takes out, `replace` overwrites;
 * objects: `add` sets, `remove` deletes, `replace` sets an existing member.
 */
function write(
  draft: Draft,
  path: string,
  kind: 'add' | 'remove' | 'replace',
  value?: unknown,
): unknown {
  if (path === '') {
    const previous = draft.root;
    draft.root = kind === 'remove' ? null : value;
    draft.parentPath = undefined;
    return previous;
  }
  const last = path.lastIndexOf('/');
  const parent = ownedParent(draft, path, last);
  const key = unescapeToken(path.slice(last + 1));
  if (Array.isArray(parent)) {
    if (kind === 'add' && key === '-') return void parent.push(value);
    const index = arrayIndex(key);
    if (index < 0) refuse('not an array index');
    if (index > (kind === 'add' ? parent.length : parent.length - 1)) refuse('index out of range');
    if (kind === 'add') return void parent.splice(index, 0, value);
    if (kind === 'remove') return parent.splice(index, 1)[0];
    const previous = parent[index];
    parent[index] = value;
    return previous;
  }
  const previous = parent[key];
  if (kind !== 'add' && !hasOwn(parent, key)) refuse('the path does not exist');
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- 'remove' deletes the member the pointer names
  if (kind === 'remove') delete parent[key];
  else parent[key] = value;
  return previous;
}

/**
 * Copies every container from the root down to the parent of the pointer's last token, unless
 * this call already owns it, and returns that parent. A JSON document's intermediate members are
 * containers or nothing: what an object inherits are functions, and a non-canonical array index
 * finds no element, so `isContainer` is the whole existence check on the way down.
 */
function ownedParent(draft: Draft, pointer: string, last: number): Container {
  const { copies } = draft;
  let parent = draft.root;
  if (!isContainer(parent)) return refuse('the document is not an object or array');
  if (!copies.has(parent)) parent = draft.root = copyOf(parent, copies);
  for (let start = 1; start <= last;) {
    const end = pointer.indexOf('/', start);
    const key = unescapeToken(pointer.slice(start, end));
    start = end + 1;
    const child = (parent as Record<string, unknown>)[key];
    if (!isContainer(child))
      refuse(
        child === undefined
          ? 'the path does not exist'
          : 'the path goes through a value that is not an object or array',
      );
    const owned = copies.has(child as object)
      ? (child as Container)
      : copyOf(child as Container, copies);
    (parent as Record<string, unknown>)[key] = owned;
    parent = owned;
  }
  draft.parentPath = pointer.slice(0, last);
  draft.parent = parent as Container;
  return parent as Container;
}

/** The value `pointer` names, which must exist (for test, copy and move). */
function valueAt(root: unknown, pointer: string): unknown {
  let value = root;
  for (let start = 1; start <= pointer.length;) {
    let end = pointer.indexOf('/', start);
    if (end < 0) end = pointer.length;
    const key = unescapeToken(pointer.slice(start, end));
    start = end + 1;
    if (!isContainer(value)) return refuse('the path does not exist');
    if (Array.isArray(value)) {
      const index = arrayIndex(key);
      if (index < 0 || index >= value.length) return refuse('the path does not exist');
      value = value[index];
    } else {
      if (!hasOwn(value, key)) return refuse('the path does not exist');
      value = value[key];
    }
  }
  return value;
}

function copyOf<C extends Container>(value: C, copies: Set<object>): C {
  const clone = (Array.isArray(value) ? value.slice() : { ...(value as object) }) as C;
  copies.add(clone);
  return clone;
}

const unescapeToken = (token: string) =>
  token.includes('~') ? token.replace(/~1/g, '/').replace(/~0/g, '~') : token;

/** The index an RFC 6901 array token names (`0` or digits without a leading zero), or -1. */
function arrayIndex(token: string): number {
  const length = token.length;
  if (length === 0 || length > 15 || (length > 1 && token.charCodeAt(0) === 48)) return -1;
  let index = 0;
  for (let i = 0; i < length; i++) {
    const digit = token.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    index = index * 10 + digit;
  }
  return index;
}

/** A pointer is empty (the whole document) or `/`-separated tokens, none of which reach a prototype. */
function checkPointer(pointer: unknown): asserts pointer is string {
  if (typeof pointer !== 'string' || (pointer !== '' && pointer.charCodeAt(0) !== 47) /* / */)
    refuse('a JSON Pointer is empty or starts with "/"');
  if ((pointer as string).includes('proto')) {
    const tokens = (pointer as string).split('/');
    for (let i = 1; i < tokens.length; i++) {
      if (
        tokens[i] === '__proto__' ||
        (tokens[i] === 'prototype' && tokens[i - 1] === 'constructor')
      )
        refuse('__proto__ and constructor/prototype are not allowed');
    }
  }
}

/** JSON has no `undefined`: a value holding one (app code may make it) is refused, not half-written. */
function checkValue(value: unknown): unknown {
  if (hasUndefined(value)) refuse('the value is missing or holds undefined');
  return value;
}

function hasUndefined(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (hasUndefined(value[i])) return true;
    return false;
  }
  // for…in with an own-key check visits what Object.keys lists without allocating its array (once per op).
  for (const key in value) {
    if (hasOwn(value, key) && hasUndefined((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}

/** JSON equality for `test`: same kind, and the same own keys (an array's are its indexes) with equal values. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length &&
    keys.every(
      (key) =>
        hasOwn(b, key) &&
        deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}
