import { applyPatchImmutably } from '../../src/protocol/index.ts';
import type { PatchFrame, PatchOperation } from '../../src/protocol/index.ts';
import { PatchRefusedError, encodeOrRefuse, newEpoch } from '../topic.ts';
import type { Encoded, Topic, TopicWriter, UpdateDecision, UpdateResult } from '../topic.ts';
import { buildBatch, settleBatch } from './redis-batch.ts';
import type { Batch, Item } from './redis-batch.ts';
import type { TetherScripts } from './redis-scripts.ts';

/** Frames read per catch-up round trip. */
const CATCH_UP_COUNT = 1000;
/** Publishes committed in one script call at most (a backlog is sent in several). */
const MAX_BATCH = 500;
/** Publishes a node queues for a topic while Redis is away; past this they are refused. */
const MAX_QUEUED = 10_000;
/** The stream keeps at least this many frames, so a node that missed a few can catch up from it. */
const MIN_STREAM_LENGTH = 256;

export interface TopicKeys {
  hash: string;
  stream: string;
  channel: string;
}

/** What a replica needs from its broker. */
export interface ReplicaLink {
  scripts: TetherScripts;
  /** Whether commands can be sent now (connected); a replica retries when `resume()` is called. */
  connected(): boolean;
  nextBatchId(): string;
  onError(error: unknown): void;
}

/** A lease that guards a topic: commits carry its token and Redis refuses them once it is not ours. */
export interface Fence {
  key: string;
  token(): string | null;
}

/**
 * A publish to a fenced topic from a node that does not hold its lease: refused like a patch that
 * does not apply (`POST /api/publish` answers 400), since only the lease holder publishes there.
 */
export class LeaseLostError extends PatchRefusedError {
  constructor(topic: string) {
    super(topic, 'only the node holding the lease that guards this topic publishes to it');
    this.name = 'LeaseLostError';
  }
}

/**
 * One topic of a node backed by Redis. The local Topic is a replica of the committed state: it
 * changes only by frames that Redis committed (this node's, from the commit reply; other nodes',
 * from pub/sub), applied strictly in seq order. A missed message shows as a gap and is filled
 * from the stream; a topic re-created in Redis (another epoch) or a gap the stream no longer
 * covers re-bases the replica (`Topic.reset`, subscribers get a snapshot).
 *
 * Writes are queued and committed one batch at a time with a compare-and-set on (epoch, seq):
 * every queued decision is re-run against the committed state when its batch is built, so a
 * conflict with another node just means "catch up, decide again, retry". Nothing is applied
 * locally before Redis has it, so every node shows the same frames.
 */
export class TopicReplica implements TopicWriter {
  readonly keys: TopicKeys;
  fence: Fence | null = null;
  #loaded = false;
  /** A load or catch-up is running; pub/sub messages wait in #buffer meanwhile. */
  #syncing = false;
  /** Redis was unreachable during a sync: do it again on resume. */
  #needsSync = false;
  #buffer: { batchId: string; text: string }[] = [];
  #queue: Item[] = [];
  #inFlight: Batch | null = null;
  /** The in-flight commit failed without an answer: it may or may not have been committed. */
  #uncertain = false;
  /** The in-flight batch's id was seen on the channel or in the stream: it is committed. */
  #seenInFlight = false;
  /** This node's view for synchronous publishes: committed state + queued publishes. */
  #head: unknown = undefined;
  #headSeq = 0;
  readonly #loadedWaiters: (() => void)[] = [];

  readonly topic: Topic;
  private readonly link: ReplicaLink;

  constructor(topic: Topic, link: ReplicaLink, keys: TopicKeys) {
    this.topic = topic;
    this.link = link;
    this.keys = keys;
  }

  /** Nothing queued or in flight: every publish of this node has reached Redis (or was refused). */
  get idle(): boolean {
    return this.#pending() === 0;
  }

  whenLoaded(): Promise<void> {
    return this.#loaded
      ? Promise.resolve()
      : new Promise((resolve) => this.#loadedWaiters.push(resolve));
  }

  // ---- writes ----

  publish(ops: readonly PatchOperation[]): Encoded<PatchFrame> | null {
    if (ops.length === 0) return null;
    const pending = this.#pending();
    const base = pending === 0 ? this.topic.state : this.#head;
    const result = applyPatchImmutably(base, ops);
    if (!result.ok) throw new PatchRefusedError(this.topic.name, result.error);
    const seq = (pending === 0 ? this.topic.seq : this.#headSeq) + 1;
    const frame: PatchFrame = {
      type: 'patch',
      topic: this.topic.name,
      epoch: this.topic.epoch,
      seq,
      ops: ops as PatchOperation[],
    };
    const encoded = { frame, text: encodeOrRefuse(this.topic.name, frame) };
    this.#enqueue({
      decide: () => ({ ok: true, ops: ops as PatchOperation[] }),
      resolve: () => undefined,
      // Nobody awaits a synchronous publish: a lease lost on the way is expected, the rest is reported.
      reject: (error) => {
        if (!(error instanceof LeaseLostError)) this.link.onError(error);
      },
    });
    this.#head = result.doc;
    this.#headSeq = seq;
    return encoded;
  }

  update(decide: (state: unknown) => UpdateDecision): Promise<UpdateResult> {
    return new Promise((resolve, reject) => this.#enqueue({ decide, resolve, reject }));
  }

  #pending(): number {
    return this.#queue.length + (this.#inFlight?.items.length ?? 0);
  }

  #enqueue(item: Item): void {
    if (this.#queue.length >= MAX_QUEUED)
      throw new Error(
        `topic "${this.topic.name}": ${MAX_QUEUED} publishes are waiting for Redis; refusing more`,
      );
    this.#queue.push(item);
    if (this.#queue.length === 1) queueMicrotask(() => this.flush());
  }

  /** Commits what is queued, one batch at a time. */
  flush(): void {
    if (
      this.#inFlight ||
      !this.#loaded ||
      this.#syncing ||
      this.#queue.length === 0 ||
      !this.link.connected()
    )
      return;
    const token = this.fence ? this.fence.token() : '';
    if (token === null) return this.#rejectAll(new LeaseLostError(this.topic.name));
    const batch = buildBatch(this.topic, this.link.nextBatchId(), this.#queue.splice(0, MAX_BATCH));
    if (batch.frames.length === 0) {
      settleBatch(batch);
      return this.flush();
    }
    let stateText: string;
    try {
      stateText = JSON.stringify(batch.state);
    } catch (error) {
      for (const item of batch.items)
        item.reject(
          new PatchRefusedError(
            this.topic.name,
            `state cannot be encoded: ${(error as Error).message}`,
          ),
        );
      return this.flush();
    }
    this.#inFlight = batch;
    this.#seenInFlight = false;
    const { hash, stream, channel } = this.keys;
    const streamLength = Math.max(this.topic.historyLength, MIN_STREAM_LENGTH);
    const args = [
      this.topic.epoch,
      this.topic.seq,
      streamLength,
      channel,
      stateText,
      token,
      batch.id,
      batch.frames.length,
      ...batch.frames.map((f) => f.text),
    ];
    this.link.scripts.commit({ hash, stream, lease: this.fence?.key ?? hash }, args).then(
      (reply) => this.#committed(batch, reply),
      (error: unknown) => {
        if (this.#inFlight !== batch) return;
        // The script may have run before the connection broke: the stream will tell (see #catchUp).
        this.#uncertain = true;
        this.#needsSync = true;
        this.link.onError(error);
      },
    );
  }

  #committed(batch: Batch, reply: (string | null)[]): void {
    if (this.#inFlight !== batch) return;
    const verdict = reply[0];
    if (verdict === 'ok') {
      for (const encoded of batch.frames)
        if (encoded.frame.seq === this.topic.seq + 1) this.topic.applyCommitted(encoded);
      return this.#finish(batch);
    }
    // Not committed: decide again on the newer state (or refuse, when the lease is gone).
    this.#inFlight = null;
    this.#queue.unshift(...batch.items);
    if (verdict === 'fenced') return this.#rejectAll(new LeaseLostError(this.topic.name));
    void (verdict === 'epoch' ? this.load() : this.catchUp());
  }

  /** The in-flight batch is in Redis (seen in the reply, or in the stream after an uncertain failure). */
  #finish(batch: Batch): void {
    this.#inFlight = null;
    this.#uncertain = false;
    settleBatch(batch);
    this.flush();
  }

  #rejectAll(error: Error): void {
    for (const item of this.#queue.splice(0)) item.reject(error);
  }

  // ---- reads: keeping the replica in step ----

  /** A message from the topic's channel. */
  offer(batchId: string, text: string): void {
    if (this.#inFlight?.id === batchId) this.#seenInFlight = true;
    if (!this.#loaded || this.#syncing) {
      this.#buffer.push({ batchId, text });
      return;
    }
    const encoded = parseFrame(text);
    if (!encoded) return;
    const { frame } = encoded;
    if (frame.epoch === this.topic.epoch && frame.seq <= this.topic.seq) return; // already applied (our own commit reply came first)
    if (
      frame.epoch === this.topic.epoch &&
      frame.seq === this.topic.seq + 1 &&
      this.topic.applyCommitted(encoded)
    )
      return;
    // A message went missing, did not apply, or speaks of another epoch: Redis has the truth.
    void this.catchUp();
  }

  /** After Redis was unreachable, or the channel's subscription reconnected: whatever was missed. */
  resume(): Promise<void> {
    return this.#loaded ? this.catchUp() : this.load();
  }

  /**
   * Reads the frames after our seq from the stream; re-bases when the stream cannot continue us.
   * While a commit's fate is unknown it reads from before that commit, to find its batch id.
   */
  async catchUp(): Promise<void> {
    if (this.#syncing) return; // the buffered messages trigger another round if one is needed
    if (!this.link.connected()) return void (this.#needsSync = true);
    this.#syncing = true;
    this.#needsSync = false;
    const uncertain = this.#uncertain ? this.#inFlight : null;
    let from = uncertain
      ? Math.min(this.topic.seq, uncertain.frames[0]!.frame.seq - 1)
      : this.topic.seq;
    let reload = false;
    try {
      for (;;) {
        const reply = await this.link.scripts.catchUp(
          this.keys.hash,
          this.keys.stream,
          from,
          CATCH_UP_COUNT,
        );
        const [epoch, seqText] = reply;
        if (epoch === this.topic.epoch && Number(seqText) < this.topic.seq) {
          // Redis went back in time within our epoch: its next seqs would repeat ours with other
          // frames. A new epoch from our (newer) state makes every client take a snapshot instead.
          await this.link.scripts.fork(
            this.keys.hash,
            this.keys.stream,
            { epoch, seq: seqText! },
            newEpoch(),
            JSON.stringify(this.topic.state),
          );
        }
        if (epoch !== this.topic.epoch || Number(seqText) < this.topic.seq) {
          reload = true;
          break;
        }
        let read = 0;
        for (let i = 2; i + 1 < reply.length; i += 2, read++) {
          if (uncertain && reply[i] === uncertain.id) this.#seenInFlight = true;
          const encoded = parseFrame(reply[i + 1]!);
          if (!encoded) continue;
          from = encoded.frame.seq;
          if (encoded.frame.seq <= this.topic.seq) continue;
          if (encoded.frame.seq !== this.topic.seq + 1 || !this.topic.applyCommitted(encoded)) {
            reload = true; // trimmed past us, or not applicable: start from the stored state
            break;
          }
        }
        if (reload || read < CATCH_UP_COUNT) break;
      }
    } catch (error) {
      this.#needsSync = true;
      this.link.onError(error);
    } finally {
      this.#syncing = false;
    }
    if (reload) return this.load();
    this.#afterSync();
  }

  /** Creates the topic in Redis if it is not there, and re-bases the replica on what is. */
  async load(): Promise<void> {
    if (this.#syncing) return;
    if (!this.link.connected()) return void (this.#needsSync = true);
    this.#syncing = true;
    try {
      // On a re-creation (Redis lost the topic) the last committed state carries on in a new epoch.
      const reply = await this.link.scripts.load(
        this.keys.hash,
        this.keys.stream,
        newEpoch(),
        JSON.stringify(this.topic.state),
        this.topic.historyLength,
      );
      const [epoch, seqText, stateText, ...texts] = reply;
      const history = texts
        .map((text) => parseFrame(text ?? ''))
        .filter((encoded): encoded is Encoded<PatchFrame> => encoded?.frame.epoch === epoch);
      this.topic.reset(epoch!, Number(seqText), JSON.parse(stateText!) as unknown, history);
      this.#loaded = true;
      this.#needsSync = false;
      for (const waiter of this.#loadedWaiters.splice(0)) waiter();
    } catch (error) {
      this.#needsSync = true;
      this.link.onError(error);
    } finally {
      this.#syncing = false;
    }
    this.#afterSync();
  }

  #afterSync(): void {
    const batch = this.#inFlight;
    if (batch && this.#uncertain && !this.#needsSync) {
      if (this.#seenInFlight) this.#finish(batch);
      else {
        // Not in Redis (or no longer provable, after a re-base): decide again and send it anew.
        this.#inFlight = null;
        this.#uncertain = false;
        this.#queue.unshift(...batch.items);
      }
    }
    const buffered = this.#buffer.splice(0);
    for (const { batchId, text } of buffered) this.offer(batchId, text);
    this.flush();
  }
}

function parseFrame(text: string): Encoded<PatchFrame> | null {
  try {
    const frame = JSON.parse(text) as PatchFrame;
    return frame && frame.type === 'patch' ? { frame, text } : null;
  } catch {
    return null;
  }
}
