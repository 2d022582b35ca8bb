import { createSignal, onCleanup, type Accessor } from 'solid-js';
import type { ViewSource } from '../client/index.ts';

/**
 * A view source as a Solid accessor, for the lifetime of the calling owner. The source hands out
 * the same object until something changed, so the signal's `===` check lets an unchanged view
 * wake nobody; there is no store and no diffing.
 */
export function fromViewSource<V>(source: ViewSource<V>): Accessor<V> {
  const [view, setView] = createSignal(source.get());
  onCleanup(source.subscribe(() => setView(() => source.get())));
  return view;
}
