import { randomBytes } from 'node:crypto';
// The default import: Node's ESM loader cannot see fast-json-patch's CommonJS named exports.
import jsonpatch from 'fast-json-patch';
import { applyPatchImmutably, encodeFrame } from '../src/protocol/index.ts';
import type {
  FieldConflict,
  PatchResult,
  PatchFrame,
  PatchOperation,
  Position,
  SnapshotFrame,
  TopicFrame,
} from '../src/protocol/index.ts';
import { limitMessage, measureJson, pointerDepth, resolveTopicLimits, valueAt } from './limits.ts';
import type { TopicLimits } from './limits.ts';

export const DEFAULT_HISTORY_LENGTH = 1000;

/** A frame together with its JSON text, so fan-out serializes each frame once, not once per subscriber. */
export interface Encoded<F> {
  frame: F;
  text: string;
}

/** Thrown when a patch does not apply to the current state; the topic is left exactly as it was. */
export class PatchRefusedError extends Error {
  constructor(topic: string, reason: string) {
    super(`topic "${topic}": patch refused: ${reason}`);
    this.name = 'PatchRefusedError';
  }
}

/** A change that would take the topic past one of its limits (`too_deep`, `too_large`); nothing changed. */
export class TopicLimitError extends PatchRefusedError {
  readonly code: 'too_deep' | 'too_large';

  constructor(topic: string, code: 'too_deep' | 'too_large', limits: TopicLimits) {
    super(topic, limitMessage(code, limits));
    this.name = 'TopicLimitError';
    this.code = code;
  }
}

/**
 * A new epoch for every server process: a client holding another epoch cannot trust its seq, so it
 * gets a snapshot. Time first (readable in logs), then randomness; never a ':' (`since=E:N`).
 */
export function newEpoch(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** A refusal; `conflicts` names the fields behind a `conflict` or `stale_base`. */
export interface UpdateRefusal {
  ok: false;
  code: string;
  message: string;
  conflicts?: FieldConflict[];
}
/** What an update decides: ops to publish (none: nothing changes) or a refusal. */
export type UpdateDecision = { ok: true; ops?: PatchOperation[] } | UpdateRefusal;
/** What an update did: the patch it published (null: nothing to publish), or the refusal. */
export type UpdateResult = { ok: true; patch: Encoded<PatchFrame> | null } | UpdateRefusal;

/**
 * Who commits a topic's publishes when the topic is a replica of shared state (server/broker):
 * the topic then changes only through `applyCommitted` / `reset`, in the order the broker commits.
 */
export interface TopicWriter {
  /** Checks `ops` against this node's view (committed + queued), queues them; returns the frame as expected. */
  publish(ops: readonly PatchOperation[]): Encoded<PatchFrame> | null;
  /** Runs `decide` against the committed state at commit time (again after a conflict) and commits its ops. */
  update(decide: (state: unknown) => UpdateDecision): Promise<UpdateResult>;
}

/**
 * Where a durable broker records each publish (server/broker/sqlite-broker.ts). `record` runs after
 * the patch is checked and before anything changes or anyone hears of it, so what a subscriber or
 * an ack has seen is already stored; if it throws, the publish is refused.
 */
export interface TopicJournal {
  record(patch: Encoded<PatchFrame>, nextState: unknown): void;
}

export interface TopicOptions<T> {
  initial: T;
  epoch?: string;
  /** How many patch frames are kept for resuming subscribers; older ones force a snapshot. */
  historyLength?: number;
  /** Hears every publish synchronously (the hub's fan-out), whoever called publish. */
  onPublish?: (patch: Encoded<PatchFrame>) => void;
  /** Depth, state bytes and history bytes (default DEFAULT_TOPIC_LIMITS). */
  limits?: Partial<TopicLimits>;
}

/**
 * One named document with a position (epoch, seq) and a bounded history of the patches that led
 * to it. State is immutable: every publish produces a new root that shares untouched subtrees, so
 * handing `state` to a subscriber is a reference, never a copy. Callers hand over ownership of the
 * ops and states they publish and must not mutate them afterwards.
 */
export class Topic<T = unknown> {
  readonly name: string;
  readonly historyLength: number;
  readonly limits: Readonly<TopicLimits>;
  #epoch: string;
  #state: T;
  /** The state's JSON size as measureJson counts it: kept up to date per change, re-measured per snapshot. */
  #stateBytes: number;
  #seq = 0;
  #history: Encoded<PatchFrame>[] = [];
  #historyBytes = 0;
  // Many subscribers arriving at the same seq (e.g. after a restart) share one snapshot string.
  #snapshotCache: Encoded<SnapshotFrame> | null = null;
  readonly #onPublish: ((patch: Encoded<PatchFrame>) => void) | undefined;
  /** Set when the topic is a replica: publishes go to the broker, which commits them. */
  #writer: TopicWriter | null = null;
  #journal: TopicJournal | null = null;
  readonly #resetListeners = new Set<() => void>();

  constructor(name: string, options: TopicOptions<T>) {
    const historyLength = options.historyLength ?? DEFAULT_HISTORY_LENGTH;
    if (!Number.isInteger(historyLength) || historyLength < 0) {
      throw new RangeError(`topic "${name}": historyLength must be a non-negative integer`);
    }
    this.name = name;
    this.#epoch = options.epoch ?? newEpoch();
    this.historyLength = historyLength;
    this.limits = resolveTopicLimits(options.limits);
    for (const [key, value] of Object.entries(this.limits)) {
      if (!(Number.isInteger(value) && value > 0))
        throw new RangeError(`topic "${name}": limits.${key} must be a positive integer`);
    }
    this.#state = options.initial;
    this.#stateBytes = this.#measureWhole(options.initial, 'initial state');
    this.#onPublish = options.onPublish;
  }

  /** Changes only when a replica is re-based on shared state (`reset`). */
  get epoch(): string {
    return this.#epoch;
  }

  /** Whether the topic mirrors shared state (a distributed broker commits its publishes). */
  get replicated(): boolean {
    return this.#writer !== null;
  }

  get state(): T {
    return this.#state;
  }

  get seq(): number {
    return this.#seq;
  }

  get position(): Position {
    return { epoch: this.epoch, seq: this.#seq };
  }

  /** The patch frames kept for resuming subscribers, oldest first, up to the current seq. */
  get history(): readonly Encoded<PatchFrame>[] {
    return this.#history;
  }

  /**
   * Applies `ops` all-or-nothing and records them as the next patch frame. Throws
   * PatchRefusedError (state and seq untouched) when any operation fails. An empty list changes
   * nothing and publishes nothing, so it returns null.
   */
  publish(ops: readonly PatchOperation[]): Encoded<PatchFrame> | null {
    if (this.#writer) {
      this.#admit(this.#state, ops, () => applyPatchImmutably(this.#state, ops));
      return this.#writer.publish(ops);
    }
    if (ops.length === 0) return null;
    let result: PatchResult<T> | undefined;
    const stateBytes = this.#admit(
      this.#state,
      ops,
      () => (result ??= applyPatchImmutably(this.#state, ops)),
    );
    result ??= applyPatchImmutably(this.#state, ops);
    if (!result.ok) throw new PatchRefusedError(this.name, result.error);
    const frame: PatchFrame = {
      type: 'patch',
      topic: this.name,
      epoch: this.#epoch,
      seq: this.#seq + 1,
      ops: ops as PatchOperation[],
    };
    // Encoded before anything changes: a patch that cannot be sent (JSON.stringify overflows the
    // stack on values nested a few thousand levels deep) must not advance the seq or the state.
    const encoded = { frame, text: encodeOrRefuse(this.name, frame) };
    this.#journal?.record(encoded, result.doc);
    this.#state = result.doc;
    this.#stateBytes = stateBytes;
    this.#seq = frame.seq;
    this.#remember(encoded);
    this.#onPublish?.(encoded);
    return encoded;
  }

  /** Publishes the RFC 6902 difference between the current state and `next`; nothing when equal. */
  publishState(next: T): Encoded<PatchFrame> | null {
    return this.publish(diffStates(this.#state, next));
  }

  /**
   * Decides on the current state and publishes the ops decided, as one step. Locally that happens
   * synchronously, inside this call (so two updates cannot both decide on the same state); on a
   * replica the broker runs `decide` against the committed state when it commits, and again after
   * a conflict with another node. Rejects with PatchRefusedError when the ops do not apply.
   */
  update(decide: (state: T) => UpdateDecision): Promise<UpdateResult> {
    if (this.#writer) {
      // Measured against the committed state the ops will apply to, every time they are decided.
      return this.#writer.update((state) =>
        refusingLimits(() => {
          const decision = decide(state as T);
          if (decision.ok && decision.ops)
            this.#admit(state, decision.ops, () => applyPatchImmutably(state, decision.ops!));
          return decision;
        }),
      );
    }
    try {
      const decision = refusingLimits(() => decide(this.#state));
      if (!decision.ok) return Promise.resolve(decision);
      const patch = refusingLimits(() => ({
        ok: true as const,
        patch: decision.ops ? this.publish(decision.ops) : null,
      }));
      return Promise.resolve(patch);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Measures `ops` against the limits before they are committed to `base`, and returns the state's
   * size after them; throws TopicLimitError. The size is kept up to date from the ops (what they
   * add minus what they replace or remove), and measured exactly on the state after the ops
   * (`applied`) only when that estimate passes the limit or the ops move or copy subtrees.
   */
  #admit(
    base: unknown,
    ops: readonly PatchOperation[],
    applied: () => { ok: true; doc: unknown } | { ok: false },
  ): number {
    const { maxDepth, maxStateBytes } = this.limits;
    let bytes = this.#stateBytes;
    let exact = false;
    for (const op of ops) {
      if (op.op === 'add' || op.op === 'replace' || op.op === 'test') {
        const measured = measureJson(op.value, maxDepth - pointerDepth(op.path), maxStateBytes);
        if (!measured.ok) throw new TopicLimitError(this.name, measured.code, this.limits);
        if (op.op !== 'test') bytes += measured.bytes;
      }
      if (op.op === 'move' || op.op === 'copy') exact = true;
      if (op.op === 'replace' || op.op === 'remove' || (op.op === 'add' && !op.path.endsWith('/-')))
        bytes -= op.path === '' ? this.#stateBytes : this.#bytesOf(valueAt(base, op.path));
    }
    if (!exact && bytes <= maxStateBytes) return Math.max(0, bytes);
    const result = applied();
    if (!result.ok) return this.#stateBytes; // refused by the patch itself, with its own reason
    const measured = measureJson(result.doc, maxDepth, maxStateBytes);
    if (!measured.ok) throw new TopicLimitError(this.name, measured.code, this.limits);
    return measured.bytes;
  }

  #bytesOf(value: unknown): number {
    if (value === undefined) return 0;
    const measured = measureJson(value, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    return measured.ok ? measured.bytes : 0;
  }

  /** A state handed to us whole (initial, or shared state on reset): it must fit the depth limit. */
  #measureWhole(state: unknown, what: string): number {
    const measured = measureJson(state, this.limits.maxDepth, Number.POSITIVE_INFINITY);
    if (!measured.ok)
      throw new RangeError(
        `topic "${this.name}": the ${what} nests deeper than ${this.limits.maxDepth} levels`,
      );
    return measured.bytes;
  }

  /** Makes this topic a replica whose publishes `writer` commits (server/broker). */
  setWriter(writer: TopicWriter): void {
    this.#writer = writer;
  }

  /** Makes every publish of this local topic pass through `journal` first (a durable broker). */
  setJournal(journal: TopicJournal): void {
    this.#journal = journal;
  }

  /**
   * Replica: applies a frame the broker committed, which must be the next seq of this epoch.
   * Returns false (nothing changed) when it is not, or does not apply.
   */
  applyCommitted(encoded: Encoded<PatchFrame>): boolean {
    const { frame } = encoded;
    if (frame.epoch !== this.#epoch || frame.seq !== this.#seq + 1) return false;
    const result = applyPatchImmutably(this.#state, frame.ops);
    if (!result.ok) return false;
    this.#stateBytes = this.#sizeAfter(this.#state, frame.ops, result.doc);
    this.#state = result.doc;
    this.#seq = frame.seq;
    this.#remember(encoded);
    this.#onPublish?.(encoded);
    return true;
  }

  /**
   * Replica: re-bases on the shared state (first load, another epoch, history lost). `history`
   * holds the patch frames leading to `seq`, oldest first. Reset listeners then hand subscribers
   * a snapshot, since their live sequence cannot continue.
   */
  reset(epoch: string, seq: number, state: T, history: Encoded<PatchFrame>[]): void {
    this.#epoch = epoch;
    this.#seq = seq;
    this.#state = state;
    this.#stateBytes = this.#bytesOf(state);
    this.#history = [];
    this.#historyBytes = 0;
    this.#snapshotCache = null;
    for (const encoded of history) if (encoded.frame.seq <= seq) this.#remember(encoded);
    for (const listener of this.#resetListeners) listener();
  }

  onReset(listener: () => void): () => void {
    this.#resetListeners.add(listener);
    return () => this.#resetListeners.delete(listener);
  }

  /** A committed frame's effect on the size (already checked by the node that committed it). */
  #sizeAfter(base: unknown, ops: readonly PatchOperation[], doc: unknown): number {
    try {
      return this.#admit(base, ops, () => ({ ok: true, doc }));
    } catch {
      return this.#bytesOf(doc);
    }
  }

  #remember(encoded: Encoded<PatchFrame>): void {
    if (this.historyLength === 0) return;
    this.#history.push(encoded);
    this.#historyBytes += Buffer.byteLength(encoded.text);
    while (
      this.#history.length > 0 &&
      (this.#history.length > this.historyLength ||
        this.#historyBytes > this.limits.maxHistoryBytes)
    )
      this.#historyBytes -= Buffer.byteLength(this.#history.shift()!.text);
  }

  snapshot(): Encoded<SnapshotFrame> {
    if (this.#snapshotCache?.frame.seq !== this.#seq) {
      const frame: SnapshotFrame = {
        type: 'snapshot',
        topic: this.name,
        epoch: this.#epoch,
        seq: this.#seq,
        data: this.#state,
      };
      this.#snapshotCache = { frame, text: encodeFrame(frame) };
      // Re-measured here, where the whole state is encoded anyway, so the running estimate cannot drift.
      this.#stateBytes = this.#bytesOf(this.#state);
    }
    return this.#snapshotCache;
  }

  /**
   * What a subscriber at `since` needs to reach the current state: the patch frames after it when
   * it is in this epoch and the history still covers it ([] when it is up to date), otherwise one
   * snapshot (no `since`, another epoch, too old, or ahead of us).
   */
  framesSince(since?: Position): Encoded<TopicFrame>[] {
    if (!since || since.epoch !== this.#epoch) return [this.snapshot()];
    // A replica may lag the node a client came from by a few frames: the live feed brings them.
    if (since.seq > this.#seq && this.replicated) return [];
    if (since.seq > this.#seq) return [this.snapshot()];
    if (since.seq === this.#seq) return [];
    const oldest = this.#history[0]?.frame.seq;
    if (oldest === undefined || since.seq < oldest - 1) return [this.snapshot()];
    return this.#history.slice(since.seq - oldest + 1);
  }

  /** True when a subscriber at `since` has nothing to catch up on. */
  isUpToDate(since: Position | undefined): boolean {
    if (since === undefined || since.epoch !== this.#epoch) return false;
    return since.seq === this.#seq || (this.replicated && since.seq > this.#seq);
  }
}

/** Runs `step`, turning a TopicLimitError into the refusal an action or publish answers with. */
function refusingLimits<R>(step: () => R): R | { ok: false; code: string; message: string } {
  try {
    return step();
  } catch (error) {
    if (error instanceof TopicLimitError)
      return { ok: false, code: error.code, message: error.message };
    throw error;
  }
}

export function encodeOrRefuse(topic: string, frame: PatchFrame): string {
  try {
    return encodeFrame(frame);
  } catch (error) {
    throw new PatchRefusedError(
      topic,
      `cannot be encoded: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

const isContainer = (value: unknown): value is object =>
  typeof value === 'object' && value !== null;

/**
 * The RFC 6902 operations that turn `previous` into `next` (fast-json-patch's `compare`). It only
 * walks containers, so a scalar document, or an object that becomes an array, is replaced whole.
 * Arrays are compared index by index: a window that shifts by one row diffs as a replace of every
 * row, so time series are better published as `add /-` + `remove /0` operations.
 */
export function diffStates(previous: unknown, next: unknown): PatchOperation[] {
  if (
    isContainer(previous) &&
    isContainer(next) &&
    Array.isArray(previous) === Array.isArray(next)
  ) {
    return jsonpatch.compare(previous, next) as PatchOperation[];
  }
  return Object.is(previous, next) ? [] : [{ op: 'replace', path: '', value: next }];
}
