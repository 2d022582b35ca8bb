import { assign, enqueueActions, not, setup } from 'xstate';
import { REFUSED_KEPT } from './refusals.ts';
import type { ActionRequest, FieldConflict, SendEvent } from './wire.ts';

export interface OutboxInput {
  /** How long a sent action may go unanswered before it is sent again (same id); default 10 s. */
  ackTimeoutMs: number | undefined;
}

/** The clock, supplied by the outbox's creator so the context stays data. */
export interface OutboxEnvironment {
  now: () => number;
}

export interface OutboxEntry extends ActionRequest {
  state: 'queued' | 'sent';
  /** When it was last put on the wire. */
  sentAt: number | null;
}

export interface RefusedEntry extends ActionRequest {
  /** On `conflict` / `stale_base`: the fields concerned and their current values. */
  conflicts?: FieldConflict[];
  code: string;
  message: string;
  at: number;
}

export interface OutboxContext {
  /** In the order the user acted; the server applies them in the order it receives them. */
  pending: OutboxEntry[];
  /** The last refusals, newest last, so the UI can roll back its optimistic view and say why. */
  refused: RefusedEntry[];
  ackTimeoutMs: number;
}

export type OutboxEvent =
  | ({ type: 'ENQUEUE' } & ActionRequest)
  | { type: 'LINK.UP' }
  | { type: 'LINK.DOWN' }
  | { type: 'ACK'; id: string }
  | { type: 'NACK'; id: string; code: string; message: string; conflicts?: FieldConflict[] };

export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

const overdue = (context: OutboxContext, entry: OutboxEntry, now: number) =>
  entry.state === 'sent' && entry.sentAt !== null && entry.sentAt + context.ackTimeoutMs <= now;

/**
 * User actions on their way to the server. An action is sent at most once per link unless its
 * ack is overdue, and always with the same id: the server deduplicates by id, so sending again
 * after a lost ack or a reconnect never applies an action twice.
 */
export function createOutboxMachine({ now }: OutboxEnvironment) {
  return setup({
    types: {
      input: {} as OutboxInput,
      context: {} as OutboxContext,
      events: {} as OutboxEvent,
    },
    actions: {
      enqueue: assign({
        pending: ({ context, event }) => {
          if (event.type !== 'ENQUEUE' || context.pending.some((entry) => entry.id === event.id))
            return context.pending;
          const entry: OutboxEntry = { ...request(event), state: 'queued', sentAt: null };
          return [...context.pending.filter((older) => !supersedes(entry, older)), entry];
        },
      }),
      /** Sends every queued action, oldest first. */
      flush: enqueueActions(({ context, enqueue }) => {
        const sentAt = now();
        for (const entry of context.pending)
          if (entry.state === 'queued') enqueue.sendParent(actionFrame(entry));
        enqueue.assign({
          pending: context.pending.map((entry) =>
            entry.state === 'queued' ? { ...entry, state: 'sent' as const, sentAt } : entry,
          ),
        });
      }),
      resendOverdue: enqueueActions(({ context, enqueue }) => {
        const sentAt = now();
        for (const entry of context.pending)
          if (overdue(context, entry, sentAt)) enqueue.sendParent(actionFrame(entry));
        enqueue.assign({
          pending: context.pending.map((entry) =>
            overdue(context, entry, sentAt) ? { ...entry, sentAt } : entry,
          ),
        });
      }),
      /** The link is gone; whatever was in flight must go again on the next one. */
      requeue: assign({
        pending: ({ context }) =>
          context.pending.map((entry) => ({ ...entry, state: 'queued' as const, sentAt: null })),
      }),
      settle: assign({
        pending: ({ context, event }) =>
          event.type === 'ACK'
            ? context.pending.filter((entry) => entry.id !== event.id)
            : context.pending,
      }),
      refuse: assign(({ context, event }) => {
        const entry =
          event.type === 'NACK'
            ? context.pending.find((candidate) => candidate.id === event.id)
            : undefined;
        if (!entry || event.type !== 'NACK') return {};
        const refusal: RefusedEntry = {
          ...request(entry),
          ...(event.conflicts && { conflicts: event.conflicts }),
          code: event.code,
          message: event.message,
          at: now(),
        };
        return {
          pending: context.pending.filter((candidate) => candidate !== entry),
          refused: [...context.refused, refusal].slice(-REFUSED_KEPT),
        };
      }),
    },
    guards: {
      awaitsAck: ({ context }) => context.pending.some((entry) => entry.state === 'sent'),
    },
    delays: {
      // Until the oldest unanswered action is overdue; re-armed after each resend.
      ackTimeout: ({ context }) => {
        const sentAts = context.pending.flatMap((entry) =>
          entry.state === 'sent' && entry.sentAt !== null ? [entry.sentAt] : [],
        );
        return Math.max(0, Math.min(...sentAts) + context.ackTimeoutMs - now());
      },
    },
  }).createMachine({
    id: 'outbox',
    context: ({ input }) => ({
      pending: [],
      refused: [],
      ackTimeoutMs: input.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS,
    }),
    initial: 'offline',
    on: {
      ACK: { actions: 'settle' },
      NACK: { actions: 'refuse' },
    },
    states: {
      /** No link: actions wait in order. */
      offline: {
        on: {
          ENQUEUE: { actions: 'enqueue' },
          'LINK.UP': 'online',
        },
      },
      online: {
        entry: 'flush',
        on: {
          ENQUEUE: { actions: ['enqueue', 'flush'] },
          'LINK.DOWN': { target: 'offline', actions: 'requeue' },
        },
        initial: 'idle',
        states: {
          idle: { always: { guard: 'awaitsAck', target: 'awaitingAck' } },
          awaitingAck: {
            always: { guard: not('awaitsAck'), target: 'idle' },
            after: {
              ackTimeout: { target: 'awaitingAck', reenter: true, actions: 'resendOverdue' },
            },
          },
        },
      },
    },
  });
}

/**
 * A queued merged action whose every field a newer one on the same topic sets again goes no
 * further: the newer says what the user wants there now, and sent after it from the same base it
 * would be refused as a conflict with the user's own older edit.
 */
function supersedes(newer: OutboxEntry, older: OutboxEntry): boolean {
  const { fields } = newer;
  return (
    older.state === 'queued' &&
    older.topic === newer.topic &&
    fields !== undefined &&
    older.fields !== undefined &&
    older.fields.every((field) => fields.includes(field))
  );
}

/** The action itself, without the event's or entry's own fields; `base` and `fields` only when given. */
function request({ id, topic, payload, base, fields }: ActionRequest): ActionRequest {
  return { id, topic, payload, ...(base && fields && { base, fields }) };
}

function actionFrame(entry: OutboxEntry): SendEvent {
  return { type: 'SEND', frame: { type: 'action', ...request(entry) } };
}

export type OutboxMachine = ReturnType<typeof createOutboxMachine>;
