import { attemptLimit } from './connection-types.ts';
import type { ConnectionContext, ConnectionEvent } from './connection-types.ts';
import { refusalIn } from './routing.ts';
import type { ErrorInfo } from './wire.ts';

/**
 * Why the link failed, for `lastError`, read from the event that told us: a close, a refusal
 * frame, silence (the liveness timer), a bad frame, a failed or refused poll.
 */
export function failureOf(event: ConnectionEvent, context: ConnectionContext): ErrorInfo | null {
  switch (event.type) {
    case 'SOCKET.CLOSED':
      return { code: `close_${event.code}`, message: event.reason || 'the connection closed' };
    case 'SOCKET.FRAMES':
      return refusalIn(event.frames) ?? null;
    case 'SOCKET.BAD_FRAME':
      return { code: 'bad_frame', message: event.message };
    case 'POLL.ERROR':
      return { code: 'poll_failed', message: event.message };
    case 'POLL.REFUSED':
      return { code: event.code, message: event.message };
    default:
      break; // the other events carry no failure; a delayed one is checked below
  }
  // Delayed events are not in the event union; their type names the delay.
  if ((event.type as string).startsWith('xstate.after.livenessTimeout.')) {
    return {
      code: 'heartbeat_timeout',
      message: `no frame from the server for ${context.heartbeatTimeoutMs} ms`,
    };
  }
  return null;
}

export const attemptsExhausted = (context: ConnectionContext): ErrorInfo => ({
  code: 'attempts_exhausted',
  message: `gave up after ${attemptLimit(context)} attempts${context.lastError ? ` (${context.lastError.message})` : ''}`,
});

export const NO_TRANSPORT: ErrorInfo = {
  code: 'no_transport',
  message: 'neither WebSocket nor polling is available',
};
