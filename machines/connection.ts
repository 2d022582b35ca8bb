import { assign, enqueueActions, fromCallback, sendTo, setup } from 'xstate';
import type { EventObject } from 'xstate';
import { backoffDelay } from './backoff.ts';
import { attemptLimit, initialContext, subscriptionId } from './connection-types.ts';
import type {
  ConnectionContext,
  ConnectionEnvironment,
  ConnectionEvent,
  ConnectionInput,
} from './connection-types.ts';
import { createOutboxMachine } from './outbox.ts';
import { NO_TRANSPORT, attemptsExhausted, failureOf } from './failures.ts';
import { arrivalOf, framesOf, refusalIn, routeBatch } from './routing.ts';
import { createSubscriptionMachine } from './subscription.ts';
import type { SendEvent } from './wire.ts';

export * from './connection-types.ts';
export type * from './wire.ts';

/**
 * Stand-ins that give setup() the effects' types; src/client provides the real ones, each with
 * its settings bound, so no actor's input (persisted with the connection) holds more than data.
 */
const missing = <TEvent extends EventObject = SendEvent>(name: string) =>
  fromCallback<TEvent>(() => {
    throw new Error(`connectionMachine: provide the '${name}' actor with machine.provide()`);
  });

/**
 * The connection lifecycle (docs/solid.md, "Client runtime contract"). Owns the transport
 * actors, one `sub:<topic>` subscription per topic and the `outbox`; tells them when the link
 * comes and goes and routes the server's control frames (acks, refusals, syncs) to them. Topic
 * frames never pass through it: the transports hand them to the subscriptions directly.
 */
export function createConnectionMachine(environment: ConnectionEnvironment) {
  const { now, random, isTerminalClose } = environment;
  return setup({
    types: {
      input: {} as ConnectionInput,
      context: {} as ConnectionContext,
      events: {} as ConnectionEvent,
      children: {} as {
        outbox: 'outbox';
        network: 'networkStatus';
        page: 'pageLifecycle';
        socket: 'webSocketTransport';
        probe: 'webSocketTransport';
        polling: 'pollingTransport';
        [id: `sub:${string}`]: 'subscription';
      },
    },
    actors: {
      subscription: createSubscriptionMachine(environment),
      outbox: createOutboxMachine(environment),
      webSocketTransport: missing('webSocketTransport'),
      pollingTransport: missing('pollingTransport'),
      networkStatus: missing<EventObject>('networkStatus'),
      pageLifecycle: missing<EventObject>('pageLifecycle'),
    },
    actions: {
      retainTopic: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'SUBSCRIBE') return;
        const count = context.refcounts[event.topic] ?? 0;
        if (count === 0) {
          enqueue.spawnChild('subscription', {
            id: subscriptionId(event.topic),
            input: { topic: event.topic, linkUp: context.transport !== null },
          });
        }
        enqueue.assign({ refcounts: { ...context.refcounts, [event.topic]: count + 1 } });
      }),
      releaseTopic: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'UNSUBSCRIBE') return;
        const { [event.topic]: count = 0, ...others } = context.refcounts;
        if (count > 1) enqueue.assign({ refcounts: { ...others, [event.topic]: count - 1 } });
        if (count !== 1) return;
        enqueue.stopChild(subscriptionId(event.topic));
        enqueue.assign({ refcounts: others });
        // Whatever link is up (if any) handles the SEND; without a link there is nothing to undo.
        enqueue.raise({ type: 'SEND', frame: { type: 'unsubscribe', topic: event.topic } });
      }),
      enqueueAction: enqueueActions(({ event, enqueue }) => {
        if (event.type === 'ACTION') enqueue.sendTo('outbox', { ...event, type: 'ENQUEUE' });
      }),
      announceLinkUp: enqueueActions(({ context, enqueue }) => {
        for (const topic of Object.keys(context.refcounts))
          enqueue.sendTo(subscriptionId(topic), { type: 'LINK.UP' });
        enqueue.sendTo('outbox', { type: 'LINK.UP' });
      }),
      announceLinkDown: enqueueActions(({ context, enqueue }) => {
        for (const topic of Object.keys(context.refcounts))
          enqueue.sendTo(subscriptionId(topic), { type: 'LINK.DOWN' });
        enqueue.sendTo('outbox', { type: 'LINK.DOWN' });
        enqueue.assign({ transport: null });
      }),
      /**
       * Refusals to their subscription, acks to the outbox, then SYNCED to the subscriptions the
       * server has now answered completely (their frames were handed over before this event).
       */
      routeFrames: enqueueActions(({ context, event, enqueue }) => {
        const routing = routeBatch(framesOf(event), (topic) => (context.refcounts[topic] ?? 0) > 0);
        for (const { topic, code, message } of routing.refused)
          enqueue.sendTo(subscriptionId(topic), { type: 'REFUSED', code, message });
        for (const answer of routing.settled) enqueue.sendTo('outbox', answer);
        if (routing.error) enqueue.assign({ lastError: routing.error });
        let synced = event.type === 'POLL.FRAMES' ? event.topics : [];
        if (routing.pongT !== null) {
          const answeredAt = arrivalOf(event, 'pongAt') ?? now();
          enqueue.assign({ latencyMs: Math.max(0, answeredAt - routing.pongT) });
          if (context.syncPingAt !== null && routing.pongT >= context.syncPingAt) {
            synced = Object.keys(context.refcounts);
            enqueue.assign({ syncPingAt: null });
          }
        }
        for (const topic of synced)
          if (context.refcounts[topic]) enqueue.sendTo(subscriptionId(topic), { type: 'SYNCED' });
      }),
      forwardToSocket: sendTo('socket', ({ event }) => event as SendEvent),
      forwardToPolling: sendTo('polling', ({ event }) => event as SendEvent),
      sendHello: sendTo('socket', ({ context }): SendEvent => ({
        type: 'SEND',
        frame:
          context.config.token === undefined
            ? { type: 'hello' }
            : { type: 'hello', token: context.config.token },
      })),
      sendPing: sendTo('socket', (): SendEvent => ({
        type: 'SEND',
        frame: { type: 'ping', t: now() },
      })),
      sendCheckPing: enqueueActions(({ enqueue }) => {
        const t = now();
        enqueue.sendTo('socket', { type: 'SEND', frame: { type: 'ping', t } });
        enqueue.assign({ checkPingAt: t });
      }),
      clearCheck: assign({ checkPingAt: null }),
      // One assign per batch, instead of re-arming a timer per batch: the silence timer reads it when
      // it fires. Kept in the context, not in a mutable cell outside it, so snapshots, inspection and
      // the model test see it; the assign stays cheap while the context stays small (ConnectionContext).
      recordHeard: assign(({ event }) => ({
        lastHeardAt: arrivalOf(event, 'receivedAt') ?? now(),
        heard: true,
      })),
      armSilenceTimer: assign({ heard: false }),
      recordUnansweredCheck: assign({
        lastError: ({ context }) => ({
          code: 'heartbeat_timeout',
          message: `no answer to a ping within ${context.config.checkTimeoutMs} ms`,
        }),
      }),
      sendSyncPing: enqueueActions(({ context, enqueue }) => {
        const t = now();
        enqueue.sendTo('socket', { type: 'SEND', frame: { type: 'ping', t } });
        enqueue.assign({ syncPingAt: context.syncPingAt ?? t });
      }),
      // Ping at least twice per liveness window, so a quiet but healthy server never looks dead.
      adoptWelcome: assign({
        heartbeatMs: ({ context, event }) => {
          const welcome = framesOf(event).find((frame) => frame.type === 'welcome');
          return Math.min(
            welcome?.heartbeatMs ?? context.heartbeatMs,
            Math.floor(context.heartbeatTimeoutMs / 2),
          );
        },
      }),
      markLinkUpOnWebSocket: assign(() => ({
        transport: 'websocket' as const,
        attempt: 0,
        webSocketWorked: true,
        lastError: null,
        syncPingAt: null,
        lastHeardAt: now(),
      })),
      markLinkUpOnPolling: assign({ transport: 'polling' }),
      resetAttempts: assign({ attempt: 0, probeAttempt: 0 }),
      scheduleRetry: assign(({ context }) => {
        const attempt = context.attempt + 1;
        const retryDelayMs = backoffDelay(attempt - 1, context.config.backoff, random);
        return { attempt, retryDelayMs, nextRetryAt: now() + retryDelayMs };
      }),
      scheduleProbe: assign(({ context }) => {
        const { baseMs, capMs } = context.config.probe;
        const retryDelayMs = backoffDelay(
          context.probeAttempt,
          { baseMs, capMs, minMs: baseMs },
          random,
        );
        return {
          probeAttempt: context.probeAttempt + 1,
          retryDelayMs,
          nextRetryAt: now() + retryDelayMs,
        };
      }),
      clearSchedule: assign({ nextRetryAt: null }),
      recordFailure: assign({
        lastError: ({ context, event }) => failureOf(event, context) ?? context.lastError,
      }),
      recordPollFailure: assign({
        nextPollAt: ({ event }) => (event.type === 'POLL.ERROR' ? (event.retryAt ?? null) : null),
      }),
      clearPollSchedule: assign({ nextPollAt: null }),
      recordPollAnswer: assign(() => ({ nextPollAt: null, lastHeardAt: now() })),
      recordAttemptsExhausted: assign({ lastError: ({ context }) => attemptsExhausted(context) }),
      recordNoTransport: assign({ lastError: NO_TRANSPORT }),
      markOnline: assign({ online: true }),
      markOffline: assign({ online: false }),
    },
    guards: {
      hasWebSocket: ({ context }) => context.config.webSocket,
      canPoll: ({ context }) => context.config.polling,
      hasAttemptsLeft: ({ context }) => context.attempt < attemptLimit(context),
      isOffline: ({ context }) => !context.online,
      isTerminalClose: ({ event }) => event.type === 'SOCKET.CLOSED' && isTerminalClose(event.code),
      carriesRefusal: ({ event }) => refusalIn(framesOf(event)) !== undefined,
      carriesWelcome: ({ event }) => framesOf(event).some((frame) => frame.type === 'welcome'),
      carriesPong: ({ event }) => framesOf(event).some((frame) => frame.type === 'pong'),
      answersCheck: ({ context, event }) =>
        framesOf(event).some(
          (frame) =>
            frame.type === 'pong' && context.checkPingAt !== null && frame.t >= context.checkPingAt,
        ),
      heardSinceArmed: ({ context }) => context.heard,
      isResume: ({ event }) =>
        event.type === 'SEND' &&
        event.frame.type === 'subscribe' &&
        event.frame.since !== undefined,
    },
    delays: {
      retryDelay: ({ context }) => context.retryDelayMs,
      heartbeatInterval: ({ context }) => context.heartbeatMs,
      livenessTimeout: ({ context }) => context.heartbeatTimeoutMs,
      // What is left of the silence window since the server was last heard (0 when a late timer
      // overshot it); the check takes the rest of the heartbeat timeout.
      silenceTimeout: ({ context }) =>
        Math.max(
          0,
          context.lastHeardAt + context.heartbeatTimeoutMs - context.config.checkTimeoutMs - now(),
        ),
      checkTimeout: ({ context }) => context.config.checkTimeoutMs,
    },
  }).createMachine({
    id: 'connection',
    context: ({ input }) => initialContext(input),
    invoke: [
      {
        id: 'outbox',
        src: 'outbox',
        input: ({ context }) => ({ ackTimeoutMs: context.config.ackTimeoutMs }),
      },
      { id: 'network', src: 'networkStatus' },
      { id: 'page', src: 'pageLifecycle' },
    ],
    on: {
      SUBSCRIBE: { actions: 'retainTopic' },
      UNSUBSCRIBE: { actions: 'releaseTopic' },
      ACTION: { actions: 'enqueueAction' },
      'NETWORK.OFFLINE': { target: '.offline', actions: 'markOffline' },
      'NETWORK.ONLINE': { actions: 'markOnline' },
      'PAGE.HIDE': '.suspended',
      STOP: '.closed',
    },
    initial: 'idle',
    states: {
      /** Created, not yet told to connect. */
      idle: {
        on: {
          CONNECT: [{ guard: 'isOffline', target: 'offline' }, ...start()],
          'NETWORK.OFFLINE': { actions: 'markOffline' },
        },
      },
      /** A WebSocket is in use: the socket actor lives exactly as long as this state. */
      websocket: {
        invoke: { id: 'socket', src: 'webSocketTransport' },
        on: {
          'SOCKET.CLOSED': [
            { guard: 'isTerminalClose', target: '#connection.failed', actions: 'recordFailure' },
            ...linkLost(),
          ],
          'SOCKET.BAD_FRAME': { actions: 'recordFailure' },
        },
        initial: 'connecting',
        states: {
          connecting: {
            on: { 'SOCKET.OPENED': { target: 'handshaking', actions: 'sendHello' } },
            after: { livenessTimeout: linkLost() },
          },
          /** `hello` sent, waiting for `welcome`. */
          handshaking: {
            on: {
              'SOCKET.FRAMES': [
                { guard: 'carriesRefusal', target: '#connection.failed', actions: 'recordFailure' },
                // A ping at once, so the round trip is known within a moment of connecting.
                {
                  guard: 'carriesWelcome',
                  target: 'connected',
                  actions: ['adoptWelcome', 'sendPing'],
                },
                { actions: 'routeFrames' },
              ],
            },
            after: { livenessTimeout: linkLost() },
          },
          connected: {
            type: 'parallel',
            // Children hear LINK.UP before the frames that came with the welcome.
            entry: ['markLinkUpOnWebSocket', 'announceLinkUp', 'routeFrames'],
            exit: 'announceLinkDown',
            on: {
              SEND: [
                { guard: 'isResume', actions: ['forwardToSocket', 'sendSyncPing'] },
                { actions: 'forwardToSocket' },
              ],
            },
            states: {
              heartbeat: {
                initial: 'idle',
                states: {
                  idle: {
                    after: { heartbeatInterval: { target: 'waiting', actions: 'sendPing' } },
                  },
                  waiting: { on: { 'SOCKET.FRAMES': { guard: 'carriesPong', target: 'idle' } } },
                },
              },
              /**
               * Every frame proves the link alive. Silence only makes it suspect: a timer firing late
               * in a throttled background tab or after sleep says nothing about the link, so after
               * `heartbeatTimeoutMs − checkTimeoutMs` of silence the link is asked (a ping) and
               * declared dead only if that goes unanswered for the rest of the heartbeat timeout.
               */
              liveness: {
                initial: 'watching',
                states: {
                  watching: {
                    entry: 'armSilenceTimer',
                    on: {
                      'SOCKET.FRAMES': [
                        {
                          guard: 'carriesRefusal',
                          target: '#connection.failed',
                          actions: 'recordFailure',
                        },
                        { actions: ['routeFrames', 'recordHeard'] },
                      ],
                      'LINK.CHECK': 'checking',
                      // A new network may have left this socket bound to the old one.
                      'NETWORK.ONLINE': { target: 'checking', actions: 'markOnline' },
                    },
                    // Heard meanwhile: wait out the rest of the window since then.
                    after: {
                      silenceTimeout: [
                        { guard: 'heardSinceArmed', target: 'watching', reenter: true },
                        { target: 'checking' },
                      ],
                    },
                  },
                  /** A ping is out; its pong proves the link, silence for `checkTimeoutMs` kills it. */
                  checking: {
                    entry: 'sendCheckPing',
                    exit: 'clearCheck',
                    on: {
                      'SOCKET.FRAMES': [
                        {
                          guard: 'carriesRefusal',
                          target: '#connection.failed',
                          actions: 'recordFailure',
                        },
                        // Frames sent before a sleep can still be in the buffers; only the pong proves the link now.
                        {
                          guard: 'answersCheck',
                          target: 'watching',
                          actions: ['routeFrames', 'recordHeard'],
                        },
                        { actions: ['routeFrames', 'recordHeard'] },
                      ],
                    },
                    after: { checkTimeout: linkLost('recordUnansweredCheck') },
                  },
                },
              },
            },
          },
        },
      },
      /** Waiting out the backoff before attempt `attempt`; RETRY skips the wait. */
      reconnecting: {
        entry: 'scheduleRetry',
        exit: 'clearSchedule',
        on: {
          RETRY: '#connection.websocket',
          // Back on a network, visible again or awake: the backoff waited for conditions that changed.
          'LINK.CHECK': '#connection.websocket',
          'NETWORK.ONLINE': { target: '#connection.websocket', actions: 'markOnline' },
        },
        after: { retryDelay: '#connection.websocket' },
      },
      /** WebSocket gave up or is unavailable: HTTP long polling carries the same frames while we probe. */
      fallbackPolling: {
        type: 'parallel',
        entry: 'clearPollSchedule',
        invoke: { id: 'polling', src: 'pollingTransport' },
        on: {
          'POLL.REFUSED': { target: '#connection.failed', actions: 'recordFailure' },
          SEND: { actions: 'forwardToPolling' },
        },
        states: {
          link: {
            initial: 'down',
            states: {
              down: {
                on: {
                  'POLL.ANSWERED': 'up',
                  'POLL.ERROR': { actions: ['recordFailure', 'recordPollFailure'] },
                },
              },
              up: {
                // Children hear LINK.UP before the frames of the answer that proved the link.
                entry: ['markLinkUpOnPolling', 'recordPollAnswer', 'announceLinkUp'],
                exit: 'announceLinkDown',
                on: {
                  'POLL.ANSWERED': { actions: 'recordPollAnswer' },
                  'POLL.FRAMES': { actions: 'routeFrames' },
                  'POLL.ERROR': {
                    target: 'down',
                    actions: ['recordFailure', 'recordPollFailure'],
                  },
                },
              },
            },
          },
          probe: {
            initial: 'unavailable',
            states: {
              /** Without a WebSocket there is nothing to probe for: polling is all there is. */
              unavailable: { always: { guard: 'hasWebSocket', target: 'waiting' } },
              waiting: {
                entry: 'scheduleProbe',
                exit: 'clearSchedule',
                on: {
                  RETRY: 'probing',
                  'LINK.CHECK': 'probing',
                  'NETWORK.ONLINE': { target: 'probing', actions: 'markOnline' },
                },
                after: { retryDelay: 'probing' },
              },
              /** A throwaway socket: if it opens, WebSocket works again and we start over on it. */
              probing: {
                invoke: { id: 'probe', src: 'webSocketTransport' },
                on: {
                  'SOCKET.OPENED': { target: '#connection.websocket', actions: 'resetAttempts' },
                  'SOCKET.CLOSED': 'waiting',
                },
                after: { livenessTimeout: 'waiting' },
              },
            },
          },
        },
      },
      /** The network actor says there is no network; nothing is tried until it comes back. */
      offline: {
        on: {
          'NETWORK.ONLINE': start('markOnline'),
          'NETWORK.OFFLINE': { actions: 'markOffline' },
          RETRY: start(),
        },
      },
      /**
       * The page is being unloaded or went into the back/forward cache: the link was closed on
       * purpose (no reconnect while unloading) and nothing is tried until the page shows again.
       */
      suspended: {
        on: {
          'PAGE.SHOW': [{ guard: 'isOffline', target: 'offline' }, ...start()],
          'NETWORK.OFFLINE': { actions: 'markOffline' },
        },
      },
      /** Refused (auth, protocol) or out of options: waits for RETRY (a page coming back does not retry a refusal). */
      failed: {
        on: {
          RETRY: start(),
          'NETWORK.OFFLINE': { actions: 'markOffline' },
          'PAGE.HIDE': {},
        },
      },
      closed: { type: 'final' },
    },
  });
}

/** Begin afresh on the best transport available. */
function start(...actions: ['markOnline'] | []) {
  return [
    {
      guard: 'hasWebSocket',
      target: '#connection.websocket',
      actions: [...actions, 'resetAttempts'],
    },
    {
      guard: 'canPoll',
      target: '#connection.fallbackPolling',
      actions: [...actions, 'resetAttempts'],
    },
    { target: '#connection.failed', actions: [...actions, 'recordNoTransport'] },
  ] as const;
}

/** The WebSocket link is gone: back off and retry, then poll, then give up. `why` records a cause the event does not carry. */
function linkLost(...why: ['recordUnansweredCheck'] | []) {
  return [
    {
      guard: 'hasAttemptsLeft',
      target: '#connection.reconnecting',
      actions: ['recordFailure', ...why],
    },
    { guard: 'canPoll', target: '#connection.fallbackPolling', actions: ['recordFailure', ...why] },
    { target: '#connection.failed', actions: ['recordFailure', ...why, 'recordAttemptsExhausted'] },
  ] as const;
}

export type ConnectionMachine = ReturnType<typeof createConnectionMachine>;
