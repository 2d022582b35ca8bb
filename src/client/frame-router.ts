import type { ActorRefFrom } from 'xstate';
import type { AppliedEvent, SubscriptionMachine } from '../../machines/subscription.ts';
import type { TopicFrame } from '../../machines/wire.ts';

/** Hands one batch's topic frames to their subscriptions (what the transports call). */
export type DeliverTopicFrames = (topics: ReadonlyMap<string, TopicFrame[]>) => void;

export type AppliedListener = (event: AppliedEvent) => void;

export interface FrameRouter {
  deliver: DeliverTopicFrames;
  /** Hears every batch that applied something, with the positions applied and the whole batch. */
  onApplied(listener: AppliedListener): () => void;
}

/**
 * The data path from the transports to the subscriptions, in plain code: each topic's frames go to
 * its subscription actor as one `FRAMES` event, which it handles with `assign` alone. Nothing
 * between the socket and the fold is an actor event handled by another action, so xstate keeps
 * no reference to a batch once it is folded (docs/architecture.md, "Frames and the statecharts").
 * Frames for a topic no longer held were in flight and are dropped.
 */
export function createFrameRouter(
  subscriptionOf: (topic: string) => ActorRefFrom<SubscriptionMachine> | undefined,
): FrameRouter {
  const listeners = new Set<AppliedListener>();
  return {
    deliver(topics) {
      for (const [topic, frames] of topics) {
        const ref = subscriptionOf(topic);
        if (!ref) continue;
        const before = ref.getSnapshot().context.applied;
        ref.send({ type: 'FRAMES', frames });
        if (listeners.size === 0) continue;
        const positions = ref.getSnapshot().context.applied;
        if (positions === before || positions.length === 0) continue;
        const event: AppliedEvent = { type: 'applied', topic, positions, frames };
        for (const listener of listeners) {
          try {
            listener(event);
          } catch (error) {
            queueMicrotask(() => {
              throw error; // reported as uncaught, without stopping the other topics' frames
            });
          }
        }
      }
    },
    onApplied(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
