/**
 * A value a UI can read and follow without knowing where it is computed: in this tab from an
 * actor's snapshots (below), or in another tab that shares one client (cross-tab sharing).
 */
export interface ViewSource<V> {
  /** The current view; the same object until something changed. */
  get(): V;
  /** `listener` runs after each change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** What `snapshotViews` needs of an actor: its current snapshot and a way to hear about new ones. */
export interface SnapshotSource<S> {
  getSnapshot(): S;
  subscribe(observer: () => void): { unsubscribe(): void };
}

/**
 * A ViewSource over an actor. A view is derived only when read (or, while someone listens, once
 * per new snapshot, to tell whether to notify), at most once per snapshot, and a derived view
 * equal to the previous one (`same`) is dropped, so `get()` keeps its identity and listeners hear
 * only real changes: a connection snapshot changes with every frame, its view rarely.
 */
export function snapshotViews<S, V>(
  actor: SnapshotSource<S>,
  toView: (snapshot: S) => V,
  same: (a: V, b: V) => boolean = shallowEqual,
): ViewSource<V> {
  let snapshot = actor.getSnapshot();
  let view = toView(snapshot);
  const listeners = new Set<() => void>();
  let observation: { unsubscribe(): void } | null = null;

  /** Brings `view` up to the actor's snapshot; true when it changed. */
  const refresh = (): boolean => {
    const next = actor.getSnapshot();
    if (next === snapshot) return false;
    snapshot = next;
    const candidate = toView(next);
    if (same(candidate, view)) return false;
    view = candidate;
    return true;
  };
  const notify = () => {
    if (!refresh()) return;
    for (const listener of [...listeners]) listener();
  };

  return {
    get() {
      refresh();
      return view;
    },
    subscribe(listener) {
      listeners.add(listener);
      observation ??= actor.subscribe(notify);
      return () => {
        listeners.delete(listener);
        if (listeners.size > 0 || !observation) return;
        observation.unsubscribe();
        observation = null;
      };
    },
  };
}

/** Same keys, and each value `===` (views are flat apart from immutable data and error objects). */
export function shallowEqual<V>(a: V, b: V): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  // Runs on every snapshot of every followed actor: no key arrays, and out at the first difference
  // (a subscription's view differs at `data`, its third key).
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!hasOwn.call(x, key)) continue;
    if (!hasOwn.call(y, key) || x[key] !== y[key]) return false;
    keys++;
  }
  for (const key in y) if (hasOwn.call(y, key)) keys--;
  return keys === 0;
}
const hasOwn = Object.prototype.hasOwnProperty;
