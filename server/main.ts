import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { MIN_SECRET_LENGTH, mintToken } from './auth.ts';
import { SqliteBroker } from './broker/sqlite-broker.ts';
import { StoreCorruptError } from './broker/sqlite-store.ts';
import { defineConfiguredTopics } from './config-files.ts';
import { DataDirError, ensureDataDir, loadOrCreateSecret } from './data-dir.ts';
import { readEnv } from './env.ts';
import type { CliConfig } from './env.ts';
import { registerHostMetrics } from './sources/index.ts';
import { createTetherServer } from './tether-server.ts';

/** A clean shutdown takes about 2 s at worst (the WebSocket close grace); past this, exit anyway. */
const FORCE_EXIT_MS = 5000;
/** The dashboard `npm run build` produces; TETHER_STATIC_DIR serves another directory. */
const DASHBOARD_DIR = fileURLToPath(new URL('../dist', import.meta.url));
/** Lifetime of the login link's token: a working day (renewed over a live connection). */
const LOGIN_TTL_SEC = 12 * 60 * 60;
/** How long a sign-in lasts at most, renewals included (docs/security.md § Sessions). */
const MAX_SESSION_SEC = 30 * 24 * 60 * 60;

function readConfig(): CliConfig {
  try {
    return readEnv(process.env);
  } catch (error) {
    console.error(`tether: ${(error as Error).message}`);
    process.exit(2);
  }
}

/** Prints one line saying what went wrong and what to do, and exits non-zero. */
function fail(message: string): never {
  console.error(`tether: ${message}`);
  process.exit(1);
}

/** A start-up failure the user can fix, as one line; anything else is rethrown. */
function explain(error: unknown, config: CliConfig): never {
  if (error instanceof DataDirError)
    fail(
      `${error.message}; set TETHER_DATA_DIR to a directory this user can write (or :memory: to keep nothing)`,
    );
  if (error instanceof StoreCorruptError)
    fail(
      `${error.message}; restore a backup, or move the file away to start clean (docs/server.md § Data)`,
    );
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    fail(
      `port ${config.port} on ${config.host} is already in use; stop the program using it or set PORT (e.g. PORT=${config.port + 1})`,
    );
  if (code === 'EACCES' && config.port < 1024)
    fail(`port ${config.port} needs privileges; set PORT to 1024 or above`);
  if (code === 'EADDRNOTAVAIL')
    fail(`HOST ${config.host} is not an address of this machine; set HOST (e.g. 127.0.0.1)`);
  throw error;
}

async function main(): Promise<void> {
  const config = readConfig();
  try {
    await start(config);
  } catch (error) {
    explain(error, config);
  }
}

async function start(config: CliConfig): Promise<void> {
  // No way to verify tokens configured: a generated secret, kept in the data directory so login
  // links and open tabs outlive a restart (with TETHER_DATA_DIR=:memory:, a new one per start).
  if (config.login.generateSecret)
    config.server.auth = {
      secret: config.dataDir
        ? loadOrCreateSecret(ensureDataDir(config.dataDir), MIN_SECRET_LENGTH)
        : randomBytes(32).toString('base64url'),
    };
  // Tokens this CLI signs are renewed over live connections, so a wall screen stays signed in.
  if (typeof config.server.auth === 'object' && config.server.auth.secret !== undefined)
    config.server.auth = { ...config.server.auth, renewal: { maxSessionSec: MAX_SESSION_SEC } };
  const auth = config.server.auth;
  const server = createTetherServer({ staticDir: DASHBOARD_DIR, ...config.server });
  // In a cluster, say which node measures: the host topics describe that node's machine.
  const onSampling = config.server.redisUrl
    ? (sampling: boolean) =>
        console.log(
          sampling
            ? 'tether: this node now samples the host metrics'
            : 'tether: this node stopped sampling the host metrics',
        )
    : undefined;
  registerHostMetrics(server, { sampleMs: config.sampleMs, onSampling });
  try {
    defineConfiguredTopics(server, config.topics ?? []);
  } catch (error) {
    console.error(`tether: TETHER_TOPICS: ${(error as Error).message}`);
    process.exit(2);
  }
  const redisUrl = config.server.redisUrl;
  if (redisUrl) {
    const where = redactedUrl(redisUrl);
    const waiting = setTimeout(() => console.error(`tether: waiting for Redis at ${where}`), 2000);
    await server.ready();
    clearTimeout(waiting);
    console.log(`tether: topics shared through Redis at ${where}`);
  }
  const { port } = await server.listen(config.port, config.host);
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const origin = `http://${host}:${port}`;
  console.log(`tether listening on ${origin}`);
  if (typeof auth === 'object' && auth.secret !== undefined && config.login.loginLink) {
    // The token rides in the fragment, which browsers never send: it stays out of request lines and logs.
    const token = await mintToken(auth.secret, {
      subject: 'local',
      grants: { sub: ['*'], act: ['*'] },
      ttlSec: LOGIN_TTL_SEC,
      issuer: auth.issuer,
      audience: auth.audience,
    });
    console.log(`tether login (valid 12 h, full access): ${origin}/#token=${token}`);
  } else if (auth === false || auth === 'off' || auth === undefined) {
    console.error(
      'tether: TETHER_AUTH=off: anyone who can reach this server can read every topic and send actions',
    );
  }

  // After the listen and login lines, which tools and tests read first.
  if (server.hub.broker instanceof SqliteBroker)
    console.log(`tether: data kept in ${server.hub.broker.file} (TETHER_DATA_DIR)`);
  else if (!config.server.redisUrl)
    console.log(
      'tether: data kept in memory only (TETHER_DATA_DIR=:memory:); a restart forgets it',
    );

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) {
      console.error(`tether: ${why} during shutdown, exiting now`);
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => {
      console.error('tether: shutdown took too long, exiting');
      process.exit(1);
    }, FORCE_EXIT_MS).unref();
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('tether: shutdown failed', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Started by a parent with an IPC channel (the test fixture): never outlive it.
  process.on('disconnect', () => stop('parent gone'));
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
}

void main().catch((error: unknown) => {
  console.error('tether: failed to start:', error);
  process.exit(1);
});
