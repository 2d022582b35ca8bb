/** What a UI needs to know, derived from actor snapshots by the functions in views.ts. */

export type ConnectionStatus =
  | 'idle'
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'polling'
  | 'unreachable'
  | 'offline'
  | 'failed'
  | 'suspended'
  | 'closed';
export type TransportKind = 'websocket' | 'polling';
export interface ErrorInfo {
  code: string;
  message: string;
}

export interface ConnectionView {
  status: ConnectionStatus;
  transport: TransportKind | null;
  /** Reconnect attempts made since the link was last up (0 while connected). */
  attempt: number;
  maxAttempts: number;
  /** When the next reconnect, or the next WebSocket probe while polling, fires (ms since the Unix epoch). */
  nextRetryAt: number | null;
  /** While the server is `unreachable`: when the next poll is tried (ms since the Unix epoch). */
  nextPollAt: number | null;
  /** While polling (`polling`, `unreachable`): when a poll was last answered; otherwise `null`. */
  lastHeardAt: number | null;
  /** Round trip of the last ping, ms. */
  latencyMs: number | null;
  lastError: ErrorInfo | null;
  /** Dotted state path, e.g. `connected.heartbeat.waiting`, for the in-app state panel. */
  statePath: string;
}

export type SubscriptionStatus =
  'pending' | 'subscribing' | 'live' | 'resyncing' | 'stale' | 'error';

export interface SubscriptionView<T = unknown> {
  topic: string;
  status: SubscriptionStatus;
  /** Immutable, structurally shared: a new reference means the data changed. */
  data: T | undefined;
  epoch: string | null;
  seq: number | null;
  /** When data last changed, ms since the Unix epoch (client clock). */
  updatedAt: number | null;
  /** When the subscription went stale, ms since the Unix epoch. */
  staleSince: number | null;
  error: ErrorInfo | null;
  statePath: string;
}

/** The topic position an action was made against. */
export interface ActionPosition {
  epoch: string;
  seq: number;
}
/** A field that changed since an action's base, with its current value on the server (absent: gone). */
export interface FieldConflict {
  path: string;
  value?: unknown;
}
export interface PendingAction {
  id: string;
  topic: string;
  payload: unknown;
  /** With `fields`: the server merges the action per field (docs/protocol.md § Merging concurrent edits). */
  base?: ActionPosition;
  fields?: string[];
  state: 'queued' | 'sent';
}
export interface RefusedAction {
  id: string;
  topic: string;
  payload: unknown;
  base?: ActionPosition;
  fields?: string[];
  code: string;
  message: string;
  /** On `conflict` / `stale_base` of a merged action: its fields that changed, with the server's values ("theirs"). */
  conflicts?: FieldConflict[];
  at: number;
}
export interface OutboxView {
  pending: PendingAction[];
  refused: RefusedAction[];
}
