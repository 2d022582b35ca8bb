import { createMemo, createSignal, on, createEffect, onCleanup, type Accessor } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import { subscriptionView, type SubscriptionView, type TetherClient } from '../client/index.ts';
import { createFrameScheduler } from './frame.ts';

export interface Topic<T> {
  /** Status, seq, staleness…: follows every snapshot (these change rarely). */
  view: Accessor<Omit<SubscriptionView<T>, 'data'>>;
  /**
   * The topic's data, changed at most once per animation frame. It is the client's own immutable
   * document, not a store copy, so a new reference means new data and `===` is a cheap change check.
   */
  data: Accessor<T | undefined>;
}

/**
 * Mounts a subscription for the lifetime of the calling component: `client.subscribe` on creation,
 * `release` on cleanup (the client reference-counts topics, so the last release unsubscribes).
 */
export function useTopic<T>(client: Pick<TetherClient, 'subscribe'>, topic: string): Topic<T> {
  const { ref, release } = client.subscribe(topic);
  onCleanup(release);

  const snapshot = fromActorRef(ref);
  const view = createMemo(() => subscriptionView(snapshot()) as SubscriptionView<T>);

  // The reactive snapshot is a Solid store copy; read the data from the actor itself so it keeps
  // its identity, and only in the frame callback, so a burst of patches becomes one update.
  const current = () => subscriptionView(ref.getSnapshot()).data as T | undefined;
  const [data, setData] = createSignal<T | undefined>(current());
  const schedule = createFrameScheduler(() => setData(() => current()));
  // Every data change moves seq/updatedAt, which the view reads, so this runs on each one.
  createEffect(on(view, schedule, { defer: true }));

  return { view, data };
}
