import type { ActorRefFrom } from 'xstate';
import { appliedPositions, beginFold, endFold, foldFrame } from '../../machines/sequence.ts';
import type { Fold } from '../../machines/sequence.ts';
import type { AppliedEvent, SubscriptionMachine } from '../../machines/subscription.ts';
import type { TopicFrame } from '../../machines/wire.ts';
import { decodedFrameDrafts } from './frame-drafts.ts';

/** Where the transports put topic frames as they are decoded. */
export interface TopicFrameInbox {
  /** Folds one topic frame into its subscription's open fold. */
  receive(frame: TopicFrame): void;
  /** Hands every open fold to its subscription, then tells the `onApplied` listeners. */
  handOver(): void;
  /** Drops the open folds: their frames came from a transport that stopped. */
  discard(): void;
}

export type AppliedListener = (event: AppliedEvent) => void;

export interface FrameRouter extends TopicFrameInbox {
  /** Hears every hand-over that applied something, with the positions applied and its frames. */
  onApplied(listener: AppliedListener): () => void;
}

type SubscriptionRef = ActorRefFrom<SubscriptionMachine>;

/** One topic's frames of the current hand-over, folded as they arrived. */
interface OpenFold {
  ref: SubscriptionRef;
  fold: Fold;
  /** The frames themselves, only while someone listens for them. */
  frames: TopicFrame[] | null;
}

/**
 * The data path from the transports to the subscriptions, in plain code. Each topic frame is
 * folded into its subscription's position as it arrives (machines/sequence.ts: in-sequence patches
 * are written at once into one draft per topic per hand-over), so a frame is garbage right after
 * it is decoded; at the hand-over each subscription gets its fold's result as one `FOLDED` event,
 * which it takes with `assign` alone. Nothing between the socket and the subscription is an actor
 * event handled by another action, so xstate keeps no frame and no fold past the step
 * (docs/architecture.md, "Frames and the statecharts"). Frames for a topic no longer held were in
 * flight and are dropped; a topic released and held again within one hand-over starts a new fold.
 */
export function createFrameRouter(
  subscriptionOf: (topic: string) => SubscriptionRef | undefined,
): FrameRouter {
  const listeners = new Set<AppliedListener>();
  let open = new Map<string, OpenFold>();

  return {
    receive(frame) {
      const { topic } = frame;
      const ref = subscriptionOf(topic);
      if (!ref) return void open.delete(topic);
      let entry = open.get(topic);
      // A new subscription (the topic was released and held again) starts a new fold.
      if (entry?.ref !== ref) {
        const fold = beginFold(ref.getSnapshot().context.position, decodedFrameDrafts);
        // A listener hears a hand-over's frames only if it listened from the first one.
        open.set(topic, (entry = { ref, fold, frames: listeners.size > 0 ? [] : null }));
      }
      foldFrame(entry.fold, frame);
      entry.frames?.push(frame);
    },
    handOver() {
      const folds = open;
      open = new Map();
      for (const [topic, { ref, fold, frames }] of folds) {
        const before = ref.getSnapshot().context.applied;
        ref.send({ type: 'FOLDED', result: endFold(fold), from: fold.start });
        const runs = ref.getSnapshot().context.applied;
        if (!frames || runs === before || runs.length === 0) continue;
        const event: AppliedEvent = {
          type: 'applied',
          topic,
          positions: appliedPositions(runs),
          frames,
        };
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
    discard() {
      open = new Map();
    },
    onApplied(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
