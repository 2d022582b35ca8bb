import * as v from 'valibot';
import { TopicName } from '../src/protocol/index.ts';
import type { PatchFrame, PatchOperation } from '../src/protocol/index.ts';
import type { Broker } from './broker/broker.ts';
import type { ActionBase } from './field-merge.ts';
import { MemoryBroker } from './broker/memory-broker.ts';
import type { TopicLimits } from './limits.ts';
import { Topic, newEpoch } from './topic.ts';
import type { Encoded, UpdateDecision, UpdateResult } from './topic.ts';

export type ActionResult = UpdateDecision;

export interface ActionContext<T> {
  /** The action frame's id (already deduplicated: a handler never sees the same id twice). */
  id: string;
  topic: string;
  /** The topic's state when the action arrived. */
  state: T;
  /** What the topic may hold; a change past these is refused when it is committed. */
  limits?: Readonly<TopicLimits>;
  transport: 'websocket' | 'http';
  /**
   * The base and fields the action came with, already checked: none of those fields changed since
   * the base (server/field-merge.ts). A handler should refuse changes outside `fields`.
   */
  base?: ActionBase;
}

/**
 * Decides what a user action does. Return ops to publish (the server publishes them, then acks),
 * or a refusal that becomes a nack. Synchronous handlers run and publish in one step, so two
 * actions arriving together cannot both pass a version check against the same state.
 */
export type ActionHandler<T> = (
  payload: unknown,
  ctx: ActionContext<T>,
) => ActionResult | Promise<ActionResult>;

export interface TopicDefinition<T> {
  initial: T;
  historyLength?: number;
  /** Overrides the server's topic limits for this topic. */
  limits?: Partial<TopicLimits>;
  /** Whether clients may send actions to this topic (defaults to true when onAction is given). */
  writable?: boolean;
  onAction?: ActionHandler<T>;
}

export interface TopicInfo {
  name: string;
  epoch: string;
  seq: number;
  writable: boolean;
}

const withoutUndefined = <T extends object>(value: T | undefined): Partial<T> =>
  Object.fromEntries(
    Object.entries(value ?? {}).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;

export type PublishListener = (topic: Topic, patch: Encoded<PatchFrame>) => void;
/** Hears a topic re-based on shared state (another epoch, lost history): its subscribers need a snapshot. */
export type ResetListener = (topic: Topic) => void;

interface Entry {
  topic: Topic;
  writable: boolean;
  onAction: ActionHandler<unknown> | undefined;
}

/**
 * The set of topics of one server. With the in-memory broker all topics share the hub's epoch,
 * which is new for every process, so a restart invalidates every client position at once; a
 * distributed broker gives each topic the epoch stored with it. Listeners hear every committed
 * publish synchronously (also publishes made on a Topic directly), which is what keeps catch-up
 * and live frames in order for each subscriber.
 */
export class Hub {
  readonly epoch: string;
  readonly broker: Broker;
  readonly #defaultHistoryLength: number | undefined;
  readonly #limits: Partial<TopicLimits> | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<PublishListener>();
  readonly #resetListeners = new Set<ResetListener>();

  constructor(
    options: {
      epoch?: string;
      historyLength?: number;
      limits?: Partial<TopicLimits>;
      broker?: Broker;
    } = {},
  ) {
    this.epoch = options.epoch ?? newEpoch();
    this.#defaultHistoryLength = options.historyLength;
    this.#limits = options.limits;
    this.broker = options.broker ?? new MemoryBroker();
  }

  defineTopic<T>(name: string, definition: TopicDefinition<T>): Topic<T> {
    const checked = v.safeParse(TopicName, name);
    if (!checked.success)
      throw new TypeError(`invalid topic name "${name}": ${checked.issues[0].message}`);
    if (this.#entries.has(name)) throw new Error(`topic "${name}" is already defined`);
    const topic = new Topic<T>(name, {
      initial: definition.initial,
      epoch: this.epoch,
      historyLength: definition.historyLength ?? this.#defaultHistoryLength,
      limits: { ...this.#limits, ...withoutUndefined(definition.limits) },
      onPublish: (patch) => {
        for (const listener of this.#listeners) listener(topic, patch);
      },
    });
    const writable = definition.writable ?? definition.onAction !== undefined;
    if (writable && !definition.onAction)
      throw new Error(`topic "${name}" is writable but has no onAction`);
    this.#entries.set(name, {
      topic,
      writable,
      onAction: definition.onAction as ActionHandler<unknown> | undefined,
    });
    topic.onReset(() => {
      for (const listener of this.#resetListeners) listener(topic);
    });
    this.broker.adopt(topic);
    return topic;
  }

  topic(name: string): Topic | undefined {
    return this.#entries.get(name)?.topic;
  }

  /** The action handler of a writable topic, or why there is none. */
  actionTarget(
    name: string,
  ): { topic: Topic; onAction: ActionHandler<unknown> } | 'unknown' | 'read-only' {
    const entry = this.#entries.get(name);
    if (!entry) return 'unknown';
    if (!entry.writable || !entry.onAction) return 'read-only';
    return { topic: entry.topic, onAction: entry.onAction };
  }

  /** Applies ops to a topic and fans the patch out; throws on an unknown topic or a refused patch. */
  publish(name: string, ops: readonly PatchOperation[]): PatchFrame | null {
    return this.#require(name).publish(ops)?.frame ?? null;
  }

  /** Publishes the difference between the topic's state and `next` (nothing when they are equal). */
  publishState(name: string, next: unknown): PatchFrame | null {
    return this.#require(name).publishState(next)?.frame ?? null;
  }

  /**
   * Decides on the topic's current state and publishes the ops decided, as one step (see
   * Topic.update); resolves once committed. Rejects on an unknown topic or a refused patch.
   */
  update(name: string, decide: (state: unknown) => UpdateDecision): Promise<UpdateResult> {
    const topic = this.#entries.get(name)?.topic;
    if (!topic) return Promise.reject(new Error(`unknown topic "${name}"`));
    return topic.update(decide);
  }

  onReset(listener: ResetListener): () => void {
    this.#resetListeners.add(listener);
    return () => this.#resetListeners.delete(listener);
  }

  onPublish(listener: PublishListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  list(): TopicInfo[] {
    return [...this.#entries.values()].map(({ topic, writable }) => ({
      name: topic.name,
      epoch: topic.epoch,
      seq: topic.seq,
      writable,
    }));
  }

  #require(name: string): Topic {
    const topic = this.#entries.get(name)?.topic;
    if (!topic) throw new Error(`unknown topic "${name}"`);
    return topic;
  }
}
