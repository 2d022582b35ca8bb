import {
  DEFAULT_DASHBOARD_CONFIG,
  DEFAULT_MAX_FRAME_BYTES,
  validateDashboardConfig,
} from '../src/protocol/index.ts';
import type { DashboardConfig } from '../src/protocol/index.ts';
import { DEFAULT_ACTION_DEDUPE_SIZE } from './actions.ts';
import type { AuthOptions } from './auth.ts';
import type { Broker } from './broker/broker.ts';
import type { RedisBrokerOptions } from './broker/redis-broker.ts';
import { resolveTopicLimits } from './limits.ts';
import type { TopicLimits } from './limits.ts';
import { DEFAULT_ALLOWED_ORIGINS } from './origin.ts';
import { DEFAULT_HISTORY_LENGTH } from './topic.ts';

export interface TetherServerOptions {
  /** Patch frames kept per topic for resuming clients (default 1000). */
  historyLength?: number;
  /**
   * What every topic may hold (a topic's own `limits` override them): `maxDepth` nesting levels
   * (default 64), `maxStateBytes` of state as JSON (default 1 MiB), `maxHistoryBytes` of kept patch
   * frames (default 8 MiB). Changes past them are refused with `too_deep` / `too_large`.
   */
  topicLimits?: Partial<TopicLimits>;
  /** Largest accepted client frame or POST body, in bytes (default 64 KiB). */
  maxFrameBytes?: number;
  /** Heartbeat interval advertised in `welcome` (default 25 s). */
  heartbeatMs?: number;
  /** A WebSocket silent for this long is closed with 4408 (default 60 s). */
  heartbeatTimeoutMs?: number;
  /** Per-connection token bucket for client frames (default 100 frames/s, burst 200). */
  rateLimit?: { framesPerSecond?: number; burst?: number };
  /** Close with 4400 after this many bad frames within the window (default 20 within 10 s). */
  badFrameLimit?: { count?: number; windowMs?: number };
  /** A connection whose unsent bytes exceed this is dropped with 4429 (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Action ids remembered for deduplication (default 10,000). */
  actionDedupeSize?: number;
  /** Directory of static files to serve (the built dashboard); `false` or unset serves none. */
  staticDir?: string | false;
  /** `false` refuses every WebSocket upgrade with 503, leaving HTTP polling as the only transport. */
  websocket?: boolean;
  /** Where unexpected failures (action handlers, socket errors) are reported (default console.error). */
  onError?: (error: unknown, where: string) => void;
  /**
   * The publisher credential for `POST /api/publish`: sent as `Authorization: Bearer <key>`, at
   * least 16 characters. Several keys are accepted side by side (for rotation). Without a key the
   * endpoint is disabled (403). Viewer credentials never grant publishing.
   */
  publishKey?: string | readonly string[];
  /** Largest `POST /api/publish` body, in bytes (default 1 MiB; a `data` publish carries a whole state). */
  maxPublishBytes?: number;
  /**
   * Served as `GET /dashboard.json` (validated here). Default: the host-metrics dashboard, served
   * only when the server also serves the dashboard (`staticDir` is set).
   */
  dashboard?: DashboardConfig;
  /**
   * Viewer authentication (docs/security.md): JWTs in `hello.token` and `Authorization: Bearer`,
   * verified with a secret (HS256), a public key or a JWKS URL; topic permissions from the
   * `tether` claim. `false`, the library's default, serves everyone everything, and `listen` then
   * refuses any address but loopback. `'off'` says so on purpose: an open server on any address
   * (with a warning). The CLI turns auth on by default.
   */
  auth?: AuthOptions | false | 'off';
  /**
   * Browser origins allowed besides the server's own (WebSocket upgrades, CORS for /api/*).
   * Entries are `scheme://host[:port]` or `scheme://host:*` (default none: only the server's own
   * origin). Requests without an Origin (tools) are not affected.
   */
  allowedOrigins?: readonly string[];
  /**
   * Host names the server is reached by, besides IP addresses and `localhost` (server/origin.ts,
   * against DNS rebinding): `dash.example.com`, `.example.com` for every subdomain, `*` for any
   * name. Other `Host` headers are refused with 403 on HTTP and on upgrade (default none).
   */
  publicHosts?: readonly string[];
  /** Topics one WebSocket connection may hold (default 256); more get `too_many_subscriptions`. */
  maxSubscriptions?: number;
  /** WebSocket connections from one address (default 64); more get `too_many_connections` and close 1013. */
  maxConnectionsPerIp?: number;
  /** Addresses exempt from `maxConnectionsPerIp` (default loopback: behind a local reverse proxy every client has its address). */
  connectionLimitExempt?: readonly string[];
  /**
   * Reverse proxies whose `X-Forwarded-For` is believed (their addresses, e.g. `['127.0.0.1']` for
   * nginx on the same host). The client address then comes from that header, so the per-address
   * limits apply to clients rather than to the proxy (default none: the peer's address counts).
   */
  trustedProxies?: readonly string[];
  /** Long polls held at once per subject (with auth) or per client address (default 16); more get 429. */
  maxHeldPolls?: number;
  /** Time to receive a request's headers, and the whole request, before Node closes it (default 10 s, 20 s; `listen` only). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** With auth on, a WebSocket that has not authenticated after this long is closed with 4401 (default 10 s). */
  helloTimeoutMs?: number;
  /**
   * Keep topics, history, action ids and source leases in Redis (`redis://host:6379`), so several
   * server nodes serve the same topics (docs/cluster.md). Default: everything in this process.
   */
  redisUrl?: string;
  /** Tuning for the Redis broker: `keyPrefix` (default `tether:`), `leaseMs` (3000), `unavailableAfterMs` (1000). */
  redis?: Omit<RedisBrokerOptions, 'url' | 'onError'>;
  /** A broker of your own (server/broker/broker.ts); overrides `redisUrl`. The server closes it on close. */
  broker?: Broker;
  /**
   * Keep topics, history and action replies in an SQLite database in this directory (created
   * with mode 0700), so they survive a restart (docs/server.md § Data). Default: in this process
   * only. `redisUrl` and `broker` take precedence.
   */
  dataDir?: string;
}

export type ResolvedOptions = Required<
  Omit<
    TetherServerOptions,
    | 'rateLimit'
    | 'badFrameLimit'
    | 'topicLimits'
    | 'publishKey'
    | 'dashboard'
    | 'connectionLimitExempt'
    | 'trustedProxies'
    | 'redisUrl'
    | 'redis'
    | 'broker'
    | 'dataDir'
  >
> & {
  /** Normalized (IPv4-mapped IPv6 addresses as IPv4). */
  connectionLimitExempt: ReadonlySet<string>;
  /** Normalized like connectionLimitExempt. */
  trustedProxies: ReadonlySet<string>;
  rateLimit: { framesPerSecond: number; burst: number };
  topicLimits: Readonly<TopicLimits>;
  badFrameLimit: { count: number; windowMs: number };
  publishKeys: readonly string[];
  /** null: `/dashboard.json` is not ours to answer. */
  dashboard: DashboardConfig | null;
};

export const DEFAULT_MAX_PUBLISH_BYTES = 1024 * 1024;
export const MIN_PUBLISH_KEY_LENGTH = 16;

export function resolveOptions(options: TetherServerOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    historyLength: options.historyLength ?? DEFAULT_HISTORY_LENGTH,
    topicLimits: resolveTopicLimits(options.topicLimits),
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    heartbeatMs: options.heartbeatMs ?? 25_000,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 60_000,
    rateLimit: {
      framesPerSecond: options.rateLimit?.framesPerSecond ?? 100,
      burst: options.rateLimit?.burst ?? 200,
    },
    badFrameLimit: {
      count: options.badFrameLimit?.count ?? 20,
      windowMs: options.badFrameLimit?.windowMs ?? 10_000,
    },
    maxBufferedBytes: options.maxBufferedBytes ?? 4 * 1024 * 1024,
    actionDedupeSize: options.actionDedupeSize ?? DEFAULT_ACTION_DEDUPE_SIZE,
    staticDir: options.staticDir ?? false,
    websocket: options.websocket ?? true,
    onError: options.onError ?? ((error, where) => console.error(`tether: ${where}:`, error)),
    maxPublishBytes: options.maxPublishBytes ?? DEFAULT_MAX_PUBLISH_BYTES,
    publishKeys: resolvePublishKeys(options.publishKey),
    dashboard: resolveDashboard(options),
    auth: options.auth ?? false,
    allowedOrigins: options.allowedOrigins ?? DEFAULT_ALLOWED_ORIGINS,
    publicHosts: options.publicHosts ?? [],
    maxSubscriptions: options.maxSubscriptions ?? 256,
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? 64,
    connectionLimitExempt: new Set(
      (options.connectionLimitExempt ?? ['127.0.0.1', '::1']).map(normalizeAddress),
    ),
    helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    trustedProxies: new Set((options.trustedProxies ?? []).map(normalizeAddress)),
    maxHeldPolls: options.maxHeldPolls ?? 16,
    headersTimeoutMs: options.headersTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 20_000,
  };
  const positive: [string, number][] = [
    ['maxFrameBytes', resolved.maxFrameBytes],
    ['heartbeatMs', resolved.heartbeatMs],
    ['heartbeatTimeoutMs', resolved.heartbeatTimeoutMs],
    ['rateLimit.framesPerSecond', resolved.rateLimit.framesPerSecond],
    ['rateLimit.burst', resolved.rateLimit.burst],
    ['badFrameLimit.count', resolved.badFrameLimit.count],
    ['badFrameLimit.windowMs', resolved.badFrameLimit.windowMs],
    ['maxBufferedBytes', resolved.maxBufferedBytes],
    ['actionDedupeSize', resolved.actionDedupeSize],
    ['maxPublishBytes', resolved.maxPublishBytes],
    ['maxSubscriptions', resolved.maxSubscriptions],
    ['helloTimeoutMs', resolved.helloTimeoutMs],
    ['maxHeldPolls', resolved.maxHeldPolls],
    ['headersTimeoutMs', resolved.headersTimeoutMs],
    ['requestTimeoutMs', resolved.requestTimeoutMs],
    ['topicLimits.maxDepth', resolved.topicLimits.maxDepth],
    ['topicLimits.maxStateBytes', resolved.topicLimits.maxStateBytes],
    ['topicLimits.maxHistoryBytes', resolved.topicLimits.maxHistoryBytes],
  ];
  for (const [name, value] of positive) {
    if (!(Number.isFinite(value) && value > 0))
      throw new RangeError(`${name} must be a positive number, got ${value}`);
  }
  if (!(resolved.maxConnectionsPerIp >= 1))
    throw new RangeError(
      `maxConnectionsPerIp must be at least 1 (Infinity: no limit), got ${resolved.maxConnectionsPerIp}`,
    );
  if (!Number.isInteger(resolved.historyLength) || resolved.historyLength < 0) {
    throw new RangeError(
      `historyLength must be a non-negative integer, got ${resolved.historyLength}`,
    );
  }
  return resolved;
}

/** `::ffff:10.0.0.1` (how a dual-stack socket reports IPv4 peers) → `10.0.0.1`. */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function resolvePublishKeys(option: TetherServerOptions['publishKey']): readonly string[] {
  const keys = option === undefined ? [] : typeof option === 'string' ? [option] : [...option];
  for (const key of keys) {
    // Printable ASCII: it travels in an HTTP header.
    if (
      typeof key !== 'string' ||
      key.length < MIN_PUBLISH_KEY_LENGTH ||
      !/^[\x21-\x7e]+$/.test(key)
    ) {
      throw new RangeError(
        `a publish key is at least ${MIN_PUBLISH_KEY_LENGTH} printable ASCII characters without spaces (e.g. \`openssl rand -hex 32\`)`,
      );
    }
  }
  return keys;
}

function resolveDashboard(options: TetherServerOptions): DashboardConfig | null {
  if (options.dashboard === undefined) return options.staticDir ? DEFAULT_DASHBOARD_CONFIG : null;
  const checked = validateDashboardConfig(options.dashboard);
  if (!checked.ok) throw new TypeError(`dashboard: ${checked.message}`);
  return checked.config;
}
