import type { ActionRequest, ControlFrame, ErrorInfo, Position, SendEvent } from './wire.ts';

/** Events the WebSocket transport actor sends its parent. */
export type SocketEvent =
  | { type: 'SOCKET.OPENED' }
  /**
   * One hand-over of frames, after the transport gave its topic frames to their subscriptions:
   * only the control frames (welcome, pong, ack, nack, error) come along, possibly none (the batch
   * still proves the link). When the batch's last frame (`receivedAt`) and last pong (`pongAt`)
   * arrived, on the client's clock: a batch can be handed over later (once per display frame, or
   * after the tab was frozen), and the link was heard, and a round trip ended, on arrival.
   */
  | { type: 'SOCKET.FRAMES'; frames: readonly ControlFrame[]; receivedAt?: number; pongAt?: number }
  | { type: 'SOCKET.BAD_FRAME'; message: string }
  | { type: 'SOCKET.CLOSED'; code: number; reason: string };

/**
 * Events the HTTP polling transport actor sends its parent. `POLL.ANSWERED` (an answer came: the
 * link works) precedes the answer's topic frames, which the transport gives to their
 * subscriptions; `POLL.FRAMES` follows them with the answer's control frames and the topics the
 * server has now answered completely.
 */
export type PollEvent =
  | { type: 'POLL.ANSWERED' }
  | { type: 'POLL.FRAMES'; frames: readonly ControlFrame[]; topics: readonly string[] }
  /** `retryAt`: when the transport polls again (client clock), so the UI can say when. */
  | { type: 'POLL.ERROR'; message: string; retryAt?: number }
  | { type: 'POLL.REFUSED'; code: string; message: string };

/** Events the network status actor sends its parent. */
export type NetworkEvent = { type: 'NETWORK.ONLINE' } | { type: 'NETWORK.OFFLINE' };

/**
 * Events the page lifecycle actor sends its parent. `LINK.CHECK`: the page became visible or the
 * machine woke from sleep, so timers may have been frozen or throttled: ask the server now rather
 * than trust (or distrust) the link. `PAGE.HIDE`: the page is being unloaded or put in the
 * back/forward cache; `PAGE.SHOW`: it came back from that cache.
 */
export type PageEvent = { type: 'LINK.CHECK' } | { type: 'PAGE.HIDE' } | { type: 'PAGE.SHOW' };

/** Commands from the outside (createTetherClient, UIs). */
export type ConnectionCommand =
  | { type: 'CONNECT' }
  | { type: 'SUBSCRIBE'; topic: string }
  | { type: 'UNSUBSCRIBE'; topic: string }
  | ({ type: 'ACTION' } & ActionRequest)
  | { type: 'RETRY' }
  | { type: 'STOP' };

export type ConnectionEvent =
  ConnectionCommand | SocketEvent | PollEvent | NetworkEvent | PageEvent | SendEvent;

/** Where polling resumes a topic; read from the subscriptions when each request is made. */
export interface TopicCursor {
  topic: string;
  since: Position | null;
}

export interface BackoffSettings {
  baseMs: number;
  capMs: number;
  /** Reconnect attempts before polling takes over (or `failed`, without polling). */
  maxAttempts: number;
  /**
   * The attempts a WebSocket gets while it has never worked in this session, when polling can
   * take over. A browser cannot tell a refused upgrade (a proxy, a server without WebSocket)
   * from a network error, but a socket that never opens is most likely refused: poll instead of
   * waiting out the whole schedule, and keep probing.
   */
  maxAttemptsUntilOpen: number;
}

/**
 * What the connection needs from the world beyond its actors: supplied by its creator
 * (createConnectionMachine), so the context holds data only.
 */
export interface ConnectionEnvironment {
  random: () => number;
  now: () => number;
  /** Close codes that mean "do not retry" (src/protocol's isTerminalClose). */
  isTerminalClose: (code: number) => boolean;
}

export interface ConnectionInput {
  /** Whether the `webSocketTransport` actor can open a socket (false: WebSocket is unavailable). */
  webSocket: boolean;
  /** Whether the `pollingTransport` actor can poll (false: no fallback polling). */
  polling: boolean;
  token?: string;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  /**
   * How long a liveness check (a ping after silence, on wake, on visible, on online) may go
   * unanswered. Default a quarter of `heartbeatTimeoutMs`, at most 5 s.
   */
  checkTimeoutMs?: number;
  backoff?: Partial<BackoffSettings>;
  /** Schedule of WebSocket probes while polling. */
  probe?: { baseMs?: number; capMs?: number };
  ackTimeoutMs?: number;
}

/** What the connection was created with: nothing here changes afterwards. */
export interface ConnectionConfig {
  webSocket: boolean;
  polling: boolean;
  token: string | undefined;
  /** The last part of `heartbeatTimeoutMs`, spent waiting for a check ping's pong (see there). */
  checkTimeoutMs: number;
  backoff: BackoffSettings;
  probe: { baseMs: number; capMs: number };
  ackTimeoutMs: number | undefined;
}

/**
 * Keep this to at most 17 keys (tests/unit/connection.test.ts checks it): XState's `assign` copies
 * the whole context on every batch of frames (`recordHeard`), and a wider object is copied far more
 * slowly (docs/architecture.md § Decisions). Hence the fixed settings live in one `config` object.
 */
export interface ConnectionContext {
  config: ConnectionConfig;
  /** Ping interval; the server's `welcome` may change it. */
  heartbeatMs: number;
  /**
   * No frame for this long means the link is dead, whatever the socket says; but the last
   * `checkTimeoutMs` of it are a check: after `heartbeatTimeoutMs − checkTimeoutMs` of silence a
   * ping goes out, and only its going unanswered kills the link. (A silence timer that fires late
   * in a throttled background tab or after sleep must not kill a healthy link.)
   */
  heartbeatTimeoutMs: number;
  /** When the server was last heard from: any frame on the live WebSocket, or a poll's answer. */
  lastHeardAt: number;
  /** Whether anything was heard since the silence timer was last armed. */
  heard: boolean;
  /** When the pending liveness check's ping was sent; its pong (t ≥ this) ends the check. */
  checkPingAt: number | null;
  /** Reconnect attempts since the link was last up. */
  attempt: number;
  /** Whether a WebSocket has reached `connected` in this session (see `maxAttemptsUntilOpen`). */
  webSocketWorked: boolean;
  /** WebSocket probes made while polling. */
  probeAttempt: number;
  /** The delay chosen for the pending retry or probe; the `after` timer reads it, so UI and timer agree. */
  retryDelayMs: number;
  nextRetryAt: number | null;
  /** While polls fail: when the polling transport tries again. */
  nextPollAt: number | null;
  lastError: ErrorInfo | null;
  /** The transport the link is up on, `null` while there is no link. */
  transport: 'websocket' | 'polling' | null;
  latencyMs: number | null;
  /**
   * When the last sync ping was sent. The server answers frames in order, so the pong of a ping
   * sent right after a resuming `subscribe` proves the server has sent all it had for it.
   */
  syncPingAt: number | null;
  /** What the network status actor last said. */
  online: boolean;
  /** Widgets holding each topic; a topic's subscription lives while its count is positive. */
  refcounts: Record<string, number>;
}

export const DEFAULTS = {
  heartbeatMs: 25_000,
  heartbeatTimeoutMs: 60_000,
  checkTimeoutMs: 5_000,
  backoff: { baseMs: 1_000, capMs: 30_000, maxAttempts: 10, maxAttemptsUntilOpen: 2 },
  probe: { baseMs: 5_000, capMs: 30_000 },
} as const;

export const subscriptionId = (topic: string): `sub:${string}` => `sub:${topic}`;

/** The reconnect attempts allowed now: fewer while WebSocket has never worked and polling can take over. */
export function attemptLimit(context: ConnectionContext): number {
  const { maxAttempts, maxAttemptsUntilOpen } = context.config.backoff;
  return context.webSocketWorked || !context.config.polling
    ? maxAttempts
    : Math.min(maxAttempts, maxAttemptsUntilOpen);
}

export function initialContext(input: ConnectionInput): ConnectionContext {
  const heartbeatTimeoutMs = input.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs;
  return {
    config: {
      webSocket: input.webSocket,
      polling: input.polling,
      token: input.token,
      checkTimeoutMs:
        input.checkTimeoutMs ?? Math.min(DEFAULTS.checkTimeoutMs, heartbeatTimeoutMs / 4),
      backoff: { ...DEFAULTS.backoff, ...input.backoff },
      probe: { ...DEFAULTS.probe, ...input.probe },
      ackTimeoutMs: input.ackTimeoutMs,
    },
    heartbeatMs: input.heartbeatMs ?? DEFAULTS.heartbeatMs,
    heartbeatTimeoutMs,
    lastHeardAt: 0,
    heard: false,
    checkPingAt: null,
    attempt: 0,
    webSocketWorked: false,
    probeAttempt: 0,
    retryDelayMs: 0,
    nextRetryAt: null,
    nextPollAt: null,
    lastError: null,
    transport: null,
    latencyMs: null,
    syncPingAt: null,
    online: true,
    refcounts: {},
  };
}
