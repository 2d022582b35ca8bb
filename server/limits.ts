/**
 * Per-connection guards against floods. Both take the current time as an argument so tests can
 * drive them without a clock.
 */

/** Allows `ratePerSec` frames per second on average with bursts of up to `burst`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  readonly ratePerSec: number;
  readonly burst: number;

  constructor(ratePerSec: number, burst: number, now: number) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSec) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Counts events in a sliding window; `hit` says whether the limit has been reached. */
export class WindowCounter {
  readonly #times: number[] = [];

  readonly max: number;
  readonly windowMs: number;

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  hit(now: number): boolean {
    this.#times.push(now);
    while (this.#times.length > 0 && this.#times[0]! <= now - this.windowMs) this.#times.shift();
    return this.#times.length >= this.max;
  }
}
