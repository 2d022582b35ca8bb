import type { ErrorInfo, InboundFrame, PatchApplier, Position, SendEvent } from './wire.ts';

/** Events the WebSocket transport actor sends its parent. */
export type SocketEvent =
  | { type: 'SOCKET.OPENED' }
  | { type: 'SOCKET.FRAMES'; frames: readonly InboundFrame[] }
  | { type: 'SOCKET.BAD_FRAME'; message: string }
  | { type: 'SOCKET.CLOSED'; code: number; reason: string };

/**
 * Events the HTTP polling transport actor sends its parent. `POLL.FRAMES` also proves the link
 * works, and says which topics the server has now answered completely.
 */
export type PollEvent =
  | { type: 'POLL.FRAMES'; frames: readonly InboundFrame[]; topics: readonly string[] }
  | { type: 'POLL.ERROR'; message: string }
  | { type: 'POLL.REFUSED'; code: string; message: string };

/** Events the network status actor sends its parent. */
export type NetworkEvent = { type: 'NETWORK.ONLINE' } | { type: 'NETWORK.OFFLINE' };

/** Commands from the outside (createTetherClient, UIs). */
export type ConnectionCommand =
  | { type: 'CONNECT' }
  | { type: 'SUBSCRIBE'; topic: string }
  | { type: 'UNSUBSCRIBE'; topic: string }
  | { type: 'ACTION'; id: string; topic: string; payload: unknown }
  | { type: 'RETRY' }
  | { type: 'STOP' };

export type ConnectionEvent = ConnectionCommand | SocketEvent | PollEvent | NetworkEvent | SendEvent;

/** Where polling resumes a topic; read from the subscriptions when each request is made. */
export interface TopicCursor {
  topic: string;
  since: Position | null;
}

/**
 * Whatever the runtime needs to reach the server (URL, WebSocket constructor, fetch). The machine
 * hands it to the transport untouched and never looks inside; the transport actor (src/client)
 * names its concrete type. `any`, not `unknown`, because provide() compares actor inputs
 * contravariantly and would refuse a transport that names the concrete type.
 */
export type TransportSettings = any;

export interface TransportInput {
  settings: TransportSettings;
}
export interface PollingInput extends TransportInput {
  cursors: () => TopicCursor[];
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

export interface ConnectionInput {
  /** Settings for the `webSocketTransport` actor; `null` when WebSocket is unavailable. */
  webSocket: TransportSettings;
  /** Settings for the `pollingTransport` actor; `null` disables fallback polling. */
  polling: TransportSettings;
  /** Settings for the `networkStatus` actor; `null` when there is nothing to listen to. */
  network?: TransportSettings;
  token?: string;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  backoff?: Partial<BackoffSettings>;
  /** Schedule of WebSocket probes while polling. */
  probe?: { baseMs?: number; capMs?: number };
  ackTimeoutMs?: number;
  random: () => number;
  now: () => number;
  applyPatch: PatchApplier;
  /** Close codes that mean "do not retry" (src/protocol's isTerminalClose). */
  isTerminalClose: (code: number) => boolean;
}

export interface ConnectionContext {
  settings: { webSocket: TransportSettings; polling: TransportSettings; network: TransportSettings };
  token: string | undefined;
  /** Ping interval; the server's `welcome` may change it. */
  heartbeatMs: number;
  /** No frame for this long means the link is dead, whatever the socket says. */
  heartbeatTimeoutMs: number;
  backoff: BackoffSettings;
  probe: { baseMs: number; capMs: number };
  ackTimeoutMs: number | undefined;
  random: () => number;
  now: () => number;
  applyPatch: PatchApplier;
  isTerminalClose: (code: number) => boolean;
  /** Reconnect attempts since the link was last up. */
  attempt: number;
  /** Whether a WebSocket has reached `connected` in this session (see `maxAttemptsUntilOpen`). */
  webSocketWorked: boolean;
  /** WebSocket probes made while polling. */
  probeAttempt: number;
  /** The delay chosen for the pending retry or probe; the `after` timer reads it, so UI and timer agree. */
  retryDelayMs: number;
  nextRetryAt: number | null;
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
  backoff: { baseMs: 1_000, capMs: 30_000, maxAttempts: 10, maxAttemptsUntilOpen: 2 },
  probe: { baseMs: 5_000, capMs: 30_000 },
} as const;

export const subscriptionId = (topic: string): `sub:${string}` => `sub:${topic}`;

/** The reconnect attempts allowed now: fewer while WebSocket has never worked and polling can take over. */
export function attemptLimit(context: ConnectionContext): number {
  const { maxAttempts, maxAttemptsUntilOpen } = context.backoff;
  const polling = context.settings.polling != null;
  return context.webSocketWorked || !polling ? maxAttempts : Math.min(maxAttempts, maxAttemptsUntilOpen);
}

export function initialContext(input: ConnectionInput): ConnectionContext {
  return {
    settings: { webSocket: input.webSocket, polling: input.polling, network: input.network ?? null },
    token: input.token,
    heartbeatMs: input.heartbeatMs ?? DEFAULTS.heartbeatMs,
    heartbeatTimeoutMs: input.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs,
    backoff: { ...DEFAULTS.backoff, ...input.backoff },
    probe: { ...DEFAULTS.probe, ...input.probe },
    ackTimeoutMs: input.ackTimeoutMs,
    random: input.random,
    now: input.now,
    applyPatch: input.applyPatch,
    isTerminalClose: input.isTerminalClose,
    attempt: 0,
    webSocketWorked: false,
    probeAttempt: 0,
    retryDelayMs: 0,
    nextRetryAt: null,
    lastError: null,
    transport: null,
    latencyMs: null,
    syncPingAt: null,
    online: true,
    refcounts: {},
  };
}
