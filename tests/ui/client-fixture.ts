import { cleanup } from '@solidjs/testing-library';
import { vi } from 'vitest';
import { createTetherClient, type LocalTetherClient } from '../../src/client/index.ts';
import type { ScriptedServer } from '../fixtures/scripted-server.ts';

// UI tests drive a real client against the scripted server; this keeps that wiring and teardown in one place.

/** A real client talking to the scripted server over its mock WebSocket, with no fetch, network events or jitter. */
export function connectClient(server: ScriptedServer): LocalTetherClient {
  return createTetherClient({ url: server.httpUrl, WebSocket: server.WebSocket, fetch: null, network: false, random: () => 0.5 });
}

/** Unmounts the UI, stops client and server, and restores globals and real timers. */
export function tearDownClient(client: LocalTetherClient, server: ScriptedServer): void {
  cleanup();
  client.stop();
  server.stop();
  vi.unstubAllGlobals();
  vi.useRealTimers();
}
