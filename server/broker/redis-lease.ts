import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { TetherScripts } from './redis-scripts.ts';

export interface LeaseOptions {
  redis: Redis;
  scripts: TetherScripts;
  key: string;
  ttlMs: number;
  onAcquired: () => void;
  onLost: () => void;
  onError: (error: unknown) => void;
}

/**
 * A lease in Redis (`SET key token NX PX ttl`), renewed every third of its lifetime by a
 * compare-and-extend script. The holder gives it up on its own once it could not renew for most
 * of the ttl (Redis away, or another holder), so it stops before anyone else can take over; the
 * token also fences its commits (server/broker/redis-replica.ts) for the moment in between.
 * Every node that wants the lease tries to take it on the same schedule, so a dead holder is
 * replaced within about ttl + ttl/3.
 */
export class Lease {
  #token: string | null = null;
  #renewedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #busy = false;

  private readonly options: LeaseOptions;

  constructor(options: LeaseOptions) {
    this.options = options;
    this.#timer = setInterval(() => void this.#tick(), Math.max(50, options.ttlMs / 3)).unref();
    void this.#tick();
  }

  /** The token while held (for fencing), else null. */
  get token(): string | null {
    return this.#token;
  }

  /** Stops competing; a held lease is given back, so another node takes over at its next try. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#timer);
    const token = this.#token;
    if (token !== null) {
      this.#lose();
      this.options.scripts.release(this.options.key, token).catch(() => undefined);
    }
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#busy) return;
    this.#busy = true;
    const { redis, scripts, key, ttlMs } = this.options;
    try {
      if (this.#token !== null) {
        const started = Date.now();
        const renewed = await scripts.renew(key, this.#token, ttlMs);
        if (renewed === 1) this.#renewedAt = started;
        else this.#lose();
      } else if (redis.status === 'ready') {
        const token = randomBytes(9).toString('base64url');
        const started = Date.now();
        const acquired = (await redis.set(key, token, 'PX', ttlMs, 'NX')) === 'OK';
        // Stopped while asking: give it straight back rather than block the others for a ttl.
        if (acquired && this.#stopped) await scripts.release(key, token);
        else if (acquired) {
          this.#token = token;
          this.#renewedAt = started;
          this.options.onAcquired();
        }
      }
    } catch (error) {
      if (this.#token === null) this.options.onError(error);
    } finally {
      this.#busy = false;
    }
    // Not renewed for two thirds of the ttl: stop before the lease can expire under us.
    if (this.#token !== null && Date.now() - this.#renewedAt > (ttlMs * 2) / 3) this.#lose();
  }

  #lose(): void {
    if (this.#token === null) return;
    this.#token = null;
    this.options.onLost();
  }
}
