/**
 * Paces the frames a client sends so it stays under the server's per-connection rate limit, and
 * backs off when the server says `rate_limited` anyway: the pace halves (for the rest of the
 * client's life) and new connections wait a cool-down (1 s, doubling to 30 s). One per client, so
 * what it learned outlives the socket; the bucket itself starts full on every socket, as the
 * server's does, so reconnecting is never slowed by frames sent on an earlier socket.
 */
export interface SendRate {
  framesPerSecond: number;
  burst: number;
}

/** Half the server's default (100/s, bursts of 200), so a default client never meets the limit. */
export const DEFAULT_SEND_RATE: SendRate = { framesPerSecond: 50, burst: 100 };
const MAX_COOL_DOWN_MS = 30_000;

export class SendPacer {
  #rate: number;
  #burst: number;
  #tokens: number;
  #last: number;
  #notices = 0;
  #holdUntil = Number.NEGATIVE_INFINITY;

  private readonly now: () => number;

  constructor(rate: SendRate, now: () => number) {
    this.now = now;
    this.#rate = rate.framesPerSecond;
    this.#burst = rate.burst;
    this.#tokens = rate.burst;
    this.#last = now();
  }

  get framesPerSecond(): number {
    return this.#rate;
  }

  /** A new socket: the server gives it a full bucket, so do we. */
  startSocket(): void {
    this.#tokens = this.#burst;
    this.#last = this.now();
  }

  /** 0: send now (the frame is counted); otherwise how many ms to wait before asking again. */
  take(): number {
    const now = this.now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + (Math.max(0, now - this.#last) * this.#rate) / 1000,
    );
    this.#last = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.#tokens) * 1000) / this.#rate);
  }

  /** The server dropped a frame of ours. */
  slowDown(): void {
    this.#rate = Math.max(1, this.#rate / 2);
    this.#burst = Math.max(1, Math.floor(this.#burst / 2));
    this.#tokens = Math.min(this.#tokens, this.#burst);
    this.#holdUntil = this.now() + Math.min(MAX_COOL_DOWN_MS, 1000 * 2 ** this.#notices++);
  }

  /** How long a new connection should wait before opening (the cool-down after `rate_limited`). */
  holdMs(): number {
    return Math.max(0, this.#holdUntil - this.now());
  }
}
