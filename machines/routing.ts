import type { ActorRefFrom } from 'xstate';
import type { ConnectionEvent, TopicCursor } from './connection-types.ts';
import type { SubscriptionMachine } from './subscription.ts';
import type { ControlFrame, ErrorInfo, FieldConflict } from './wire.ts';

/** The control frames an event carries (none for events that are not frame batches). */
export const framesOf = (event: ConnectionEvent): readonly ControlFrame[] =>
  event.type === 'SOCKET.FRAMES' || event.type === 'POLL.FRAMES' ? event.frames : [];

/**
 * When a WebSocket batch's last frame or last pong arrived, as the transport reports it (a batch
 * can be handed over later); undefined for other events, whose hand-over is their arrival.
 */
export const arrivalOf = (
  event: ConnectionEvent,
  which: 'receivedAt' | 'pongAt',
): number | undefined => (event.type === 'SOCKET.FRAMES' ? event[which] : undefined);

/** Where the control frames of one batch go; see the connection's `routeFrames`. */
export interface Routing {
  /** Outbox answers, in arrival order. */
  settled: Array<
    | { type: 'ACK'; id: string }
    | { type: 'NACK'; id: string; code: string; message: string; conflicts?: FieldConflict[] }
  >;
  /** Per-topic refusals (`unknown_topic`, `forbidden`). */
  refused: Array<{ topic: string; code: string; message: string }>;
  /** The last connection-level error frame (no topic). */
  error: ErrorInfo | null;
  /** `t` of the last pong. */
  pongT: number | null;
}

/** Sorts control frames by destination; refusals of topics no longer held are dropped. */
export function routeBatch(
  frames: readonly ControlFrame[],
  isHeld: (topic: string) => boolean,
): Routing {
  const routing: Routing = { settled: [], refused: [], error: null, pongT: null };
  for (const frame of frames) {
    switch (frame.type) {
      case 'ack':
        routing.settled.push({ type: 'ACK', id: frame.id });
        break;
      case 'nack':
        routing.settled.push({
          type: 'NACK',
          id: frame.id,
          code: frame.code,
          message: frame.message,
          ...(frame.conflicts && { conflicts: frame.conflicts }),
        });
        break;
      case 'error':
        if (frame.topic === undefined) routing.error = { code: frame.code, message: frame.message };
        else if (isHeld(frame.topic))
          routing.refused.push({ topic: frame.topic, code: frame.code, message: frame.message });
        break;
      case 'pong':
        routing.pongT = frame.t;
        break;
      case 'welcome':
        break; // the handshake's business
    }
  }
  return routing;
}

/** An error frame about the whole connection that forbids retrying. */
export function refusalIn(frames: readonly ControlFrame[]): ErrorInfo | undefined {
  for (const frame of frames) {
    if (
      frame.type === 'error' &&
      frame.topic === undefined &&
      (frame.code === 'unauthorized' || frame.code === 'forbidden')
    ) {
      return { code: frame.code, message: frame.message };
    }
  }
  return undefined;
}

/** Where polling resumes each held topic: read from the subscriptions when each request is made. */
export function cursorsOf(
  children: Partial<Record<`sub:${string}`, ActorRefFrom<SubscriptionMachine>>>,
): TopicCursor[] {
  const cursors: TopicCursor[] = [];
  for (const [id, child] of Object.entries(children)) {
    if (!id.startsWith('sub:') || !child) continue;
    const snapshot = child.getSnapshot();
    if (snapshot.matches('error')) continue; // refused: asking again every poll would only repeat the refusal
    const { topic, position } = snapshot.context;
    cursors.push({
      topic,
      since:
        position.epoch !== null && position.seq !== null
          ? { epoch: position.epoch, seq: position.seq }
          : null,
    });
  }
  return cursors;
}
