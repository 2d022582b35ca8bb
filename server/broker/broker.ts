import type { AckFrame, NackFrame } from '../../src/protocol/index.ts';
import type { Topic } from '../topic.ts';

export type ActionReply = AckFrame | NackFrame;

export interface ClientCounts {
  websocket: number;
  polling: number;
}

/** A task that runs on one node of the cluster at a time (server/broker/redis-lease.ts). */
export interface ExclusiveTask {
  /** Whether this node runs it now. */
  readonly running: boolean;
  /** Stops it here for good (and hands the lease on at once). */
  stop(): void;
}

/**
 * Where topic state, sequence numbers and history live, and what the nodes of a cluster share.
 * The in-memory broker keeps everything in this process; the SQLite broker (the CLI's default)
 * keeps it in a file so it survives restarts; the Redis broker keeps it in Redis so several server
 * nodes serve the same topics (docs/architecture.md § Scale-out).
 */
export interface Broker {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  /** Takes over a newly defined topic: a distributed broker makes it a replica of the shared state. */
  adopt(topic: Topic): void;
  /** Resolves when every adopted topic reflects the shared state. */
  ready(): Promise<void>;
  /**
   * False while the shared state is unreachable: a node must not serve it then, since it could
   * not tell a live view from a frozen one. The memory broker is always available.
   */
  readonly available: boolean;
  onAvailability(listener: (available: boolean) => void): () => void;
  /**
   * Claims an action id for this node, or returns the reply already given to it by any node.
   * 'claimed': run it, then `settleAction`. The memory broker always answers 'claimed' (the
   * dispatcher's own LRU deduplicates in one process).
   */
  claimAction(id: string): Promise<ActionReply | 'claimed'>;
  settleAction(id: string, reply: ActionReply): void;
  /**
   * Runs the synchronous part of an action's publish: a durable broker stores "`key` was applied"
   * with the patch it publishes, so a crash before `settleAction` still answers a resend with an
   * ack instead of running the action twice. `id` is the action frame's id (for that ack).
   */
  duringAction<T>(action: { key: string; id: string }, run: () => T): T;
  /**
   * Runs `start` only while this node holds the lease `name` (at once with the memory broker);
   * `start` returns the function that stops it. Publishes to `topics` are fenced by the lease:
   * a node that lost it cannot publish to them any more, even before it notices.
   */
  exclusive(
    name: string,
    start: () => () => void,
    options?: { topics?: readonly Topic[] },
  ): ExclusiveTask;
  /** How to read this node's client counts (reported to the other nodes). */
  trackClients(read: () => ClientCounts): void;
  /** Clients connected to the whole cluster: this node's now plus the others' last reports. */
  clusterClients(): ClientCounts;
  close(): Promise<void>;
}
