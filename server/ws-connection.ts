import type { WebSocket, RawData } from 'ws';
import { CloseCode, ErrorCode, decodeClientFrame, encodeFrame } from '../src/protocol/index.ts';
import type { ClientFrame, ErrorFrame, ServerFrame } from '../src/protocol/index.ts';
import type { ActionDispatcher } from './actions.ts';
import type { Hub } from './hub.ts';
import { TokenBucket, WindowCounter } from './limits.ts';
import type { ResolvedOptions } from './options.ts';

/** Which connections receive a topic's live patches; kept by the gateway for fan-out. */
export interface SubscriberIndex {
  add(topic: string, connection: Connection): void;
  remove(topic: string, connection: Connection): void;
}

export interface ConnectionDeps {
  hub: Hub;
  actions: ActionDispatcher;
  options: ResolvedOptions;
  subscribers: SubscriberIndex;
}

/** After asking a peer to close, how long we wait for the handshake before cutting the socket. */
const CLOSE_GRACE_MS = 2000;
/** While a connection is being rate limited, it is told so at most this often (no amplification). */
const RATE_NOTICE_INTERVAL_MS = 1000;

/**
 * One WebSocket client: decodes and checks its frames, answers them, and holds its
 * subscriptions. Nothing a client sends can throw out of here; misbehaviour is answered with an
 * `error` frame and, past the limits, a close with a specific code.
 */
export class Connection {
  readonly subscriptions = new Set<string>();
  lastSeen: number;
  #closing = false;
  readonly #bucket: TokenBucket;
  readonly #badFrames: WindowCounter;
  #lastRateNotice = Number.NEGATIVE_INFINITY;

  constructor(
    readonly ws: WebSocket,
    private readonly deps: ConnectionDeps,
    now: number,
  ) {
    this.lastSeen = now;
    const { rateLimit, badFrameLimit } = deps.options;
    this.#bucket = new TokenBucket(rateLimit.framesPerSecond, rateLimit.burst, now);
    this.#badFrames = new WindowCounter(badFrameLimit.count, badFrameLimit.windowMs);
  }

  get closing(): boolean {
    return this.#closing;
  }

  receive(data: RawData, isBinary: boolean, now: number): void {
    if (this.#closing) return;
    this.lastSeen = now;
    const bytes = toBuffer(data);
    const limit = this.deps.options.maxFrameBytes;
    if (bytes.length > limit) {
      this.shut(CloseCode.tooLarge, 'frame too large', this.#error(ErrorCode.tooLarge, `frames are limited to ${limit} bytes`));
      return;
    }
    if (!this.#bucket.take(now)) {
      if (now - this.#lastRateNotice >= RATE_NOTICE_INTERVAL_MS) {
        this.#lastRateNotice = now;
        this.sendFrame(this.#error(ErrorCode.rateLimited, 'too many frames; this one was dropped'));
      }
      return;
    }
    if (isBinary) {
      this.#refuse(now, 'binary frames are not accepted; send JSON text');
      return;
    }
    const decoded = decodeClientFrame(bytes.toString('utf8'));
    if (decoded.ok) this.#handle(decoded.frame);
    else this.#refuse(now, decoded.message);
  }

  /** Sends pre-encoded frames; a client that cannot keep up is dropped instead of buffered forever. */
  send(data: string | Buffer): void {
    if (this.#closing || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.deps.options.maxBufferedBytes) {
      this.shut(CloseCode.rateLimited, 'slow consumer');
      return;
    }
    this.ws.send(data, { binary: false });
  }

  sendFrame(frame: ServerFrame): void {
    this.send(encodeFrame(frame));
  }

  /** Leaves every topic, says why (optionally with an error frame first) and closes. */
  shut(code: number, reason: string, error?: ErrorFrame): void {
    if (this.#closing) return;
    this.#closing = true;
    // Sent past the slow-consumer check: one small frame that tells the client why.
    if (error && this.ws.readyState === this.ws.OPEN) this.ws.send(encodeFrame(error));
    this.dropSubscriptions();
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  dropSubscriptions(): void {
    for (const topic of this.subscriptions) this.deps.subscribers.remove(topic, this);
    this.subscriptions.clear();
  }

  #handle(frame: ClientFrame): void {
    switch (frame.type) {
      case 'hello':
        // Tokens are not checked yet (authentication comes later); hello only starts the heartbeat contract.
        this.sendFrame({ type: 'welcome', heartbeatMs: Math.max(1, Math.round(this.deps.options.heartbeatMs)) });
        return;
      case 'subscribe': {
        const topic = this.deps.hub.topic(frame.topic);
        if (!topic) return this.sendFrame(this.#error(ErrorCode.unknownTopic, `no topic "${frame.topic}"`, frame.topic));
        // A repeat subscribe is a resume request: catch up, but the live feed is not added twice.
        if (!this.subscriptions.has(frame.topic)) {
          this.subscriptions.add(frame.topic);
          this.deps.subscribers.add(frame.topic, this);
        }
        for (const { text } of topic.framesSince(frame.since)) this.send(text);
        return;
      }
      case 'unsubscribe':
        if (!this.deps.hub.topic(frame.topic)) {
          return this.sendFrame(this.#error(ErrorCode.unknownTopic, `no topic "${frame.topic}"`, frame.topic));
        }
        this.subscriptions.delete(frame.topic);
        this.deps.subscribers.remove(frame.topic, this);
        return;
      case 'ping':
        return this.sendFrame({ type: 'pong', t: frame.t });
      case 'action':
        void this.deps.actions.dispatch(frame, 'websocket').then((reply) => this.sendFrame(reply));
        return;
    }
  }

  /** Answers a bad frame; too many of them in the window means a broken or hostile client. */
  #refuse(now: number, message: string): void {
    const error = this.#error(ErrorCode.badFrame, message);
    const { count, windowMs } = this.deps.options.badFrameLimit;
    if (this.#badFrames.hit(now)) this.shut(CloseCode.badFrames, `${count} bad frames within ${windowMs} ms`, error);
    else this.sendFrame(error);
  }

  #error(code: string, message: string, topic?: string): ErrorFrame {
    return topic === undefined ? { type: 'error', code, message } : { type: 'error', code, message, topic };
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
