import { readDashboardFile, readTopicsFile } from './config-files.ts';
import type { TopicFileEntry } from './config-files.ts';
import type { TetherServerOptions } from './options.ts';

export interface CliConfig {
  port: number;
  host: string;
  sampleMs: number;
  server: TetherServerOptions;
  /** Extra topics from the file named by TETHER_TOPICS, defined after the host metrics. */
  topics?: TopicFileEntry[];
}

/**
 * Reads the CLI's environment (and the files TETHER_TOPICS and TETHER_DASHBOARD name); a malformed
 * value is an error, never silently a default.
 */
export function readEnv(env: NodeJS.ProcessEnv): CliConfig {
  const int = (name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
    return value;
  };
  const optionalInt = (name: string, min: number) => (env[name] ? int(name, 0, min) : undefined);
  return {
    port: int('PORT', 8080, 0, 65535),
    // Loopback by default: there is no authentication yet, so exposing the server is an explicit choice (HOST=0.0.0.0).
    host: env.HOST || '127.0.0.1',
    sampleMs: int('TETHER_SAMPLE_MS', 1000, 10),
    server: {
      historyLength: optionalInt('TETHER_HISTORY', 0),
      heartbeatMs: optionalInt('TETHER_HEARTBEAT_MS', 1),
      heartbeatTimeoutMs: optionalInt('TETHER_HEARTBEAT_TIMEOUT_MS', 1),
      websocket: env.TETHER_NO_WEBSOCKET !== '1',
      ...(env.TETHER_STATIC_DIR ? { staticDir: env.TETHER_STATIC_DIR } : {}),
      // Comma-separated, so a new key can be added before the old one is retired.
      ...(env.TETHER_PUBLISH_KEY ? { publishKey: publishKeys(env.TETHER_PUBLISH_KEY) } : {}),
      ...(env.TETHER_DASHBOARD ? { dashboard: readDashboardFile(env.TETHER_DASHBOARD) } : {}),
    },
    ...(env.TETHER_TOPICS ? { topics: readTopicsFile(env.TETHER_TOPICS) } : {}),
  };
}

function publishKeys(raw: string): string[] {
  const keys = raw.split(',').map((key) => key.trim());
  if (keys.some((key) => !/^[\x21-\x7e]{16,}$/.test(key))) {
    throw new Error('TETHER_PUBLISH_KEY must be one or more comma-separated keys of at least 16 printable characters (e.g. `openssl rand -hex 32`)');
  }
  return keys;
}
