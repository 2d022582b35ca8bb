import { cleanup } from '@solidjs/testing-library';
import { vi } from 'vitest';
import { createTetherClient, type LocalTetherClient } from '../../src/client/index.ts';
import type { ScriptedServer } from '../fixtures/scripted-server.ts';

// UI tests drive a real client against the scripted server; this keeps that wiring and teardown in one place.

/**
 * A real client talking to the scripted server over its mock WebSocket, with no fetch, network
 * events or jitter. It hands frames over per task, so a test can step it with timers alone; the
 * browser default, once per animation frame, has its own tests (use-topic.test.tsx) and is
 * what the e2e suite runs.
 */
export function connectClient(
  server: ScriptedServer,
  handover: 'task' | 'frame' = 'task',
): LocalTetherClient {
  return createTetherClient({
    url: server.httpUrl,
    WebSocket: server.WebSocket,
    fetch: null,
    network: false,
    random: () => 0.5,
    handover,
  });
}

/** Unmounts the UI, stops client and server, and restores globals and real timers. */
export function tearDownClient(client: LocalTetherClient, server: ScriptedServer): void {
  cleanup();
  client.stop();
  server.stop();
  vi.unstubAllGlobals();
  vi.useRealTimers();
}
