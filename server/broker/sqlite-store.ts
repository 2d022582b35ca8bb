import { createRequire } from 'node:module';
import type Database from 'libsql';
import type { PatchFrame } from '../../src/protocol/index.ts';
import type { Encoded } from '../topic.ts';

/** The database file inside the data directory. */
export const DATABASE_FILE = 'tether.db';

/** A topic as stored: its state at `stateSeq` and the patches after it (and some before, for resuming). */
export interface StoredTopic {
  epoch: string;
  seq: number;
  state: unknown;
  stateSeq: number;
  /** Every stored patch frame, oldest first. */
  patches: Encoded<PatchFrame>[];
}

/** The state after a patch, stored with it; patches at or before `trimThrough` are dropped then. */
export interface Snapshot {
  state: unknown;
  trimThrough: number;
}

/** An action whose publish this is: its key and the ack a resend gets. */
export interface AppliedAction {
  key: string;
  ack: string;
}

/**
 * `libsql` is an optional peer dependency (a native module) that only a server with a data
 * directory needs; it is CommonJS, so a synchronous require loads it when the first store opens.
 */
function loadLibsql(): typeof Database {
  try {
    return createRequire(import.meta.url)('libsql') as typeof Database;
  } catch (error) {
    throw new Error('tether: dataDir needs the `libsql` package (npm install libsql)', {
      cause: error,
    });
  }
}

/** The database cannot be opened or read: not a database, damaged, or not ours. */
export class StoreCorruptError extends Error {
  readonly file: string;

  constructor(file: string, reason: string) {
    super(`the database ${file} cannot be read (${reason})`);
    this.file = file;
    this.name = 'StoreCorruptError';
  }
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS topics (
    name TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    state_seq INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS patches (
    topic TEXT NOT NULL,
    seq INTEGER NOT NULL,
    frame TEXT NOT NULL,
    PRIMARY KEY (topic, seq)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS actions (
    key TEXT PRIMARY KEY,
    reply TEXT NOT NULL
  );
`;

interface TopicRow {
  epoch: string;
  seq: number;
  state: string;
  state_seq: number;
}

/**
 * The tables behind the SQLite broker, one statement per job. WAL journal with
 * `synchronous = NORMAL`: a commit is in the WAL file (the operating system's cache) before the
 * call returns, so it survives the process being killed at any instant; only a power cut or kernel
 * crash can lose the last commits before a checkpoint (the database stays consistent either way).
 */
export class SqliteStore {
  readonly file: string;
  readonly #db: Database.Database;
  readonly #statements;
  readonly #record: (
    name: string,
    patch: Encoded<PatchFrame>,
    snapshot: Snapshot | null,
    action: AppliedAction | null,
  ) => void;

  constructor(file: string) {
    this.file = file;
    const Libsql = loadLibsql();
    try {
      this.#db = new Libsql(file);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('synchronous = NORMAL');
      this.#db.pragma('busy_timeout = 1000');
      const check = this.#db.prepare('PRAGMA quick_check').all() as { quick_check?: string }[];
      const verdict = check[0]?.quick_check;
      if (verdict !== undefined && verdict !== 'ok') throw new Error(verdict);
      this.#db.exec(SCHEMA);
    } catch (error) {
      throw new StoreCorruptError(file, error instanceof Error ? error.message : String(error));
    }
    const db = this.#db;
    this.#statements = {
      topic: db.prepare('SELECT epoch, seq, state, state_seq FROM topics WHERE name = ?'),
      patches: db.prepare('SELECT frame FROM patches WHERE topic = ? ORDER BY seq'),
      insertTopic: db.prepare(
        'INSERT INTO topics (name, epoch, seq, state, state_seq) VALUES (?, ?, ?, ?, ?)',
      ),
      setSeq: db.prepare('UPDATE topics SET seq = ? WHERE name = ?'),
      setState: db.prepare('UPDATE topics SET seq = ?, state = ?, state_seq = ? WHERE name = ?'),
      addPatch: db.prepare('INSERT INTO patches (topic, seq, frame) VALUES (?, ?, ?)'),
      trimPatches: db.prepare('DELETE FROM patches WHERE topic = ? AND seq <= ?'),
      reply: db.prepare('SELECT reply FROM actions WHERE key = ?'),
      applied: db.prepare('INSERT OR IGNORE INTO actions (key, reply) VALUES (?, ?)'),
      settle: db.prepare('INSERT OR REPLACE INTO actions (key, reply) VALUES (?, ?)'),
      trimActions: db.prepare(
        'DELETE FROM actions WHERE rowid <= (SELECT max(rowid) FROM actions) - ?',
      ),
    };
    const s = this.#statements;
    this.#record = db.transaction(
      (
        name: string,
        patch: Encoded<PatchFrame>,
        snapshot: Snapshot | null,
        action: AppliedAction | null,
      ) => {
        const { seq } = patch.frame;
        s.addPatch.run(name, seq, patch.text);
        if (snapshot) {
          s.setState.run(seq, JSON.stringify(snapshot.state), seq, name);
          s.trimPatches.run(name, snapshot.trimThrough);
        } else {
          s.setSeq.run(seq, name);
        }
        if (action) s.applied.run(action.key, action.ack);
      },
    );
  }

  /** The stored topic, or null when it has never been stored. Throws StoreCorruptError on unreadable rows. */
  loadTopic(name: string): StoredTopic | null {
    const row = this.#statements.topic.get(name) as TopicRow | undefined;
    if (!row) return null;
    try {
      const patches = (this.#statements.patches.all(name) as { frame: string }[]).map(
        ({ frame }) => ({ frame: JSON.parse(frame) as PatchFrame, text: frame }),
      );
      return {
        epoch: row.epoch,
        seq: row.seq,
        state: JSON.parse(row.state) as unknown,
        stateSeq: row.state_seq,
        patches,
      };
    } catch (error) {
      throw new StoreCorruptError(
        this.file,
        `topic "${name}": ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  createTopic(name: string, epoch: string, state: unknown): void {
    this.#statements.insertTopic.run(name, epoch, 0, JSON.stringify(state), 0);
  }

  /**
   * Stores one publish as one transaction: the patch, the new seq, the whole state when `snapshot`
   * is given (then patches at or before `trimThrough` go), and an applied action's ack.
   */
  recordPatch(
    name: string,
    patch: Encoded<PatchFrame>,
    snapshot: Snapshot | null,
    action: AppliedAction | null,
  ): void {
    this.#record(name, patch, snapshot, action);
  }

  /** The reply stored for an action key (JSON), or null. */
  actionReply(key: string): string | null {
    const row = this.#statements.reply.get(key) as { reply: string } | undefined;
    return row?.reply ?? null;
  }

  settleAction(key: string, reply: string): void {
    this.#statements.settle.run(key, reply);
  }

  /** Keeps the `keep` most recently settled action keys. */
  trimActions(keep: number): void {
    this.#statements.trimActions.run(keep);
  }

  /** Folds the WAL into the database file first, so a stopped server's data is that one file. */
  close(): void {
    if (!this.#db.open) return;
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
    this.#db.close();
  }
}
