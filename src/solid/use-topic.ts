import { batch, createMemo, createSignal, onCleanup, type Accessor } from 'solid-js';
import type { SubscriptionStatus, SubscriptionView, TetherClient } from '../client/index.ts';
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
  /** Follows every change, not coalesced. */
  status: Accessor<SubscriptionStatus>;
  /** The seq of the state held (null before the first snapshot); follows every frame, not coalesced. */
  seq: Accessor<number | null>;
  /** Status, seq, `updatedAt`, staleness, error…, as of the last animation frame (like `data`). */
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
export function subscribeTopic<T = unknown>(
  client: Pick<TetherClient, 'subscribe'>,
  topic: string,
): TopicState<T> {
  const { view: source, release } = client.subscribe(topic);
  onCleanup(release);
  const read = () => source.get() as SubscriptionView<T>;

  // What renders (the data, and `updatedAt`, which the live indicator keys its pulse on) moves in
  // the frame callback, so a burst of patches is one update; status and seq, cheap to follow and
  // what logic reads, move with every change. Plain signals: the view keeps its identity while
  // nothing changed, so nothing is copied or diffed.
  const initial = read();
  const [view, setView] = createSignal(initial);
  const [status, setStatus] = createSignal(initial.status);
  const [seq, setSeq] = createSignal(initial.seq);
  const data = createMemo(() => view().data);
  const schedule = createFrameScheduler(() => setView(read));
  onCleanup(
    source.subscribe(() => {
      const next = read();
      batch(() => {
        setStatus(next.status);
        setSeq(next.seq);
      });
      schedule();
    }),
  );

  return { data, status, seq, view };
}
