import { createActor } from 'xstate';
import type { ActorRefFrom, InspectionEvent, Observer } from 'xstate';
import { connectionMachine } from '../../machines/connection.ts';
import type { BackoffSettings } from '../../machines/connection.ts';
import { subscriptionId } from '../../machines/connection.ts';
import type { subscriptionMachine } from '../../machines/subscription.ts';
import { applyPatchImmutably, isTerminalClose } from '../protocol/index.ts';
import { networkStatus } from './network-status.ts';
import type { NetworkSettings } from './network-status.ts';
import { DEFAULT_POLL_MIN_INTERVAL_MS, DEFAULT_POLL_WAIT_MS, pollingTransport } from './polling-transport.ts';
import type { FetchLike, PollingSettings } from './polling-transport.ts';
import { webSocketTransport } from './websocket-transport.ts';
import type { WebSocketConstructor, WebSocketSettings } from './websocket-transport.ts';

export type ConnectionActorRef = ActorRefFrom<typeof connectionMachine>;
export type SubscriptionActorRef = ActorRefFrom<typeof subscriptionMachine>;

export interface TetherClientOptions {
  /** http(s) base URL of the server; the socket goes to `<url>/ws`. Default `location.origin`. */
  url?: string;
  /** Sent in `hello`, never in a URL. */
  token?: string;
  /** Default `globalThis.WebSocket`; `null` means unavailable (polling only). */
  WebSocket?: WebSocketConstructor | null;
  /** Default `globalThis.fetch`; `null` means no polling fallback. */
  fetch?: FetchLike | null;
  /** Default `window` + `navigator.onLine` in a browser; `false` ignores connectivity events. */
  network?: NetworkSettings | false;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  backoff?: Partial<BackoffSettings>;
  /** `false` disables fallback polling. */
  polling?:
    | false
    | {
        /** How long the server may hold a poll (default 20 s). */
        waitMs?: number;
        /** Least time between two polls (default 250 ms). */
        minIntervalMs?: number;
        /** WebSocket probes while polling (default 5–30 s). */
        probe?: { baseMs?: number; capMs?: number };
        /** Backoff after a failed poll (default 1–30 s). */
        retry?: { baseMs?: number; capMs?: number };
      };
  /** How long a sent action may go unacknowledged before it is sent again (same id). */
  ackTimeoutMs?: number;
  /** An XState inspection observer (e.g. `@statelyai/inspect`'s `inspector.inspect`). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  random?: () => number;
  generateId?: () => string;
  now?: () => number;
}

export interface TetherClient {
  /** The root actor, started; children: `outbox`, `sub:<topic>`. */
  actor: ConnectionActorRef;
  /** Reference counted per topic: the first holder creates the subscription, the last release ends it. */
  subscribe(topic: string): { ref: SubscriptionActorRef; release(): void };
  /** Queues an action in the outbox; returns its id (also the key of its ack, nack or refusal). */
  send(topic: string, payload: unknown): string;
  /** Leave `failed`, or skip the wait before the next attempt. */
  retry(): void;
  /** Closes everything; no timers, sockets or listeners remain. */
  stop(): void;
}

const defaultId = () =>
  globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;

function browserNetwork(): NetworkSettings | null {
  if (typeof window === 'undefined' || typeof navigator === 'undefined') return null;
  return { target: window, isOnline: () => navigator.onLine };
}

export function createTetherClient(options: TetherClientOptions = {}): TetherClient {
  const baseUrl = (options.url ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl)) throw new Error('createTetherClient: `url` must be an http(s) URL (there is no location to default to)');
  const WebSocket: WebSocketConstructor | null = options.WebSocket === undefined ? globalThis.WebSocket ?? null : options.WebSocket;
  const fetch: FetchLike | null = options.fetch === undefined ? globalThis.fetch?.bind(globalThis) ?? null : options.fetch;
  const random = options.random ?? Math.random;
  const generateId = options.generateId ?? defaultId;
  const polling = options.polling === false ? null : options.polling ?? {};

  // The machine hands these to the transports untouched; typed here, where they are built.
  const webSocketSettings: WebSocketSettings | null = WebSocket && { url: `${baseUrl.replace(/^http/, 'ws')}/ws`, WebSocket };
  const pollingSettings: PollingSettings | null = polling &&
    fetch && {
      baseUrl,
      fetch,
      clientId: generateId(),
      waitMs: polling.waitMs ?? DEFAULT_POLL_WAIT_MS,
      minIntervalMs: polling.minIntervalMs ?? DEFAULT_POLL_MIN_INTERVAL_MS,
      retry: { baseMs: 1_000, capMs: 30_000, ...polling.retry },
      random,
    };
  const networkSettings: NetworkSettings | null = options.network === false ? null : options.network ?? browserNetwork();

  const logic = connectionMachine.provide({ actors: { webSocketTransport, pollingTransport, networkStatus } });
  const actor = createActor(logic, {
    ...(options.inspect ? { inspect: options.inspect } : {}),
    input: {
      webSocket: webSocketSettings,
      polling: pollingSettings,
      network: networkSettings,
      token: options.token,
      heartbeatMs: options.heartbeatMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      backoff: options.backoff,
      probe: polling?.probe,
      ackTimeoutMs: options.ackTimeoutMs,
      random,
      now: options.now ?? Date.now,
      applyPatch: applyPatchImmutably,
      isTerminalClose,
    },
  });
  actor.start();
  actor.send({ type: 'CONNECT' });

  return {
    actor,
    subscribe(topic) {
      actor.send({ type: 'SUBSCRIBE', topic });
      const ref = actor.getSnapshot().children[subscriptionId(topic)];
      if (!ref) throw new Error(`createTetherClient: cannot subscribe to "${topic}" on a stopped client`);
      let held = true;
      return {
        ref,
        release() {
          if (!held) return; // releasing twice must not take another holder's reference
          held = false;
          actor.send({ type: 'UNSUBSCRIBE', topic });
        },
      };
    },
    send(topic, payload) {
      const id = generateId();
      actor.send({ type: 'ACTION', id, topic, payload });
      return id;
    },
    retry: () => actor.send({ type: 'RETRY' }),
    stop: () => actor.send({ type: 'STOP' }),
  };
}
