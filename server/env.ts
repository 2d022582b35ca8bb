import type { TetherServerOptions } from './options.ts';

export interface CliConfig {
  port: number;
  host: string;
  sampleMs: number;
  server: TetherServerOptions;
}

/** Reads the CLI's environment; a malformed value is an error, never silently a default. */
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
    },
  };
}
