import { assign, sendParent, setup } from 'xstate';
import type { AppliedRun, FoldResult, SequenceProblem, TopicPosition } from './sequence.ts';
import type { ErrorInfo, Position, SendEvent, TopicFrame } from './wire.ts';

/** What a subscription needs from the world; its creator supplies it, so the context stays data. */
export interface SubscriptionEnvironment {
  now: () => number;
}

export interface SubscriptionInput {
  topic: string;
  /** Whether the connection has a link when the subscription is created. */
  linkUp: boolean;
}

/**
 * What the last batch of frames calls for: `confirmed` (our position agrees with the server's),
 * `broken` (the sequence broke, possibly by frames in flight from before our subscribe),
 * `mustResync` (it broke in a way that only a new subscribe repairs), or nothing.
 */
export type Verdict = 'confirmed' | 'broken' | 'mustResync' | null;

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
  /** The positions the last batch applied, in order, as runs (empty when it applied nothing). */
  applied: AppliedRun[];
  /** What the last batch calls for; the eventless transitions act on it and the next state clears it. */
  verdict: Verdict;
}

export type SubscriptionEvent =
  | { type: 'LINK.UP' }
  | { type: 'LINK.DOWN' }
  /**
   * Frames folded outside the actor (src/client/frame-router.ts) from `from`, which must still be
   * the position held: only frames move it, and they all go through the fold.
   */
  | { type: 'FOLDED'; result: FoldResult; from: TopicPosition }
  | { type: 'REFUSED'; code: string; message: string }
  | { type: 'RETRY' }
  /** The server has answered everything we asked before this point (sent after our subscribe). */
  | { type: 'SYNCED' };

/**
 * A batch that applied something, as the client reports it to its `onApplied` listeners, so
 * observers can audit order and uniqueness. `frames` is the whole batch: a mirror that folds the
 * same batches from the same start stays in step (the cross-tab hub forwards them to its tabs); a
 * batch that applied nothing changes nothing a mirror needs.
 */
export interface AppliedEvent {
  type: 'applied';
  topic: string;
  positions: Position[];
  frames: readonly TopicFrame[];
}

const NOTHING_APPLIED: AppliedRun[] = [];

const hasPosition = (position: TopicPosition): position is TopicPosition & Position =>
  position.epoch !== null && position.seq !== null;

/**
 * One topic as one widget sees it. The data shown is always a state the server had: patches are
 * applied only in sequence (machines/sequence.ts), and whenever the sequence breaks or the link
 * drops the status says so (`resyncing`, `stale`) while the last good data stays on screen.
 *
 * A `FOLDED` event (frames folded as they arrived, src/client/frame-router.ts) is handled by
 * `assign` alone, which takes the fold and records its verdict; eventless transitions act on the
 * verdict. Any other action on that event would keep the fold alive in xstate past the step
 * (docs/architecture.md, "Frames and the statecharts").
 */
export function createSubscriptionMachine(environment: SubscriptionEnvironment) {
  const { now } = environment;
  return setup({
    types: {
      input: {} as SubscriptionInput,
      context: {} as SubscriptionContext,
      events: {} as SubscriptionEvent,
    },
    actions: {
      // With a position we ask only for what we miss; the server answers with the patches after it,
      // or a snapshot when its history (or epoch) no longer reaches back that far.
      sendSubscribe: sendParent(({ context }): SendEvent => {
        const { topic, position } = context;
        const frame = hasPosition(position)
          ? {
              type: 'subscribe' as const,
              topic,
              since: { epoch: position.epoch, seq: position.seq },
            }
          : { type: 'subscribe' as const, topic };
        return { type: 'SEND', frame };
      }),
      applyFrames: assign(({ context, event }) => {
        if (event.type !== 'FOLDED') return {};
        // Folded from a position no longer held: applying it could skip or repeat patches.
        if (event.from !== context.position) return { verdict: 'mustResync' as const };
        const { result } = event;
        const changed = result.position.data !== context.position.data;
        const progressed = result.applied.length > 0 || result.answered;
        // Until the server answers a subscribe, breaks caused by frames still in flight from
        // before it are expected; ask again only if the answer itself broke (it made progress
        // first) or our document is beyond repair (a refused patch: now we need a snapshot).
        const verdict: Verdict = result.problem
          ? progressed || result.problem.reason === 'patch_failed'
            ? 'mustResync'
            : 'broken'
          : result.confirmed
            ? 'confirmed'
            : null;
        return {
          position: result.position,
          duplicates: context.duplicates + result.duplicates,
          updatedAt: changed ? now() : context.updatedAt,
          lastBreak: result.problem ?? context.lastBreak,
          applied: result.applied.length > 0 ? result.applied : NOTHING_APPLIED,
          verdict,
        };
      }),
      clearVerdict: assign({ verdict: null }),
      markLinkUp: assign({ linkUp: true }),
      markLinkDown: assign({ linkUp: false }),
      markStale: assign({ staleSince: ({ context }) => context.staleSince ?? now() }),
      markFresh: assign({ staleSince: null, verdict: null }),
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
      confirmed: ({ context }) => context.verdict === 'confirmed',
      mustResync: ({ context }) => context.verdict === 'mustResync',
      broke: ({ context }) => context.verdict === 'broken' || context.verdict === 'mustResync',
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
      applied: NOTHING_APPLIED,
      verdict: null,
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
        entry: ['clearVerdict', 'sendSubscribe'],
        always: [
          { guard: 'confirmed', target: 'live' },
          { guard: 'mustResync', target: 'resyncing' },
        ],
        on: {
          FOLDED: { actions: 'applyFrames' },
          // Resuming at the server's current seq gets no frames at all; the sync says so.
          SYNCED: { guard: 'hasPosition', target: 'live' },
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
        always: { guard: 'broke', target: 'resyncing' },
        on: {
          FOLDED: { actions: 'applyFrames' },
          REFUSED: { target: 'error', actions: 'recordRefusal' },
          'LINK.DOWN': { target: 'stale', actions: 'markLinkDown' },
        },
      },
      /** The sequence broke; subscribed again from the last good position, waiting for the answer. */
      resyncing: {
        entry: ['clearVerdict', 'sendSubscribe'],
        always: [
          { guard: 'confirmed', target: 'live' },
          { guard: 'mustResync', target: 'resyncing', reenter: true },
        ],
        on: {
          FOLDED: { actions: 'applyFrames' },
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
}

export type SubscriptionMachine = ReturnType<typeof createSubscriptionMachine>;
