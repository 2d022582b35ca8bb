import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { MIN_SECRET_LENGTH, createAuthenticator } from './auth.ts';
import type { AuthOptions } from './auth.ts';
import { defaultDataDir } from './data-dir.ts';
import { readDashboardFile, readTopicsFile } from './config-files.ts';
import type { TopicFileEntry } from './config-files.ts';
import type { TetherServerOptions } from './options.ts';
import { HostPolicy, OriginPolicy } from './origin.ts';

export interface CliConfig {
  port: number;
  host: string;
  sampleMs: number;
  /**
   * Where topics, history, action replies and the generated login secret are kept
   * (TETHER_DATA_DIR, default the per-user state directory); null: in memory only (`:memory:`).
   */
  dataDir: string | null;
  server: TetherServerOptions;
  /** Extra topics from the file named by TETHER_TOPICS, defined after the host metrics. */
  topics?: TopicFileEntry[];
  /**
   * Viewer authentication. `server.auth` is set when tokens come from elsewhere (a secret, a public
   * key, a JWKS URL); with `generateSecret` the CLI makes a random secret itself. `loginLink`: print
   * a login link with a token signed by the secret (only possible with a secret).
   */
  login: { generateSecret: boolean; loginLink: boolean };
}

/**
 * Reads the CLI's environment (and the files TETHER_TOPICS and TETHER_DASHBOARD name); a malformed
 * value is an error, never silently a default.
 */
export function readEnv(env: NodeJS.ProcessEnv): CliConfig {
  const int = (
    name: string,
    fallback: number,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max)
      throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  const optionalInt = (name: string, min: number) => (env[name] ? int(name, 0, min) : undefined);
  const auth = readAuth(env);
  const dataDir = readDataDir(env);
  return {
    port: int('PORT', 8080, 0, 65535),
    // Loopback by default: exposing the server beyond this machine is an explicit choice (HOST=0.0.0.0).
    host: env.HOST || '127.0.0.1',
    sampleMs: int('TETHER_SAMPLE_MS', 1000, 10),
    dataDir,
    server: {
      ...(dataDir !== null ? { dataDir } : {}),
      historyLength: optionalInt('TETHER_HISTORY', 0),
      heartbeatMs: optionalInt('TETHER_HEARTBEAT_MS', 1),
      heartbeatTimeoutMs: optionalInt('TETHER_HEARTBEAT_TIMEOUT_MS', 1),
      websocket: env.TETHER_NO_WEBSOCKET !== '1',
      ...(env.TETHER_STATIC_DIR ? { staticDir: env.TETHER_STATIC_DIR } : {}),
      // Comma-separated, so a new key can be added before the old one is retired.
      ...(env.TETHER_PUBLISH_KEY ? { publishKey: publishKeys(env.TETHER_PUBLISH_KEY) } : {}),
      ...(env.TETHER_DASHBOARD ? { dashboard: readDashboardFile(env.TETHER_DASHBOARD) } : {}),
      ...(auth.options !== undefined ? { auth: auth.options } : {}),
      ...(env.TETHER_ALLOWED_ORIGINS
        ? { allowedOrigins: allowedOrigins(env.TETHER_ALLOWED_ORIGINS) }
        : {}),
      ...(env.TETHER_TRUSTED_PROXIES
        ? { trustedProxies: trustedProxies(env.TETHER_TRUSTED_PROXIES) }
        : {}),
      ...(env.TETHER_PUBLIC_HOSTS ? { publicHosts: publicHosts(env.TETHER_PUBLIC_HOSTS) } : {}),
      maxConnectionsPerIp: optionalInt('TETHER_MAX_CONNECTIONS_PER_IP', 1),
      maxSubscriptions: optionalInt('TETHER_MAX_SUBSCRIPTIONS', 1),
      ...readTopicLimits(optionalInt),
      ...readRedis(env),
    },
    ...(env.TETHER_TOPICS ? { topics: readTopicsFile(env.TETHER_TOPICS) } : {}),
    login: auth.login,
  };
}

/** TETHER_DATA_DIR: a directory, or `:memory:` to keep nothing across restarts. */
function readDataDir(env: NodeJS.ProcessEnv): string | null {
  const raw = env.TETHER_DATA_DIR;
  if (raw === ':memory:') return null;
  return resolve(raw || defaultDataDir(env));
}

/** TETHER_MAX_DEPTH, TETHER_MAX_STATE_BYTES, TETHER_MAX_HISTORY_BYTES: what every topic may hold. */
function readTopicLimits(
  optionalInt: (name: string, min: number) => number | undefined,
): Pick<TetherServerOptions, 'topicLimits'> {
  const limits = {
    maxDepth: optionalInt('TETHER_MAX_DEPTH', 1),
    maxStateBytes: optionalInt('TETHER_MAX_STATE_BYTES', 1),
    maxHistoryBytes: optionalInt('TETHER_MAX_HISTORY_BYTES', 1),
  };
  const set = Object.entries(limits).filter(([, value]) => value !== undefined);
  return set.length > 0 ? { topicLimits: Object.fromEntries(set) } : {};
}

/** REDIS_URL shares topics with every node using the same Redis (and TETHER_REDIS_PREFIX). */
function readRedis(env: NodeJS.ProcessEnv): Pick<TetherServerOptions, 'redisUrl' | 'redis'> {
  const url = env.REDIS_URL;
  if (!url) {
    if (env.TETHER_REDIS_PREFIX || env.TETHER_REDIS_LEASE_MS)
      throw new Error('TETHER_REDIS_PREFIX and TETHER_REDIS_LEASE_MS need REDIS_URL');
    return {};
  }
  if (!/^rediss?:\/\/\S+$/.test(url))
    throw new Error(
      `REDIS_URL must look like redis://host:6379 (or rediss:// for TLS), got "${url}"`,
    );
  const prefix = env.TETHER_REDIS_PREFIX;
  if (prefix !== undefined && !/^[\w.:-]{1,64}$/.test(prefix))
    throw new Error('TETHER_REDIS_PREFIX is 1 to 64 letters, digits or . _ : -');
  const leaseText = env.TETHER_REDIS_LEASE_MS;
  if (
    leaseText !== undefined &&
    (!/^\d+$/.test(leaseText) || Number(leaseText) < 100 || Number(leaseText) > 600_000)
  ) {
    throw new Error(
      `TETHER_REDIS_LEASE_MS must be a whole number from 100 to 600000, got "${leaseText}"`,
    );
  }
  const redis = {
    ...(prefix ? { keyPrefix: prefix } : {}),
    ...(leaseText ? { leaseMs: Number(leaseText) } : {}),
  };
  return { redisUrl: url, ...(Object.keys(redis).length > 0 ? { redis } : {}) };
}

/**
 * TETHER_AUTH=off serves everyone (unsafe beyond a trusted machine). Otherwise tokens are verified
 * with TETHER_JWT_SECRET, TETHER_JWT_PUBLIC_KEY_FILE or TETHER_JWT_JWKS_URL (one of them), or, with
 * none, a secret the CLI generates at each start; TETHER_JWT_ISSUER / TETHER_JWT_AUDIENCE add checks.
 */
function readAuth(env: NodeJS.ProcessEnv): {
  options: TetherServerOptions['auth'];
  login: CliConfig['login'];
} {
  const mode = env.TETHER_AUTH || 'on';
  if (mode !== 'on' && mode !== 'off')
    throw new Error(`TETHER_AUTH must be "on" or "off", got "${mode}"`);
  const loginLink = (env.TETHER_LOGIN_LINK || 'on') !== 'off';
  if (mode === 'off') return { options: 'off', login: { generateSecret: false, loginLink: false } };
  const claims = {
    ...(env.TETHER_JWT_ISSUER ? { issuer: env.TETHER_JWT_ISSUER } : {}),
    ...(env.TETHER_JWT_AUDIENCE ? { audience: env.TETHER_JWT_AUDIENCE } : {}),
  };
  const sources = ['TETHER_JWT_SECRET', 'TETHER_JWT_PUBLIC_KEY_FILE', 'TETHER_JWT_JWKS_URL'].filter(
    (name) => env[name],
  );
  if (sources.length > 1) throw new Error(`set only one of ${sources.join(', ')}`);
  if (env.TETHER_JWT_SECRET) {
    if (env.TETHER_JWT_SECRET.length < MIN_SECRET_LENGTH)
      throw new Error(
        `TETHER_JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
      );
    return {
      options: { secret: env.TETHER_JWT_SECRET, ...claims },
      login: { generateSecret: false, loginLink },
    };
  }
  if (env.TETHER_JWT_PUBLIC_KEY_FILE) {
    let publicKey: string;
    try {
      publicKey = readFileSync(env.TETHER_JWT_PUBLIC_KEY_FILE, 'utf8');
    } catch (error) {
      throw new Error(
        `TETHER_JWT_PUBLIC_KEY_FILE: cannot read ${env.TETHER_JWT_PUBLIC_KEY_FILE}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
    return {
      options: checked('TETHER_JWT_PUBLIC_KEY_FILE', { publicKey, ...claims }),
      login: { generateSecret: false, loginLink: false },
    };
  }
  if (env.TETHER_JWT_JWKS_URL) {
    return {
      options: checked('TETHER_JWT_JWKS_URL', { jwksUrl: env.TETHER_JWT_JWKS_URL, ...claims }),
      login: { generateSecret: false, loginLink: false },
    };
  }
  return { options: undefined, login: { generateSecret: true, loginLink } };
}

/** The options as createAuthenticator will see them, refused here with the variable's name. */
function checked(name: string, options: AuthOptions): AuthOptions {
  try {
    createAuthenticator(options);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  return options;
}

const commaList = (raw: string) =>
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

function allowedOrigins(raw: string): string[] {
  const list = raw === 'none' ? [] : commaList(raw);
  try {
    new OriginPolicy(list);
  } catch (error) {
    throw new Error(`TETHER_ALLOWED_ORIGINS: ${(error as Error).message}`);
  }
  return list;
}

function trustedProxies(raw: string): string[] {
  const list = commaList(raw);
  const bad = list.find((entry) => isIP(entry) === 0);
  if (bad !== undefined)
    throw new Error(`TETHER_TRUSTED_PROXIES: "${bad}" is not an IP address (e.g. 127.0.0.1,::1)`);
  return list;
}

function publicHosts(raw: string): string[] {
  const list = commaList(raw);
  try {
    new HostPolicy(list);
  } catch (error) {
    throw new Error(`TETHER_PUBLIC_HOSTS: ${(error as Error).message}`);
  }
  return list;
}

function publishKeys(raw: string): string[] {
  const keys = raw.split(',').map((key) => key.trim());
  if (keys.some((key) => !/^[\x21-\x7e]{16,}$/.test(key))) {
    throw new Error(
      'TETHER_PUBLISH_KEY must be one or more comma-separated keys of at least 16 printable characters (e.g. `openssl rand -hex 32`)',
    );
  }
  return keys;
}
