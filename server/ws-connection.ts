import type { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';
import { CloseCode, ErrorCode, decodeClientFrame, encodeFrame } from '../src/protocol/index.ts';
import type { ClientFrame, ErrorFrame, ServerFrame } from '../src/protocol/index.ts';
import type { ActionDispatcher } from './actions.ts';
import type { Authenticator, Principal } from './auth.ts';
import { OPEN } from './auth.ts';
import type { Hub } from './hub.ts';
import { TokenBucket, WindowCounter } from './limits.ts';
import type { ResolvedOptions } from './options.ts';
import type { Topic } from './topic.ts';

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
  auth: Authenticator;
}

/** After asking a peer to close, how long we wait for the handshake before cutting the socket. */
const CLOSE_GRACE_MS = 2000;
/** While a connection is being rate limited, it is told so at most this often (no amplification). */
const RATE_NOTICE_INTERVAL_MS = 1000;
/** Frames held while a hello is being verified; past this they are dropped like rate-limited ones. */
const MAX_HELD_FRAMES = 64;
/** setTimeout's limit; a later expiry is checked again when this runs out. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
  /** Who may do what here; null until a hello is accepted when auth is on. */
  #principal: Principal | null;
  /** Frames that arrived while a hello was being verified, handled in order once it is. */
  #held: ClientFrame[] | null = null;
  #expiry: NodeJS.Timeout | undefined;
  #renewal: NodeJS.Timeout | undefined;
  /** The client's hello asked for renewed tokens. */
  #takesRenewal = false;
  readonly openedAt: number;

  readonly ws: WebSocket;
  private readonly deps: ConnectionDeps;

  constructor(ws: WebSocket, deps: ConnectionDeps, now: number) {
    this.ws = ws;
    this.deps = deps;
    this.lastSeen = now;
    this.openedAt = now;
    this.#principal = deps.auth.required ? null : OPEN;
    const { rateLimit, badFrameLimit } = deps.options;
    this.#bucket = new TokenBucket(rateLimit.framesPerSecond, rateLimit.burst, now);
    this.#badFrames = new WindowCounter(badFrameLimit.count, badFrameLimit.windowMs);
  }

  get closing(): boolean {
    return this.#closing;
  }

  get authenticated(): boolean {
    return this.#principal !== null;
  }

  receive(data: RawData, isBinary: boolean, now: number): void {
    if (this.#closing) return;
    this.lastSeen = now;
    const bytes = toBuffer(data);
    const limit = this.deps.options.maxFrameBytes;
    if (bytes.length > limit) {
      this.shut(
        CloseCode.tooLarge,
        'frame too large',
        this.#error(ErrorCode.tooLarge, `frames are limited to ${limit} bytes`),
      );
      return;
    }
    if (!this.#bucket.take(now)) return this.#rateLimited(now);
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

  /**
   * Sends several pre-encoded frames in one write (one syscall instead of one per frame): a
   * catch-up burst, or the frames of several topics published in the same round.
   */
  sendMany(data: readonly (string | Buffer)[]): void {
    if (data.length === 1) return this.send(data[0]!);
    // ws keeps its net.Socket in `_socket` (not public API; without it we only lose the batching).
    const socket = (this.ws as unknown as { _socket?: Duplex })._socket;
    socket?.cork();
    try {
      for (const item of data) this.send(item);
    } finally {
      socket?.uncork();
    }
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
    this.dispose();
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  dropSubscriptions(): void {
    for (const topic of this.subscriptions) this.deps.subscribers.remove(topic, this);
    this.subscriptions.clear();
  }

  /** The socket is gone (or going): leave every topic and stop the expiry timer. */
  dispose(): void {
    clearTimeout(this.#expiry);
    clearTimeout(this.#renewal);
    this.#held = null;
    this.dropSubscriptions();
  }

  #handle(frame: ClientFrame): void {
    if (this.#held) {
      if (this.#held.length < MAX_HELD_FRAMES) this.#held.push(frame);
      else this.#rateLimited(this.lastSeen);
      return;
    }
    if (frame.type === 'hello') {
      this.#takesRenewal = frame.renew === true;
      return this.#hello(frame.token);
    }
    const principal = this.#principal;
    if (!principal)
      return this.#unauthorized('authenticate first: the first frame must be hello with a token');
    switch (frame.type) {
      case 'subscribe': {
        const already = this.subscriptions.has(frame.topic);
        const topic = this.#readableTopic(principal, frame.topic);
        if (!topic) return;
        const max = this.deps.options.maxSubscriptions;
        if (!already && this.subscriptions.size >= max) {
          return this.sendFrame(
            this.#error(
              ErrorCode.tooManySubscriptions,
              `a connection may hold at most ${max} subscriptions`,
              frame.topic,
            ),
          );
        }
        // A repeat subscribe is a resume request: catch up, but the live feed is not added twice.
        if (!already) {
          this.subscriptions.add(frame.topic);
          this.deps.subscribers.add(frame.topic, this);
        }
        this.sendMany(topic.framesSince(frame.since).map(({ text }) => text));
        return;
      }
      case 'unsubscribe':
        if (!this.#readableTopic(principal, frame.topic)) return;
        this.subscriptions.delete(frame.topic);
        this.deps.subscribers.remove(frame.topic, this);
        return;
      case 'ping':
        return this.sendFrame({ type: 'pong', t: frame.t });
      case 'action':
        // Checked before dispatch, so a refused id is not remembered as answered.
        if (!principal.canAct(frame.topic)) {
          return this.sendFrame({
            type: 'nack',
            id: frame.id,
            code: ErrorCode.forbidden,
            message: `not allowed to act on "${frame.topic}"`,
          });
        }
        void this.deps.actions
          .dispatch(frame, 'websocket', principal.subject)
          .then((reply) => this.sendFrame(reply));
        return;
    }
  }

  /**
   * The first hello authenticates; a later one re-authenticates (a refreshed token, possibly for
   * someone else or with fewer permissions). Frames that arrive meanwhile wait, so each is judged
   * by the credential the client sent before it.
   */
  #hello(token: string | undefined): void {
    if (!this.deps.auth.required) return this.#welcome();
    this.#held = [];
    void this.deps.auth.verify(token).then((result) => {
      if (this.#closing || this.#held === null) return;
      const held = this.#held;
      this.#held = null;
      if (!result.ok) {
        if (result.reason === 'unavailable')
          return this.shut(
            CloseCode.internalError,
            'cannot verify tokens',
            this.#error(ErrorCode.internal, result.message),
          );
        return this.#unauthorized(result.message);
      }
      this.#authorize(result.principal);
      this.#welcome();
      for (let i = 0; i < held.length && !this.#closing; i++) {
        // A held hello starts another verification: what follows it waits for that one.
        if (this.#held) (this.#held as ClientFrame[]).push(held[i]!);
        else this.#handle(held[i]!);
      }
    });
  }

  #authorize(principal: Principal): void {
    this.#principal = principal;
    for (const topic of [...this.subscriptions]) {
      if (principal.canSubscribe(topic)) continue;
      this.subscriptions.delete(topic);
      this.deps.subscribers.remove(topic, this);
      this.sendFrame(
        this.#error(ErrorCode.forbidden, `no longer allowed to subscribe to "${topic}"`, topic),
      );
    }
    clearTimeout(this.#expiry);
    this.#expiry = undefined;
    if (principal.expiresAt !== null) this.#watchExpiry(principal.expiresAt);
    clearTimeout(this.#renewal);
    this.#renewal = undefined;
    if (principal.renewal && this.#takesRenewal) this.#scheduleRenewal(principal.renewal);
  }

  /** Before the token runs out, a fresh one (same claims and lifetime) in a `token` frame. */
  #scheduleRenewal(renewal: NonNullable<Principal['renewal']>): void {
    const renew = async () => {
      const token = await renewal.mint();
      const result = await this.deps.auth.verify(token);
      // A hello that came meanwhile decides the credential; the connection may be gone too.
      if (this.#closing || this.#held || this.#principal?.renewal !== renewal || !result.ok) return;
      this.sendFrame({ type: 'token', token });
      this.#authorize(result.principal);
    };
    const delay = Math.max(0, renewal.at - Date.now());
    this.#renewal = setTimeout(
      () => void renew().catch(() => undefined),
      Math.min(delay, MAX_TIMER_MS),
    );
    this.#renewal.unref();
  }

  /** A credential that runs out on a live connection ends it, unless a fresh hello came first. */
  #watchExpiry(expiresAt: number): void {
    const left = expiresAt - Date.now();
    if (left <= 0 && this.#held) {
      // A fresh hello is being verified: its answer decides, not the old token's clock.
      this.#expiry = setTimeout(() => this.#watchExpiry(expiresAt), 50);
      this.#expiry.unref();
      return;
    }
    if (left <= 0)
      return this.#unauthorized('the token has expired; connect again with a fresh token');
    this.#expiry = setTimeout(() => this.#watchExpiry(expiresAt), Math.min(left, MAX_TIMER_MS));
    this.#expiry.unref();
  }

  #welcome(): void {
    this.sendFrame({
      type: 'welcome',
      heartbeatMs: Math.max(1, Math.round(this.deps.options.heartbeatMs)),
    });
  }

  #unauthorized(message: string): void {
    this.shut(CloseCode.unauthorized, 'unauthorized', this.#error(ErrorCode.unauthorized, message));
  }

  #rateLimited(now: number): void {
    if (now - this.#lastRateNotice < RATE_NOTICE_INTERVAL_MS) return;
    this.#lastRateNotice = now;
    this.sendFrame(this.#error(ErrorCode.rateLimited, 'too many frames; this one was dropped'));
  }

  /** Answers a bad frame; too many of them in the window means a broken or hostile client. */
  #refuse(now: number, message: string): void {
    const error = this.#error(ErrorCode.badFrame, message);
    const { count, windowMs } = this.deps.options.badFrameLimit;
    if (this.#badFrames.hit(now))
      this.shut(CloseCode.badFrames, `${count} bad frames within ${windowMs} ms`, error);
    else this.sendFrame(error);
  }

  /**
   * The topic a subscribe or unsubscribe names, or undefined once the client was told why not.
   * Permission before existence: a topic this client may not read gets the same answer whether it
   * exists or not, so a refused client learns nothing about which topics exist.
   */
  #readableTopic(principal: Principal, name: string): Topic | undefined {
    if (!principal.canSubscribe(name)) {
      this.sendFrame(
        this.#error(ErrorCode.forbidden, `not allowed to subscribe to "${name}"`, name),
      );
      return undefined;
    }
    const topic = this.deps.hub.topic(name);
    if (!topic) this.sendFrame(this.#error(ErrorCode.unknownTopic, `no topic "${name}"`, name));
    return topic;
  }

  #error(code: string, message: string, topic?: string): ErrorFrame {
    return topic === undefined
      ? { type: 'error', code, message }
      : { type: 'error', code, message, topic };
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
