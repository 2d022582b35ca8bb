import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as IORedis from 'ioredis';
import type { Redis } from 'ioredis';
import type { Topic } from '../topic.ts';
import type { ActionReply, Broker, ClientCounts, ExclusiveTask } from './broker.ts';
import { ActionClaims } from './redis-actions.ts';
import { Lease } from './redis-lease.ts';
import { TopicReplica } from './redis-replica.ts';
import { defineScripts } from './redis-scripts.ts';
import type { TetherScripts } from './redis-scripts.ts';

export interface RedisBrokerOptions {
  /** `redis://[user:password@]host:port[/db]` (ioredis syntax; `rediss://` for TLS). */
  url: string;
  /** Prefix of every key and channel, so several clusters can share one Redis (default `tether:`). */
  keyPrefix?: string;
  /** Lifetime of a source lease; a dead holder is replaced within about 1.3 × this (default 3000 ms). */
  leaseMs?: number;
  /** Redis unreachable for this long makes the node close its clients and refuse new ones (default 1000 ms). */
  unavailableAfterMs?: number;
  onError?: (error: unknown, where: string) => void;
}

/** Node counts older than this are left out of the cluster-wide client count (a dead node). */
const CLIENT_REPORT_TTL_MS = 5000;
const CLIENT_REPORT_MS = 1000;
/**
 * `ioredis` is an optional peer dependency that only a clustered server needs; it is CommonJS, so
 * a synchronous require loads it when the first RedisBroker is made.
 */
function loadIoredis(): typeof IORedis {
  try {
    return createRequire(import.meta.url)('ioredis') as typeof IORedis;
  } catch (error) {
    throw new Error('tether: redisUrl needs the `ioredis` package (npm install ioredis)', {
      cause: error,
    });
  }
}

/** On close, how long queued publishes may take to reach Redis. */
const DRAIN_TIMEOUT_MS = 1000;
/** A reconnect waits at most this long for the topics to catch up before serving again. */
const RESUME_TIMEOUT_MS = 5000;

/**
 * Topics, history, action ids and leases in Redis, shared by every node that uses the same URL
 * and prefix (docs/architecture.md § Scale-out). Two connections: commands (scripts, leases,
 * action claims) and a subscriber on the pattern `<prefix>frames:*` that brings every node the
 * frames the others commit.
 */
export class RedisBroker implements Broker {
  readonly kind = 'redis' as const;
  readonly nodeId = randomBytes(6).toString('base64url');
  readonly #prefix: string;
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #scripts: TetherScripts;
  readonly #claims: ActionClaims;
  readonly #replicas = new Map<string, TopicReplica>();
  readonly #listeners = new Set<(available: boolean) => void>();
  readonly #leases = new Set<Lease>();
  readonly #leaseMs: number;
  readonly #unavailableAfterMs: number;
  readonly #onError: (error: unknown, where: string) => void;
  #available = false;
  #downTimer: NodeJS.Timeout | undefined;
  #batches = 0;
  #resuming: Promise<void> | null = null;
  #resumeAgain = false;
  /** Whether this node has served before (the first start is not a recovery worth logging). */
  #everAvailable = false;
  #countClients: () => ClientCounts = () => ({ websocket: 0, polling: 0 });
  #others: ClientCounts = { websocket: 0, polling: 0 };
  readonly #reportTimer: NodeJS.Timeout;
  #closed = false;

  constructor(options: RedisBrokerOptions) {
    this.#prefix = options.keyPrefix ?? 'tether:';
    this.#leaseMs = options.leaseMs ?? 3000;
    this.#unavailableAfterMs = options.unavailableAfterMs ?? 1000;
    this.#onError =
      options.onError ?? ((error, where) => console.error(`tether: ${where}:`, error));
    // Commands fail at once while disconnected (no offline queue): every caller here retries on
    // its own terms after a reconnect, which keeps what was committed and what was not clear.
    const connection = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
    };
    const { Redis } = loadIoredis();
    this.#cmd = new Redis(options.url, { ...connection, connectionName: `tether-${this.nodeId}` });
    this.#sub = new Redis(options.url, {
      ...connection,
      connectionName: `tether-${this.nodeId}-sub`,
    });
    this.#scripts = defineScripts(this.#cmd);
    this.#link.scripts = this.#scripts;
    this.#claims = new ActionClaims(this.#cmd, this.#prefix);
    const channelPrefix = `${this.#prefix}frames:`;
    this.#sub.on('pmessage', (_pattern: string, channel: string, message: string) => {
      const replica = this.#replicas.get(channel.slice(channelPrefix.length));
      const space = message.indexOf(' ');
      if (replica && space > 0) replica.offer(message.slice(0, space), message.slice(space + 1));
    });
    for (const client of [this.#cmd, this.#sub]) {
      // Reported once per outage (below), not once per reconnect attempt.
      client.on('error', () => undefined);
      client.on('ready', () => this.#connected());
      client.on('close', () => this.#disconnected());
    }
    this.#reportTimer = setInterval(() => void this.#reportClients(), CLIENT_REPORT_MS).unref();
  }

  get available(): boolean {
    return this.#available;
  }

  onAvailability(listener: (available: boolean) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  adopt(topic: Topic): void {
    const name = topic.name;
    const keys = {
      hash: `${this.#prefix}topic:${name}`,
      stream: `${this.#prefix}log:${name}`,
      channel: `${this.#prefix}frames:${name}`,
    };
    const replica = new TopicReplica(topic, this.#link, keys);
    topic.setWriter(replica);
    this.#replicas.set(name, replica);
    if (this.#bothReady()) void replica.load();
  }

  ready(): Promise<void> {
    return Promise.all([...this.#replicas.values()].map((replica) => replica.whenLoaded())).then(
      () => undefined,
    );
  }

  claimAction(id: string): Promise<ActionReply | 'claimed'> {
    return this.#claims.claim(id);
  }

  settleAction(id: string, reply: ActionReply): void {
    this.#claims
      .settle(id, reply)
      .catch((error: unknown) => this.#report(error, 'recording an action reply'));
  }

  /** A Redis commit is asynchronous: a resend is told apart by the claim, not by the patch. */
  duringAction<T>(_action: unknown, run: () => T): T {
    return run();
  }

  exclusive(
    name: string,
    start: () => () => void,
    options: { topics?: readonly Topic[] } = {},
  ): ExclusiveTask {
    let stopTask: (() => void) | null = null;
    const key = `${this.#prefix}lease:${name}`;
    const lease = new Lease({
      redis: this.#cmd,
      scripts: this.#scripts,
      key,
      ttlMs: this.#leaseMs,
      onAcquired: () => {
        try {
          stopTask = start();
        } catch (error) {
          // Not running it while holding the lease would starve the cluster: hand it on.
          this.#report(error, `starting ${name}`);
          lease.stop();
        }
      },
      onLost: () => {
        stopTask?.();
        stopTask = null;
      },
      onError: (error) => this.#report(error, `lease ${name}`),
    });
    this.#leases.add(lease);
    for (const topic of options.topics ?? []) {
      const replica = this.#replicas.get(topic.name);
      if (replica) replica.fence = { key, token: () => lease.token };
    }
    return {
      get running() {
        return stopTask !== null;
      },
      stop: () => {
        this.#leases.delete(lease);
        lease.stop();
      },
    };
  }

  trackClients(read: () => ClientCounts): void {
    this.#countClients = read;
  }

  clusterClients(): ClientCounts {
    const local = this.#countClients();
    return {
      websocket: local.websocket + this.#others.websocket,
      polling: local.polling + this.#others.polling,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    // Publishes already made (a source's last sample, an acked action's commit) reach Redis first.
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (
      this.#cmd.status === 'ready' &&
      [...this.#replicas.values()].some((replica) => !replica.idle) &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.#closed = true;
    clearInterval(this.#reportTimer);
    clearTimeout(this.#downTimer);
    for (const lease of this.#leases) lease.stop();
    this.#leases.clear();
    if (this.#cmd.status === 'ready')
      await this.#cmd.hdel(`${this.#prefix}clients`, this.nodeId).catch(() => undefined);
    // Give the lease releases a moment to leave, then go.
    await Promise.all([this.#quit(this.#cmd), this.#quit(this.#sub)]);
  }

  async #quit(client: Redis): Promise<void> {
    if (client.status !== 'ready') return client.disconnect();
    await Promise.race([
      client.quit().catch(() => undefined),
      new Promise((resolve) => setTimeout(resolve, 500)),
    ]);
    client.disconnect();
  }

  readonly #link = {
    scripts: undefined as unknown as TetherScripts,
    connected: () => this.#cmd.status === 'ready',
    nextBatchId: () => `${this.nodeId}.${(this.#batches++).toString(36)}`,
    onError: (error: unknown) => this.#report(error, 'redis'),
  };

  #bothReady(): boolean {
    return this.#cmd.status === 'ready' && this.#sub.status === 'ready';
  }

  /** Reports failures that are not just Redis being away (those are told once, as availability). */
  #report(error: unknown, where: string): void {
    if (this.#closed || !this.#bothReady()) return;
    this.#onError(error, where);
  }

  #connected(): void {
    if (!this.#bothReady() || this.#closed) return;
    // A reconnect during a resume may have broken it: resume once more after it.
    if (this.#resuming) return void (this.#resumeAgain = true);
    this.#resuming = this.#resume().finally(() => {
      this.#resuming = null;
      if (this.#resumeAgain) {
        this.#resumeAgain = false;
        this.#connected();
      }
    });
  }

  /** Listening again first, then every topic catches up: nothing committed meanwhile is missed. */
  async #resume(): Promise<void> {
    try {
      await this.#sub.psubscribe(`${this.#prefix}frames:*`);
    } catch {
      return; // dropped again; the next 'ready' resumes
    }
    const resumed = Promise.all([...this.#replicas.values()].map((replica) => replica.resume()));
    await Promise.race([
      resumed,
      new Promise((resolve) => setTimeout(resolve, RESUME_TIMEOUT_MS).unref()),
    ]);
    if (!this.#bothReady() || this.#closed) return;
    clearTimeout(this.#downTimer);
    this.#downTimer = undefined;
    if (!this.#available) {
      if (this.#everAvailable) console.error('tether: Redis is reachable again; serving');
      this.#everAvailable = true;
      this.#setAvailable(true);
    }
  }

  #disconnected(): void {
    if (this.#closed || this.#downTimer || !this.#available) return;
    this.#downTimer = setTimeout(() => {
      this.#downTimer = undefined;
      if (this.#bothReady() || this.#closed) return;
      console.error(
        `tether: Redis has been unreachable for ${this.#unavailableAfterMs} ms; closing connections until it is back`,
      );
      this.#setAvailable(false);
    }, this.#unavailableAfterMs);
  }

  #setAvailable(available: boolean): void {
    if (this.#available === available) return;
    this.#available = available;
    for (const listener of this.#listeners) listener(available);
  }

  async #reportClients(): Promise<void> {
    if (this.#cmd.status !== 'ready') return;
    const key = `${this.#prefix}clients`;
    const now = Date.now();
    try {
      await this.#cmd.hset(key, this.nodeId, JSON.stringify({ ...this.#countClients(), at: now }));
      const all = await this.#cmd.hgetall(key);
      const others = { websocket: 0, polling: 0 };
      for (const [node, text] of Object.entries(all)) {
        const report = JSON.parse(text) as ClientCounts & { at: number };
        if (node === this.nodeId) continue;
        if (now - report.at > CLIENT_REPORT_TTL_MS) {
          void this.#cmd.hdel(key, node).catch(() => undefined);
          continue;
        }
        others.websocket += report.websocket;
        others.polling += report.polling;
      }
      this.#others = others;
    } catch (error) {
      this.#report(error, 'counting clients');
    }
  }
}
