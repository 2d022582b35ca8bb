import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ErrorCode } from '../../src/protocol/index.ts';
import type { ActionReply } from './broker.ts';

/** How long an action's reply is remembered across the cluster (a client resends within seconds). */
export const ACTION_REPLY_TTL_MS = 10 * 60_000;
/** How long a repeat waits for the node that runs the action to record its reply. */
const WAIT_FOR_REPLY_MS = 5000;
const POLL_MS = 50;
const RUNNING = 'running';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exactly-once actions across nodes: the first node to `SET <prefix>action:<key> running NX` runs
 * the action and then stores its reply under the same key; a repeat on any node gets that reply
 * (waiting a little while the first run is still going). The key is the dispatcher's actionKey
 * (subject, topic and id), hashed to a fixed length: ids alone are chosen by clients and would
 * let one user's id answer another's action.
 */
export class ActionClaims {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
  }

  async claim(actionKey: string): Promise<ActionReply | 'claimed'> {
    const key = this.#key(actionKey);
    const deadline = Date.now() + WAIT_FOR_REPLY_MS;
    // A blip (Redis restarting, a reconnect) is waited out rather than answered with a refusal.
    const retrying = async <T>(command: () => Promise<T>): Promise<T> => {
      for (;;) {
        try {
          return await command();
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await sleep(POLL_MS * 2);
        }
      }
    };
    for (;;) {
      if (
        (await retrying(() => this.redis.set(key, RUNNING, 'PX', ACTION_REPLY_TTL_MS, 'NX'))) ===
        'OK'
      )
        return 'claimed';
      const stored = await retrying(() => this.redis.get(key));
      if (stored !== null && stored !== RUNNING) return JSON.parse(stored) as ActionReply;
      // Gone meanwhile (expired): claim again. Still running elsewhere: wait for its reply.
      if (stored === RUNNING && Date.now() > deadline) {
        return {
          type: 'nack',
          id: actionKey, // the dispatcher answers with the client's own id
          code: ErrorCode.internal,
          message: 'this action is still being handled by another server; send it again later',
        };
      }
      if (stored === RUNNING) await sleep(POLL_MS);
    }
  }

  settle(actionKey: string, reply: ActionReply): Promise<unknown> {
    return this.redis.set(this.#key(actionKey), JSON.stringify(reply), 'PX', ACTION_REPLY_TTL_MS);
  }

  #key(actionKey: string): string {
    return `${this.prefix}action:${createHash('sha256').update(actionKey).digest('base64url')}`;
  }
}
