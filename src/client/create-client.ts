import { createActor } from 'xstate';
import type { ActorRefFrom, InspectionEvent, Observer } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.ts';
import type { BackoffSettings, ConnectionMachine } from '../../machines/connection.ts';
import { subscriptionId } from '../../machines/connection.ts';
import { cursorsOf } from '../../machines/routing.ts';
import type { SubscriptionMachine } from '../../machines/subscription.ts';
import { isTerminalClose } from '../protocol/index.ts';
import { Credentials, tokenExpiry } from './credentials.ts';
import type { GetToken } from './credentials.ts';
import { networkStatus } from './network-status.ts';
import { browserFrames } from './frame-handover.ts';
import { createFrameRouter } from './frame-router.ts';
import type { AppliedListener } from './frame-router.ts';
import { browserPage, pageLifecycle } from './page-lifecycle.ts';
import type { PageLifecycleSettings } from './page-lifecycle.ts';
import type { NetworkSettings } from './network-status.ts';
import {
  DEFAULT_POLL_MIN_INTERVAL_MS,
  DEFAULT_POLL_WAIT_MS,
  pollingTransport,
} from './polling-transport.ts';
import type { FetchLike, PollingSettings } from './polling-transport.ts';
import { DEFAULT_SEND_RATE, SendPacer } from './send-pacer.ts';
import type { SendRate } from './send-pacer.ts';
import { snapshotViews } from './view-source.ts';
import type { ViewSource } from './view-source.ts';
import { actionRequest } from './action-request.ts';
import { persistOutbox } from './outbox-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { SendOptions } from './action-request.ts';
import type { ConnectionView, OutboxView, SubscriptionView } from './view-types.ts';
import { connectionView, outboxView, sameOutboxView, subscriptionView } from './views.ts';
import { webSocketTransport } from './websocket-transport.ts';
import type { WebSocketConstructor, WebSocketSettings } from './websocket-transport.ts';
import { randomId } from './random-id.ts';

export type ConnectionActorRef = ActorRefFrom<ConnectionMachine>;
export type SubscriptionActorRef = ActorRefFrom<SubscriptionMachine>;

export interface TetherClientOptions {
  /** http(s) base URL of the server; the socket goes to `<url>/ws`. Default `location.origin`. */
  url?: string;
  /** Sent in `hello`, never in a URL. A fixed token; prefer `getToken` for tokens that expire. */
  token?: string;
  /**
   * Asked (sync or async) before every connection and every poll; the answer goes in `hello` and
   * in `Authorization: Bearer`, never in a URL. Also asked shortly before a JWT's `exp` while
   * connected: a different token is sent as a fresh `hello` on the live connection.
   */
  getToken?: GetToken;
  /**
   * Told when the server renews the token over the live connection (a `token` frame); keep it
   * where getToken reads, so a reload uses it too. The client itself uses it from then on.
   */
  onTokenRenewed?: (token: string) => void;
  /** The most frames per second this client sends (default 50/s, bursts of 100); halved whenever the server says `rate_limited`. */
  sendRate?: Partial<SendRate>;
  /** Default `globalThis.WebSocket`; `null` means unavailable (polling only). */
  WebSocket?: WebSocketConstructor | null;
  /** Default `globalThis.fetch`; `null` means no polling fallback. */
  fetch?: FetchLike | null;
  /** Default `window` + `navigator.onLine` in a browser; `false` ignores connectivity events. */
  network?: NetworkSettings | false;
  /**
   * Default: the page's `visibilitychange`, `pagehide`/`pageshow` and a wake detector in a browser
   * (src/client/page-lifecycle.ts); `false` ignores them.
   */
  page?: PageLifecycleSettings | false;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  /** How long a liveness check (after silence, on wake, visible or online) may go unanswered (default 5 s). */
  checkTimeoutMs?: number;
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
  /**
   * Keeps queued actions across reloads and closed tabs (src/client/outbox-store.ts), e.g.
   * `indexedDbOutboxStore()`; default: in memory only.
   */
  outboxStore?: OutboxStore;
  /** An XState inspection observer (e.g. `@statelyai/inspect`'s `inspector.inspect`). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  random?: () => number;
  generateId?: () => string;
  now?: () => number;
  /**
   * When WebSocket frames reach the statecharts. `'frame'` (the default in a browser page): what
   * arrived since the last display frame, at the start of the next one (the next task while the
   * page is hidden), where views bound to the data render anyway; one step per topic per frame
   * instead of per message (src/client/frame-handover.ts). `'task'` (the default elsewhere): in
   * the task after each message, for code that wants every intermediate snapshot in a page.
   * Either way every frame is applied, in order, and `onApplied` hears each position.
   */
  handover?: 'frame' | 'task';
  /**
   * With `handover: 'task'`, under a steady stream, frames arriving within this many ms of the
   * previous hand-over are handed to the statecharts together (default 0: each task's frames at once).
   */
  batchWindowMs?: number;
}

/** One held topic: its view, its actor (when the client runs in this tab) and the release. */
export interface TopicHold {
  view: ViewSource<SubscriptionView>;
  /** The subscription statechart when it runs in this tab; null when the client runs elsewhere (shared across tabs). */
  ref: SubscriptionActorRef | null;
  /** Gives the topic back; the last holder's release unsubscribes. Releasing twice is harmless. */
  release(): void;
}

export interface TetherClient {
  /** The root statechart when it runs in this tab; null when it runs elsewhere (shared across tabs). Children: `outbox`, `sub:<topic>`. */
  actor: ConnectionActorRef | null;
  /** The connection as a ConnectionView: a new object only when a field changed. */
  connection: ViewSource<ConnectionView>;
  /** The outbox as an OutboxView (actions waiting for an answer, recent refusals). */
  outbox: ViewSource<OutboxView>;
  /** Reference counted per topic: the first holder creates the subscription, the last release ends it. */
  subscribe(topic: string): TopicHold;
  /** Queues an action in the outbox; returns its id (also the key of its ack, nack or refusal). */
  send(topic: string, payload: unknown, options?: SendOptions): string;
  /** Leave `failed`, or skip the wait before the next attempt. */
  retry(): void;
  /**
   * Asks getToken now and, when connected over WebSocket and the token changed, sends it in a
   * fresh `hello`: the server re-authorises the live connection (narrower permissions apply at once).
   */
  reauthenticate(): Promise<void>;
  /** Closes everything; no timers, sockets or listeners remain. */
  stop(): void;
}

/** The client as createTetherClient builds it: its statecharts run in this tab, so `actor` and `ref` are there. */
export interface LocalTetherClient extends TetherClient {
  actor: ConnectionActorRef;
  subscribe(topic: string): TopicHold & { ref: SubscriptionActorRef };
  /**
   * Hears every batch of topic frames that applied something: the topic, the positions applied in
   * order, and the whole batch (a mirror folding the same batches stays in step). Returns the
   * unsubscribe.
   */
  onApplied(listener: AppliedListener): () => void;
}

const defaultId = randomId;

function browserNetwork(): NetworkSettings | null {
  if (typeof window === 'undefined' || typeof navigator === 'undefined') return null;
  return { target: window, isOnline: () => navigator.onLine };
}

export function createTetherClient(options: TetherClientOptions = {}): LocalTetherClient {
  const baseUrl = (options.url ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(baseUrl))
    throw new Error(
      'createTetherClient: `url` must be an http(s) URL (there is no location to default to)',
    );
  const WebSocket: WebSocketConstructor | null =
    options.WebSocket === undefined ? (globalThis.WebSocket ?? null) : options.WebSocket;
  const fetch: FetchLike | null =
    options.fetch === undefined ? (globalThis.fetch?.bind(globalThis) ?? null) : options.fetch;
  const random = options.random ?? Math.random;
  const generateId = options.generateId ?? defaultId;
  const polling = options.polling === false ? null : (options.polling ?? {});
  const now = options.now ?? Date.now;
  const { getToken, token: fixedToken } = options;
  const credentials = getToken
    ? new Credentials(getToken, options.onTokenRenewed)
    : fixedToken !== undefined
      ? new Credentials(() => fixedToken, options.onTokenRenewed)
      : null;
  const pacer = new SendPacer({ ...DEFAULT_SEND_RATE, ...options.sendRate }, now);

  // Topic frames go from the transports straight to the subscriptions (frame-router.ts).
  let running: ConnectionActorRef | null = null;
  // A snapshot's `children` is a new object whenever a child is spawned or stopped: while it is the
  // same, the refs found for it hold, and a frame costs a lookup by its topic, not a new id string.
  let children: ConnectionChildren | undefined;
  const found = new Map<string, SubscriptionActorRef | undefined>();
  const router = createFrameRouter((topic) => {
    const now = running?.getSnapshot().children;
    if (now !== children) {
      children = now;
      found.clear();
    }
    let ref = found.get(topic);
    if (!ref) found.set(topic, (ref = now?.[subscriptionId(topic)]));
    return ref;
  });
  const batchWindowMs = options.batchWindowMs ?? 0;
  const frames = options.handover === 'task' ? null : browserFrames();
  const webSocketSettings: WebSocketSettings | null = WebSocket && {
    url: `${baseUrl.replace(/^http/, 'ws')}/ws`,
    WebSocket,
    topics: router,
    credentials,
    pacer,
    frames,
    batchWindowMs,
    now,
  };
  const pollingSettings: PollingSettings | null = polling &&
    fetch && {
      baseUrl,
      fetch,
      clientId: generateId(),
      waitMs: polling.waitMs ?? DEFAULT_POLL_WAIT_MS,
      minIntervalMs: polling.minIntervalMs ?? DEFAULT_POLL_MIN_INTERVAL_MS,
      retry: { baseMs: 1_000, capMs: 30_000, ...polling.retry },
      random,
      credentials,
      cursors: () => (running ? cursorsOf(running.getSnapshot().children) : []),
      topics: router,
    };
  const networkSettings: NetworkSettings | null =
    options.network === false ? null : (options.network ?? browserNetwork());

  const pageSettings: PageLifecycleSettings | null =
    options.page === false ? null : (options.page ?? browserPage(now));

  const logic = createConnectionMachine({
    random,
    now,
    isTerminalClose,
  }).provide({
    // Without settings a transport is never started (the machine's guards see it is missing).
    actors: {
      ...(webSocketSettings && { webSocketTransport: webSocketTransport(webSocketSettings) }),
      ...(pollingSettings && { pollingTransport: pollingTransport(pollingSettings) }),
      networkStatus: networkStatus(networkSettings),
      pageLifecycle: pageLifecycle(pageSettings),
    },
  });
  const actor = createActor(logic, {
    ...(options.inspect ? { inspect: options.inspect } : {}),
    input: {
      webSocket: webSocketSettings !== null,
      polling: pollingSettings !== null,
      heartbeatMs: options.heartbeatMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      checkTimeoutMs: options.checkTimeoutMs,
      backoff: options.backoff,
      probe: polling?.probe,
      ackTimeoutMs: options.ackTimeoutMs,
    },
  });
  running = actor;
  const refresh = tokenRefresher(actor, credentials, now);
  actor.start();
  actor.send({ type: 'CONNECT' });

  const outbox = actor.getSnapshot().children.outbox;
  if (!outbox) throw new Error('createTetherClient: the connection machine has no outbox');
  // One view source per subscription actor, shared by every holder of its topic.
  const topicViews = new WeakMap<SubscriptionActorRef, ViewSource<SubscriptionView>>();
  const topicView = (ref: SubscriptionActorRef) => {
    let view = topicViews.get(ref);
    if (!view) topicViews.set(ref, (view = snapshotViews(ref, subscriptionView)));
    return view;
  };

  const client: LocalTetherClient = {
    actor,
    connection: snapshotViews(actor, connectionView),
    // The outbox is invoked by the root actor for its whole life, so its ref is read once.
    outbox: snapshotViews(outbox, outboxView, sameOutboxView),
    subscribe(topic) {
      actor.send({ type: 'SUBSCRIBE', topic });
      const ref = actor.getSnapshot().children[subscriptionId(topic)];
      if (!ref)
        throw new Error(`createTetherClient: cannot subscribe to "${topic}" on a stopped client`);
      let held = true;
      return {
        view: topicView(ref),
        ref,
        release() {
          if (!held) return; // releasing twice must not take another holder's reference
          held = false;
          actor.send({ type: 'UNSUBSCRIBE', topic });
        },
      };
    },
    send(topic, payload, options = {}) {
      const id = options.id ?? generateId();
      actor.send({ type: 'ACTION', ...actionRequest(id, topic, payload, options) });
      return id;
    },
    retry: () => actor.send({ type: 'RETRY' }),
    reauthenticate: refresh.now,
    onApplied: router.onApplied,
    stop: () => {
      refresh.stop();
      actor.send({ type: 'STOP' });
    },
  };
  return options.outboxStore ? persistOutbox(client, options.outboxStore) : client;
}

/** How long before a JWT's `exp` a live connection asks getToken for a fresh one (at most half its remaining life). */
const REFRESH_LEAD_MS = 60_000;
/** Least time between two refreshes (a getToken that keeps giving the same token is asked again after this). */
const REFRESH_MIN_INTERVAL_MS = 1_000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Keeps a live WebSocket's credential fresh: while connected, shortly before the token's `exp`,
 * asks getToken and sends a changed token in a fresh hello. (Reconnects ask getToken anyway.)
 */
function tokenRefresher(
  actor: ConnectionActorRef,
  credentials: Credentials | null,
  now: () => number,
) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connected = () => actor.getSnapshot().matches({ websocket: 'connected' });
  const schedule = () => {
    clearTimeout(timer);
    timer = undefined;
    const expiresAt = tokenExpiry(credentials?.current);
    if (expiresAt === null) return;
    const left = expiresAt - now();
    const delay = Math.max(REFRESH_MIN_INTERVAL_MS, left - Math.min(REFRESH_LEAD_MS, left / 2));
    timer = setTimeout(
      () => void refreshNow().catch(() => undefined),
      Math.min(delay, MAX_TIMER_MS),
    );
  };
  async function refreshNow(): Promise<void> {
    if (!credentials) return;
    const before = credentials.current;
    const token = await credentials.next();
    if (!connected()) return; // the next connection asks getToken itself
    if (token !== before)
      actor.send({
        type: 'SEND',
        frame: token === undefined ? { type: 'hello' } : { type: 'hello', token, renew: true },
      });
    schedule();
  }
  let wasConnected = false;
  const subscription = credentials
    ? actor.subscribe((snapshot) => {
        const isConnected = snapshot.context.transport === 'websocket'; // cheaper than matches() on every frame
        if (isConnected && !wasConnected) schedule();
        if (!isConnected && wasConnected) clearTimeout(timer);
        wasConnected = isConnected;
      })
    : null;
  return {
    now: refreshNow,
    stop: () => {
      clearTimeout(timer);
      subscription?.unsubscribe();
    },
  };
}

type ConnectionChildren = ReturnType<ConnectionActorRef['getSnapshot']>['children'];
