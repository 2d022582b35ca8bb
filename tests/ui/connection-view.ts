import type { ConnectionView } from '../../src/client/view-types.ts';

/**
 * A ConnectionView for widget tests: connected over WebSocket on the first attempt, no error and
 * no round trip measured yet, with `patch` over it.
 */
export function connectionView(patch: Partial<ConnectionView> = {}): ConnectionView {
  return {
    status: 'connected',
    transport: 'websocket',
    attempt: 0,
    maxAttempts: 10,
    nextRetryAt: null,
    nextPollAt: null,
    lastHeardAt: null,
    latencyMs: null,
    lastError: null,
    statePath: 'websocket.connected.heartbeat.idle, websocket.connected.liveness.watching',
    ...patch,
  };
}
