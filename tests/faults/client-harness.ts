import { expect, vi } from 'vitest';
import { WebSocket } from 'ws';
import { connectionView, createTetherClient, subscriptionView } from '../../src/client/index.ts';
import type {
  SubscriptionActorRef,
  LocalTetherClient,
  TetherClientOptions,
} from '../../src/client/index.ts';
import type { WebSocketConstructor } from '../../src/client/websocket-transport.ts';
import type { Position } from '../../src/protocol/index.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import { startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';
import { startProxy } from './tcp-proxy.ts';
import type { TcpProxy } from './tcp-proxy.ts';
import { onApplied } from '../fixtures/applied.ts';

/**
 * The client-driven half of the fault suite (issue 6): the real server in-process, the TCP proxy
 * in front of it, a publisher that changes a few topics at a steady rate, and real Tether clients
 * (`createTetherClient` with the `ws` WebSocket class) that connect through the proxy.
 *
 * Every state the server's topics pass through is recorded (hub.onPublish), so the audit can
 * check every single view a client showed, not only the last one:
 * - every shown (epoch, seq, data) equals the server's state at that (epoch, seq) (never a wrong view);
 * - applied positions: never the same (epoch, seq) twice, never backwards, an epoch never revisited;
 *   within an epoch consecutive, except where a snapshot re-based the client (counted as `jumps`);
 * - `expectConverged()`: after the faults are lifted every subscription reaches the server's
 *   current (epoch, seq) and equals a fresh snapshot of it.
 */

/** Short settings so detection and recovery take milliseconds, not seconds. */
export const FAST = {
  heartbeatMs: 200,
  heartbeatTimeoutMs: 600,
  backoff: { baseMs: 50, capMs: 250, maxAttempts: 1_000_000 },
} as const;

export interface Totals {
  /** Positions applied by all subscriptions of all clients (each is checked). */
  applied: number;
  /** Views compared with the server's recorded state. */
  views: number;
  /** Re-basing snapshots inside an epoch (seq jumped). */
  jumps: number;
  duplicated: number;
  reordered: number;
  wrong: number;
}

/** One subscription: what it applied and showed, checked as it happens. */
export class Audit {
  readonly applied: Position[] = [];
  jumps = 0;
  duplicated = 0;
  reordered = 0;
  wrong = 0;
  views = 0;
  /** Same (epoch, seq) applied again (only with `allowRebase`: a snapshot after a patch that failed; the view check proves the data). */
  rebased = 0;
  readonly problems: string[] = [];
  #epochs = new Set<string>();

  constructor(
    readonly ref: SubscriptionActorRef,
    /** The server's state at (epoch, seq), JSON; undefined when unknown (not recorded). */
    private readonly truth: (topic: string, epoch: string, seq: number) => string | undefined,
    private readonly allowRebase = false,
  ) {
    onApplied(ref, (positions) => {
      for (const position of positions) this.#apply(position);
    });
    ref.subscribe((snapshot) => {
      const { topic, epoch, seq, data } = subscriptionView(snapshot);
      if (epoch === null || seq === null) return;
      const want = this.truth(topic, epoch, seq);
      if (want === undefined) return;
      this.views++;
      if (JSON.stringify(data) !== want) {
        this.wrong++;
        this.problems.push(
          `${topic} showed ${JSON.stringify(data)} at ${epoch}:${seq}, the server had ${want}`,
        );
      }
    });
  }

  get view() {
    return subscriptionView(this.ref.getSnapshot());
  }

  #apply(position: Position) {
    const previous = this.applied.at(-1);
    this.applied.push(position);
    if (previous && previous.epoch === position.epoch) {
      if (position.seq === previous.seq && this.allowRebase) this.rebased++;
      else if (position.seq === previous.seq) {
        this.duplicated++;
        this.problems.push(`${this.view.topic}: ${position.epoch}:${position.seq} applied twice`);
      } else if (position.seq < previous.seq) {
        this.reordered++;
        this.problems.push(`${this.view.topic}: ${position.seq} applied after ${previous.seq}`);
      } else if (position.seq > previous.seq + 1) this.jumps++;
      return;
    }
    if (this.#epochs.has(position.epoch)) {
      this.reordered++;
      this.problems.push(`${this.view.topic}: went back to epoch ${position.epoch}`);
    }
    this.#epochs.add(position.epoch);
  }
}

/** What a set of audits counted, added up. */
export function sumAudits(audits: readonly Audit[]): Totals {
  const t: Totals = { applied: 0, views: 0, jumps: 0, duplicated: 0, reordered: 0, wrong: 0 };
  for (const a of audits) {
    t.applied += a.applied.length;
    t.views += a.views;
    t.jumps += a.jumps;
    t.duplicated += a.duplicated;
    t.reordered += a.reordered;
    t.wrong += a.wrong;
  }
  return t;
}

/** A `ws` WebSocket class that counts this client's live sockets (created, not yet closed by either side). */
export function countingWebSocket() {
  const counter = { created: 0, live: 0, peakLive: 0 };
  class Counting extends WebSocket {
    #gone = false;
    constructor(url: string) {
      super(url);
      counter.created++;
      counter.live++;
      counter.peakLive = Math.max(counter.peakLive, counter.live);
      this.once('close', () => this.#done());
    }
    #done() {
      if (this.#gone) return;
      this.#gone = true;
      counter.live--;
    }
    override close(code?: number, reason?: string | Buffer) {
      this.#done();
      super.close(code, reason);
    }
    override terminate() {
      this.#done();
      super.terminate();
    }
  }
  return { WebSocket: Counting as unknown as WebSocketConstructor, counter };
}

export interface HarnessClient {
  client: LocalTetherClient;
  audits: Audit[];
  sockets: { created: number; live: number; peakLive: number };
  status(): string;
}

export interface Harness {
  s: StartedServer;
  proxy: TcpProxy;
  topics: string[];
  clients: HarnessClient[];
  addClient(options?: TetherClientOptions, topics?: string[]): HarnessClient;
  /** Publishes one patch to every topic now. */
  publishAll(): void;
  /** Starts / stops the steady publisher (every `everyMs`, one patch per topic). */
  startPublishing(everyMs?: number): void;
  stopPublishing(): void;
  /** Lifts every proxy fault, waits until every subscription is at the server's position and equals its snapshot; checks the audits. */
  expectConverged(timeoutMs?: number): Promise<void>;
  totals(): Totals;
  close(): Promise<void>;
}

/** Starts the server, the proxy and (not yet running) publisher for `topicCount` topics named `f.0`… */
export async function startHarness(
  options: {
    topicCount?: number;
    server?: TetherServerOptions;
    defineTopics?: (s: StartedServer) => void;
  } = {},
): Promise<Harness> {
  const s = await startServer({ ...options.server });
  const topics = Array.from({ length: options.topicCount ?? 3 }, (_, i) => `f.${i}`);
  // A rolling list, so a patch applied to the wrong base (or twice) shows in the data.
  for (const topic of topics)
    s.server.defineTopic(topic, { initial: { n: 0, list: [] as number[] } });
  options.defineTopics?.(s);
  const states = new Map<string, string>();
  const record = (topic: string, epoch: string, seq: number, state: unknown) =>
    states.set(`${topic}|${epoch}|${seq}`, JSON.stringify(state));
  for (const info of s.server.hub.list())
    record(info.name, info.epoch, info.seq, s.server.hub.topic(info.name)!.state);
  s.server.hub.onPublish((topic) => record(topic.name, topic.epoch, topic.seq, topic.state));
  const truth = (topic: string, epoch: string, seq: number) =>
    states.get(`${topic}|${epoch}|${seq}`);
  const proxy = await startProxy(s.port);
  const clients: HarnessClient[] = [];
  let n = 0;
  let publisher: NodeJS.Timeout | undefined;

  const publishAll = () => {
    n++;
    for (const topic of topics) {
      const ops: { op: 'replace' | 'add' | 'remove'; path: string; value?: unknown }[] = [
        { op: 'replace', path: '/n', value: n },
        { op: 'add', path: '/list/-', value: n },
      ];
      if ((s.server.hub.topic(topic)!.state as { list: number[] }).list.length >= 4)
        ops.push({ op: 'remove', path: '/list/0' });
      s.server.publish(topic, ops as never);
    }
  };

  const harness: Harness = {
    s,
    proxy,
    topics,
    clients,
    addClient(clientOptions = {}, subscribeTo = topics) {
      const counting = countingWebSocket();
      const client = createTetherClient({
        url: proxy.httpUrl,
        WebSocket: counting.WebSocket,
        network: false,
        fetch: null,
        polling: false,
        ...FAST,
        ...clientOptions,
      });
      const audits = subscribeTo.map((topic) => new Audit(client.subscribe(topic).ref, truth));
      const entry: HarnessClient = {
        client,
        audits,
        sockets: counting.counter,
        status: () => connectionView(client.actor.getSnapshot()).status,
      };
      clients.push(entry);
      return entry;
    },
    publishAll,
    startPublishing(everyMs = 10) {
      clearInterval(publisher);
      publisher = setInterval(publishAll, everyMs);
    },
    stopPublishing() {
      clearInterval(publisher);
      publisher = undefined;
    },
    async expectConverged(timeoutMs = 10_000) {
      proxy.blackhole(false);
      proxy.refuse(false);
      proxy.latency(0);
      proxy.throttle(null);
      for (const { audits, client } of clients) {
        for (const audit of audits) {
          const topic = s.server.hub.topic(audit.view.topic)!;
          await vi.waitFor(
            () => {
              const { epoch, seq, status } = audit.view;
              expect(
                { topic: topic.name, status, epoch, seq },
                connectionView(client.actor.getSnapshot()).statePath,
              ).toEqual({ topic: topic.name, status: 'live', epoch: topic.epoch, seq: topic.seq });
            },
            { timeout: timeoutMs, interval: 10 },
          );
          // A fresh snapshot from the server, at the same seq.
          const snapshot = topic.snapshot().frame;
          expect(snapshot.seq).toBe(audit.view.seq);
          expect(audit.view.data).toEqual(snapshot.data);
        }
      }
      for (const { audits } of clients)
        for (const audit of audits) expect(audit.problems).toEqual([]);
    },
    totals: () => sumAudits(clients.flatMap(({ audits }) => audits)),
    async close() {
      harness.stopPublishing();
      for (const { client } of clients) client.stop();
      await proxy.close();
      await s.close();
    },
  };
  return harness;
}
