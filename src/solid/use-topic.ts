import { createEffect, createMemo, createSignal, on, onCleanup, type Accessor } from 'solid-js';
import { fromActorRef } from '@xstate/solid';
import { subscriptionView, type SubscriptionStatus, type SubscriptionView, type TetherClient } from '../client/index.ts';
import { useTetherClient } from './context.ts';
import { createFrameScheduler } from './frame.ts';

/** Everything about a subscription except its data: status, position, staleness, error. */
export type TopicView<T = unknown> = Omit<SubscriptionView<T>, 'data'>;

export interface TopicState<T> {
  /**
   * The topic's data, changed at most once per animation frame. It is the client's own immutable
   * document, not a store copy, so a new reference means new data and `===` is a cheap change check.
   * `undefined` until the first snapshot.
   */
  data: Accessor<T | undefined>;
  status: Accessor<SubscriptionStatus>;
  /** The seq of the state held (null before the first snapshot); follows every frame, not coalesced. */
  seq: Accessor<number | null>;
  /** Status, seq, staleness, error…: follows every snapshot (these change rarely). */
  view: Accessor<TopicView<T>>;
}

/**
 * Subscribes to `topic` for the lifetime of the calling component, through the client of the
 * nearest <TetherProvider>: the subscription starts when the component is created and is released
 * on cleanup (the client counts holders per topic; the last release unsubscribes and stops the
 * subscription actor). The name is read once: to follow another topic, remount (e.g. `<Show keyed>`).
 * Untyped: `T` is the caller's word for the data's shape. `createTetherHooks<Topics>()` checks it.
 */
export function useTopic<T = unknown>(topic: string): TopicState<T> {
  return subscribeTopic<T>(useTetherClient(), topic);
}

/** useTopic with an explicit client, for code outside a <TetherProvider>. Must run inside a reactive owner. */
export function subscribeTopic<T = unknown>(client: Pick<TetherClient, 'subscribe'>, topic: string): TopicState<T> {
  const { ref, release } = client.subscribe(topic);
  onCleanup(release);

  const snapshot = fromActorRef(ref);
  const view = createMemo(() => subscriptionView(snapshot()) as SubscriptionView<T>);
  const status = createMemo(() => view().status);
  const seq = createMemo(() => view().seq);

  // The reactive snapshot is a Solid store copy; read the data from the actor itself so it keeps
  // its identity, and only in the frame callback, so a burst of patches becomes one update.
  const current = () => subscriptionView(ref.getSnapshot()).data as T | undefined;
  const [data, setData] = createSignal<T | undefined>(current());
  const schedule = createFrameScheduler(() => setData(() => current()));
  // Every data change moves seq/updatedAt, which the view reads, so this runs on each one.
  createEffect(on(view, schedule, { defer: true }));

  return { data, status, seq, view };
}
