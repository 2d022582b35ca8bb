import { fromCallback } from 'xstate';
import type { OutboundFrame, SendEvent, SocketEvent } from '../../machines/connection.ts';
import type { ControlFrame } from '../../machines/wire.ts';
import type { TopicFrameInbox } from './frame-router.ts';
import { CloseCode, ErrorCode, decodeServerFrame, encodeFrame } from '../protocol/index.ts';
import type { Credentials } from './credentials.ts';
import { nextFrameScheduler } from './frame-handover.ts';
import type { FrameEnvironment, HandoverScheduler } from './frame-handover.ts';
import type { SendPacer } from './send-pacer.ts';

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
  /** Where topic frames go as they arrive; handed over (to their subscriptions) before the rest goes to the connection. */
  topics: TopicFrameInbox;
  /** Asked before every connection; its token goes in the handshake's hello (never in the URL). */
  credentials?: Credentials | null;
  /** Paces our frames and backs off on `rate_limited` (shared by every socket of a client). */
  pacer?: SendPacer | null;
  /**
   * A browser page's frames: frames are handed over at the start of the next display frame
   * (src/client/frame-handover.ts). Without them, in the task after they arrived.
   */
  frames?: FrameEnvironment | null;
  /**
   * Without `frames`: while frames keep arriving (the last hand-over was less than this long ago),
   * hand them over this many ms later in one batch instead of one event per frame (0 = always at once).
   */
  batchWindowMs?: number;
  /** The clock for `batchWindowMs` and for when frames arrived (the client's `now`). */
  now?: () => number;
}

const CONNECTING = 0;
const OPEN = 1;
/** What browsers report when a socket dies without a close frame. */
const ABNORMAL_CLOSURE = 1006;
const ignore = () => undefined;

/** Node's immediates, declared here so browser builds need no Node types. */
interface ImmediateGlobals {
  setImmediate?: (run: () => void) => unknown;
  clearImmediate?: (handle: unknown) => void;
}

/**
 * Runs `run` in a task after the current one: `setImmediate` where there is one (Node: right
 * after the I/O phase), else a MessageChannel message (browsers: a task queued behind the
 * message tasks already waiting, without the ≥ 4 ms clamp of a nested setTimeout).
 */
function nextTaskScheduler(run: () => void): HandoverScheduler {
  const { setImmediate, clearImmediate } = globalThis as ImmediateGlobals;
  if (setImmediate && clearImmediate) {
    let handle: unknown;
    return {
      schedule: () => void (handle = setImmediate(run)),
      close: () => clearImmediate(handle),
    };
  }
  const channel = new MessageChannel();
  channel.port1.onmessage = run;
  return {
    schedule: () => channel.port2.postMessage(null),
    close: () => channel.port1.close(),
  };
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * One WebSocket for as long as the invoking state lasts. Topic frames are folded into their
 * subscriptions' positions as they arrive (`settings.topics`); what arrives before the next task
 * (and, with `batchWindowMs`, within that window of a previous hand-over) is handed over together:
 * each topic's fold to its subscription, then the control frames, with when the batch arrived, as
 * one `SOCKET.FRAMES` event, so a burst costs one statechart step per topic.
 *
 * With `credentials`, getToken is asked when the transport starts (alongside the socket opening)
 * and the handshake's hello carries its answer; frames after it wait for it. With a `pacer`, frames
 * leave no faster than its pace, and a `rate_limited` error from the server ends this socket
 * (frames were dropped: only a fresh connection resubscribes and resends reliably) after slowing
 * the pacer, whose cool-down then delays the next socket.
 */
export const webSocketTransport = (settings: WebSocketSettings) =>
  fromCallback<SendEvent>(({ sendBack, receive }) => {
    let ended = false;
    const report = (event: SocketEvent) => ended || sendBack(event);
    let socket: WebSocketLike | null = null;
    let openTimer: ReturnType<typeof setTimeout> | undefined;
    let pumpTimer: ReturnType<typeof setTimeout> | undefined;
    const outgoing: OutboundFrame[] = [];
    let handshakeSent = false;

    // The token for this connection: asked now, so an async getToken runs while the socket opens.
    let token:
      | { ready: false }
      | { ready: true; value: string | undefined }
      | { ready: true; error: string } = { ready: true, value: undefined };
    if (settings.credentials) {
      try {
        const answer = settings.credentials.next();
        if (typeof answer === 'string' || answer === undefined)
          token = { ready: true, value: answer };
        else {
          token = { ready: false };
          answer.then(
            (value) => ((token = { ready: true, value }), pump()),
            (error: unknown) => ((token = { ready: true, error: reasonOf(error) }), pump()),
          );
        }
      } catch (error) {
        token = { ready: true, error: reasonOf(error) };
      }
    }

    /** Sends what is queued, in order, as fast as the token and the pacer allow. */
    function pump(): void {
      if (pumpTimer !== undefined || ended) return;
      while (outgoing.length > 0 && socket?.readyState === OPEN) {
        let frame = outgoing[0]!;
        if (frame.type === 'hello' && !handshakeSent && settings.credentials) {
          if (!token.ready) return; // resumes when getToken answers
          if ('error' in token) return abort(ABNORMAL_CLOSURE, `getToken() failed: ${token.error}`);
          frame =
            token.value === undefined
              ? { type: 'hello' }
              : { type: 'hello', token: token.value, renew: true };
        }
        const wait = settings.pacer?.take() ?? 0;
        if (wait > 0) {
          pumpTimer = setTimeout(() => ((pumpTimer = undefined), pump()), wait);
          return;
        }
        outgoing.shift();
        if (frame.type === 'hello') handshakeSent = true;
        socket.send(encodeFrame(frame));
      }
    }

    /** Ends this socket from our side and tells the connection why. */
    function abort(code: number, reason: string): void {
      flush();
      report({ type: 'SOCKET.CLOSED', code, reason });
      ended = true;
      cleanup();
    }

    /** Control frames since the last hand-over; topic frames are already in their folds. */
    let batch: ControlFrame[] = [];
    let pending = false;
    let receivedAt = 0;
    let pongAt: number | undefined;
    let lastFlushAt = Number.NEGATIVE_INFINITY;
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = () => {
      clearTimeout(flushTimer);
      flushTimer = undefined;
      if (!pending) return;
      const event: SocketEvent = { type: 'SOCKET.FRAMES', frames: batch, receivedAt, pongAt };
      batch = [];
      pending = false;
      pongAt = undefined;
      lastFlushAt = now();
      if (!ended) settings.topics.handOver();
      report(event);
    };
    // The flush runs in the next task, so one statechart step takes every frame that is already
    // there: in Node all the reads of one I/O phase (with 50 topics, one event per topic per phase
    // instead of per read), in a browser every message task queued before it (a backlog is handed
    // over at once, while an idle page still hands a frame over straight away). Under a steady
    // stream `batchWindowMs` goes further and waits out the window, and one step takes everything
    // that arrived meanwhile; a frame after a quiet spell is still handed over at once. A visible
    // page with `frames` hands over once per display frame instead.
    const windowMs = settings.batchWindowMs ?? 0;
    const now = settings.now ?? Date.now;
    const handover = settings.frames
      ? nextFrameScheduler(flush, settings.frames, nextTaskScheduler(flush))
      : nextTaskScheduler(flush);
    const scheduleFlush = () => {
      if (!settings.frames && windowMs > 0 && now() - lastFlushAt < windowMs)
        flushTimer = setTimeout(flush, windowMs);
      else handover.schedule();
    };

    function open(): void {
      openTimer = undefined;
      let opened: WebSocketLike;
      try {
        opened = new settings.WebSocket(settings.url);
      } catch (error) {
        // A bad URL or a blocked scheme: report it as a failed connection, after start() returns.
        queueMicrotask(() =>
          report({ type: 'SOCKET.CLOSED', code: ABNORMAL_CLOSURE, reason: reasonOf(error) }),
        );
        return;
      }
      socket = opened;
      settings.pacer?.startSocket();
      opened.onopen = () => report({ type: 'SOCKET.OPENED' });
      opened.onmessage = ({ data }) => {
        if (typeof data !== 'string')
          return report({
            type: 'SOCKET.BAD_FRAME',
            message: 'binary frames are not part of the protocol',
          });
        const decoded = decodeServerFrame(data);
        if (!decoded.ok) return report({ type: 'SOCKET.BAD_FRAME', message: decoded.message });
        const frame = decoded.frame;
        // A renewed credential is the client's business, not the connection machine's.
        if (frame.type === 'token') return settings.credentials?.renewed(frame.token);
        if (!pending) {
          pending = true;
          scheduleFlush();
        }
        if (frame.type === 'snapshot' || frame.type === 'patch') settings.topics.receive(frame);
        else batch.push(frame);
        // The link was heard, and a round trip ended, now, however much later the batch is handed over.
        receivedAt = now();
        if (frame.type === 'pong') pongAt = receivedAt;
        if (
          settings.pacer &&
          frame.type === 'error' &&
          frame.code === ErrorCode.rateLimited &&
          frame.topic === undefined
        ) {
          settings.pacer.slowDown();
          abort(
            CloseCode.rateLimited,
            `${frame.message} (rate_limited); reconnecting at ${settings.pacer.framesPerSecond} frames/s`,
          );
        }
      };
      opened.onclose = ({ code, reason }) => {
        flush(); // frames that arrived before the close are processed before it
        report({ type: 'SOCKET.CLOSED', code, reason });
      };
      // A close event always follows an error; `ws` throws on an error nobody listens to.
      opened.onerror = ignore;
    }

    receive(({ frame }) => {
      if (socket?.readyState !== OPEN || ended) return;
      outgoing.push(frame);
      pump();
    });

    function cleanup(): void {
      ended = true;
      // A flush already queued must not report for a stopped actor, nor hand over this socket's folds.
      if (pending) settings.topics.discard();
      batch = [];
      pending = false;
      clearTimeout(flushTimer);
      handover.close();
      outgoing.length = 0;
      clearTimeout(openTimer);
      clearTimeout(pumpTimer);
      if (!socket) return;
      socket.onopen = socket.onmessage = socket.onclose = null;
      socket.onerror = ignore; // closing a connecting `ws` socket emits an error later
      if (socket.readyState === CONNECTING || socket.readyState === OPEN)
        socket.close(1000, 'client closed');
    }

    // After `rate_limited`, the next socket waits out the pacer's cool-down.
    const hold = settings.pacer?.holdMs() ?? 0;
    if (hold > 0) openTimer = setTimeout(open, hold);
    else open();
    return cleanup;
  });
