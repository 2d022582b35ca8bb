import { assign, enqueueActions, sendParent, setup } from 'xstate';
import { foldFrames } from './sequence.ts';
import type { SequenceBreak, SequenceProblem, TopicPosition } from './sequence.ts';
import type { ErrorInfo, PatchApplier, Position, SendEvent, TopicFrame } from './wire.ts';

export interface SubscriptionInput {
  topic: string;
  /** Whether the connection has a link when the subscription is created. */
  linkUp: boolean;
  applyPatch: PatchApplier;
  now: () => number;
}

export interface SubscriptionContext {
  topic: string;
  position: TopicPosition;
  linkUp: boolean;
  /** When `data` last changed (client clock). */
  updatedAt: number | null;
  /** When the link was lost while holding data; cleared once the server confirms us again. */
  staleSince: number | null;
  /** The server's refusal of this topic (`unknown_topic`, `forbidden`). */
  error: ErrorInfo | null;
  /** The last break in the sequence, kept for the state panel. */
  lastBreak: SequenceProblem | null;
  /** Frames skipped as already held, over the subscription's life. */
  duplicates: number;
  applyPatch: PatchApplier;
  now: () => number;
}

export type SubscriptionEvent =
  | { type: 'LINK.UP' }
  | { type: 'LINK.DOWN' }
  | { type: 'FRAMES'; frames: readonly TopicFrame[] }
  | { type: 'REFUSED'; code: string; message: string }
  | { type: 'RETRY' }
  /** The server has answered everything we asked before this point (sent after our subscribe). */
  | { type: 'SYNCED' }
  // Raised by `applyFrames` with the outcome of the batch it just folded.
  | { type: 'SEQUENCE.CONFIRMED' }
  | { type: 'SEQUENCE.BROKEN'; reason: SequenceBreak; message: string; progressed: boolean };

/**
 * Emitted once per batch that applied something, so observers can audit order and uniqueness.
 * `frames` is the whole batch: a mirror that folds the same batches from the same start stays in
 * step (the cross-tab hub forwards them to its tabs); a batch that applied nothing changes
 * nothing a mirror needs. One event, not one per purpose: each emit costs a deferred action.
 */
export interface AppliedEvent {
  type: 'applied';
  positions: Position[];
  frames: readonly TopicFrame[];
}

const hasPosition = (position: TopicPosition): position is TopicPosition & Position =>
  position.epoch !== null && position.seq !== null;

/**
 * One topic as one widget sees it. The data shown is always a state the server had: patches are
 * applied only in sequence (machines/sequence.ts), and whenever the sequence breaks or the link
 * drops the status says so (`resyncing`, `stale`) while the last good data stays on screen.
 */
export const subscriptionMachine = setup({
  types: {
    input: {} as SubscriptionInput,
    context: {} as SubscriptionContext,
    events: {} as SubscriptionEvent,
    emitted: {} as AppliedEvent,
  },
  actions: {
    // With a position we ask only for what we miss; the server answers with the patches after it,
    // or a snapshot when its history (or epoch) no longer reaches back that far.
    sendSubscribe: sendParent(({ context }): SendEvent => {
      const { topic, position } = context;
      const frame = hasPosition(position)
        ? { type: 'subscribe' as const, topic, since: { epoch: position.epoch, seq: position.seq } }
        : { type: 'subscribe' as const, topic };
      return { type: 'SEND', frame };
    }),
    // `confirm: false` where SEQUENCE.CONFIRMED has no transition (live): raising it there would
    // cost a microstep per batch for nothing.
    applyFrames: enqueueActions(({ context, event, enqueue }, params: { confirm: boolean }) => {
      if (event.type !== 'FRAMES') return;
      const result = foldFrames(context.position, event.frames, context.applyPatch);
      const changed = result.position.data !== context.position.data;
      enqueue.assign({
        position: result.position,
        duplicates: context.duplicates + result.duplicates,
        updatedAt: changed ? context.now() : context.updatedAt,
        lastBreak: result.problem ?? context.lastBreak,
      });
      if (result.applied.length > 0)
        enqueue.emit({ type: 'applied', positions: result.applied, frames: event.frames });
      if (result.problem) {
        enqueue.raise({
          type: 'SEQUENCE.BROKEN',
          ...result.problem,
          progressed: result.applied.length > 0 || result.answered,
        });
      } else if (result.confirmed && params.confirm) {
        enqueue.raise({ type: 'SEQUENCE.CONFIRMED' });
      }
    }),
    markLinkUp: assign({ linkUp: true }),
    markLinkDown: assign({ linkUp: false }),
    markStale: assign({ staleSince: ({ context }) => context.staleSince ?? context.now() }),
    markFresh: assign({ staleSince: null }),
    recordRefusal: assign({
      error: ({ event }) =>
        event.type === 'REFUSED' ? { code: event.code, message: event.message } : null,
    }),
    clearRefusal: assign({ error: null }),
  },
  guards: {
    isLinkUp: ({ context }) => context.linkUp,
    hasData: ({ context }) => context.position.data !== undefined,
    hasPosition: ({ context }) => hasPosition(context.position),
    // Until the server answers a subscribe, breaks caused by frames still in flight from before it
    // are expected; ask again only if the answer itself broke (it made progress first) or our
    // document is beyond repair (a refused patch: now we need a snapshot).
    mustAskAgain: ({ event }) =>
      event.type === 'SEQUENCE.BROKEN' && (event.progressed || event.reason === 'patch_failed'),
  },
}).createMachine({
  id: 'subscription',
  context: ({ input }) => ({
    topic: input.topic,
    position: { data: undefined, epoch: null, seq: null },
    linkUp: input.linkUp,
    updatedAt: null,
    staleSince: null,
    error: null,
    lastBreak: null,
    duplicates: 0,
    applyPatch: input.applyPatch,
    now: input.now,
  }),
  // The connection alternates LINK.UP and LINK.DOWN, so each state handles only the one it can get.
  initial: 'pending',
  states: {
    /** No link to subscribe over, and no data yet. */
    pending: {
      // Created while the link is up: subscribe straight away.
      always: { guard: 'isLinkUp', target: 'subscribing' },
      on: { 'LINK.UP': { target: 'subscribing', actions: 'markLinkUp' } },
    },
    /** `subscribe` sent (with `since` when we hold data); waiting for the server to confirm us. */
    subscribing: {
      entry: 'sendSubscribe',
      on: {
        FRAMES: { actions: { type: 'applyFrames', params: { confirm: true } } },
        'SEQUENCE.CONFIRMED': 'live',
        // Resuming at the server's current seq gets no frames at all; the sync says so.
        SYNCED: { guard: 'hasPosition', target: 'live' },
        'SEQUENCE.BROKEN': { guard: 'mustAskAgain', target: 'resyncing' },
        REFUSED: { target: 'error', actions: 'recordRefusal' },
        'LINK.DOWN': [
          { guard: 'hasData', target: 'stale', actions: 'markLinkDown' },
          { target: 'pending', actions: 'markLinkDown' },
        ],
      },
    },
    /** In step with the server. */
    live: {
      entry: 'markFresh',
      on: {
        FRAMES: { actions: { type: 'applyFrames', params: { confirm: false } } },
        'SEQUENCE.BROKEN': 'resyncing',
        REFUSED: { target: 'error', actions: 'recordRefusal' },
        'LINK.DOWN': { target: 'stale', actions: 'markLinkDown' },
      },
    },
    /** The sequence broke; subscribed again from the last good position, waiting for the answer. */
    resyncing: {
      entry: 'sendSubscribe',
      on: {
        FRAMES: { actions: { type: 'applyFrames', params: { confirm: true } } },
        'SEQUENCE.CONFIRMED': 'live',
        'SEQUENCE.BROKEN': { guard: 'mustAskAgain', target: 'resyncing', reenter: true },
        REFUSED: { target: 'error', actions: 'recordRefusal' },
        // Only a subscription holding data can lose its sequence.
        'LINK.DOWN': { target: 'stale', actions: 'markLinkDown' },
      },
    },
    /** Link lost: the data stays on screen, marked with when it stopped being live. */
    stale: {
      entry: 'markStale',
      on: { 'LINK.UP': { target: 'subscribing', actions: 'markLinkUp' } },
    },
    /** The server refused this topic. A retry, or a new link (permissions may differ), tries again. */
    error: {
      exit: 'clearRefusal',
      on: {
        RETRY: [
          { guard: 'isLinkUp', target: 'subscribing' },
          { guard: 'hasData', target: 'stale' },
          { target: 'pending' },
        ],
        'LINK.UP': { target: 'subscribing', actions: 'markLinkUp' },
        'LINK.DOWN': { actions: 'markLinkDown' },
      },
    },
  },
});

export type SubscriptionMachine = typeof subscriptionMachine;
