import type { ViewSource } from '../view-source.ts';

/** A ViewSource whose value is set from outside: views posted by the shared hub. */
export interface MirrorView<V> extends ViewSource<V> {
  set(view: V): void;
}

export function mirrorView<V>(initial: V): MirrorView<V> {
  let view = initial;
  const listeners = new Set<() => void>();
  return {
    get: () => view,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      view = next;
      for (const listener of [...listeners]) listener();
    },
  };
}
