import { join } from 'node:path';
import { applyPatchImmutably } from '../../src/protocol/index.ts';
import { ensureDataDir } from '../data-dir.ts';
import type { Topic } from '../topic.ts';
import type { ActionReply, Broker, ClientCounts, ExclusiveTask } from './broker.ts';
import { MemoryBroker } from './memory-broker.ts';
import { DATABASE_FILE, SqliteStore, StoreCorruptError } from './sqlite-store.ts';
import type { StoredTopic } from './sqlite-store.ts';

/** The whole state is stored again after this many patches, so a start replays at most these. */
const SNAPSHOT_EVERY = 256;
/** Action replies kept for resends (the most recent ones). */
const ACTIONS_KEPT = 100_000;
const TRIM_ACTIONS_EVERY = 1000;

export interface SqliteBrokerOptions {
  /** The data directory (created with mode 0700); the database is `tether.db` inside it. */
  dataDir: string;
}

/**
 * The single-node durable store: one process, like the memory broker, but every publish is
 * committed to an embedded SQLite database (libsql) before anyone hears of it. A restart finds
 * each topic's epoch, seq, state and patch history as they were, so clients resume with the
 * patches they missed, and action replies, so a resend after a crash is not run twice.
 */
export class SqliteBroker implements Broker {
  readonly kind = 'sqlite' as const;
  readonly available = true;
  readonly dataDir: string;
  readonly #store: SqliteStore;
  readonly #local = new MemoryBroker();
  /** Per topic, the seq whose whole state was stored last. */
  readonly #stateSeqs = new Map<string, number>();
  /** The action whose publish is being made now (synchronously), if any. */
  #action: { key: string; ack: string } | null = null;
  #settled = 0;

  constructor(options: SqliteBrokerOptions) {
    this.dataDir = ensureDataDir(options.dataDir);
    this.#store = new SqliteStore(join(this.dataDir, DATABASE_FILE));
  }

  get file(): string {
    return this.#store.file;
  }

  adopt(topic: Topic): void {
    const stored = this.#store.loadTopic(topic.name);
    if (stored) {
      const state = replay(this.#store.file, topic.name, stored);
      topic.reset(stored.epoch, stored.seq, state, stored.patches);
      this.#stateSeqs.set(topic.name, stored.stateSeq);
    } else {
      this.#store.createTopic(topic.name, topic.epoch, topic.state);
      this.#stateSeqs.set(topic.name, 0);
    }
    topic.setJournal({
      record: (patch, nextState) => {
        const { seq } = patch.frame;
        const due = seq - (this.#stateSeqs.get(topic.name) ?? 0) >= SNAPSHOT_EVERY;
        const snapshot = due ? { state: nextState, trimThrough: seq - topic.historyLength } : null;
        this.#store.recordPatch(topic.name, patch, snapshot, this.#action);
        if (due) this.#stateSeqs.set(topic.name, seq);
      },
    });
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  onAvailability(): () => void {
    return () => undefined;
  }

  claimAction(id: string): Promise<ActionReply | 'claimed'> {
    const stored = this.#store.actionReply(id);
    return Promise.resolve(stored === null ? 'claimed' : (JSON.parse(stored) as ActionReply));
  }

  settleAction(id: string, reply: ActionReply): void {
    this.#store.settleAction(id, JSON.stringify(reply));
    if (++this.#settled % TRIM_ACTIONS_EVERY === 0) this.#store.trimActions(ACTIONS_KEPT);
  }

  duringAction<T>(action: { key: string; id: string }, run: () => T): T {
    const outer = this.#action;
    this.#action = { key: action.key, ack: JSON.stringify({ type: 'ack', id: action.id }) };
    try {
      return run();
    } finally {
      this.#action = outer;
    }
  }

  exclusive(name: string, start: () => () => void): ExclusiveTask {
    return this.#local.exclusive(name, start);
  }

  trackClients(read: () => ClientCounts): void {
    this.#local.trackClients(read);
  }

  clusterClients(): ClientCounts {
    return this.#local.clusterClients();
  }

  close(): Promise<void> {
    this.#store.close();
    return Promise.resolve();
  }
}

/** The stored state brought forward by the patches stored after it. */
function replay(file: string, name: string, stored: StoredTopic): unknown {
  let state = stored.state;
  let seq = stored.stateSeq;
  for (const { frame } of stored.patches) {
    if (frame.seq <= stored.stateSeq) continue;
    const result = frame.seq === seq + 1 ? applyPatchImmutably(state, frame.ops) : null;
    if (!result?.ok)
      throw new StoreCorruptError(
        file,
        `topic "${name}": stored patch ${frame.seq} does not apply`,
      );
    state = result.doc;
    seq = frame.seq;
  }
  if (seq !== stored.seq)
    throw new StoreCorruptError(file, `topic "${name}": patches end at ${seq}, not ${stored.seq}`);
  return state;
}
