import { fromCallback } from 'xstate';
import type { InboundFrame, SendEvent, SocketEvent } from '../../machines/connection.ts';
import { decodeServerFrame, encodeFrame } from '../protocol/index.ts';

/**
 * Method form (bivariant parameter) so the browser's, `ws`'s and mock-socket's handler
 * properties, each typed with its own event class, all fit without casts.
 */
type Handler<E> = { bivarianceHack(event: E): unknown }['bivarianceHack'];

/** The part of a WebSocket the transport uses: the browser's, `ws`'s and mock-socket's all fit. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketSettings {
  url: string;
  WebSocket: WebSocketConstructor;
}

const CONNECTING = 0;
const OPEN = 1;
/** What browsers report when a socket dies without a close frame. */
const ABNORMAL_CLOSURE = 1006;
const ignore = () => undefined;

/**
 * One WebSocket for as long as the invoking state lasts. Frames that arrive in the same task are
 * handed over as one `SOCKET.FRAMES` event, so a burst costs one statechart step.
 */
export const webSocketTransport = fromCallback<SendEvent, { settings: WebSocketSettings }>(({ input, sendBack, receive }) => {
  const report = (event: SocketEvent) => sendBack(event);
  let socket: WebSocketLike;
  try {
    socket = new input.settings.WebSocket(input.settings.url);
  } catch (error) {
    // A bad URL or a blocked scheme: report it as a failed connection, after start() returns.
    const reason = error instanceof Error ? error.message : String(error);
    let stopped = false;
    queueMicrotask(() => stopped || report({ type: 'SOCKET.CLOSED', code: ABNORMAL_CLOSURE, reason }));
    return () => void (stopped = true);
  }

  let batch: InboundFrame[] = [];
  const flush = () => {
    if (batch.length === 0) return;
    const frames = batch;
    batch = [];
    report({ type: 'SOCKET.FRAMES', frames });
  };

  socket.onopen = () => report({ type: 'SOCKET.OPENED' });
  socket.onmessage = ({ data }) => {
    if (typeof data !== 'string') return report({ type: 'SOCKET.BAD_FRAME', message: 'binary frames are not part of the protocol' });
    const decoded = decodeServerFrame(data);
    if (!decoded.ok) return report({ type: 'SOCKET.BAD_FRAME', message: decoded.message });
    if (batch.push(decoded.frame) === 1) queueMicrotask(flush);
  };
  socket.onclose = ({ code, reason }) => {
    flush(); // frames that arrived before the close are processed before it
    report({ type: 'SOCKET.CLOSED', code, reason });
  };
  // A close event always follows an error; `ws` throws on an error nobody listens to.
  socket.onerror = ignore;

  receive(({ frame }) => {
    if (socket.readyState === OPEN) socket.send(encodeFrame(frame));
  });

  return () => {
    batch = []; // a flush already queued must not report for a stopped actor
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = ignore; // closing a connecting `ws` socket emits an error later
    if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close(1000, 'client closed');
  };
});
