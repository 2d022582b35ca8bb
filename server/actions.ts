import { ErrorCode } from '../src/protocol/index.ts';
import type { ActionFrame, NackFrame } from '../src/protocol/index.ts';
import type { ActionReply } from './broker/broker.ts';
import { checkFields } from './field-merge.ts';
import type { ActionBase } from './field-merge.ts';
import type { ActionResult, Hub } from './hub.ts';
import { Lru } from './lru.ts';
import { PatchRefusedError } from './topic.ts';
import type { UpdateDecision, UpdateResult } from './topic.ts';

export const DEFAULT_ACTION_DEDUPE_SIZE = 10_000;

export type { ActionReply };

export interface ActionDispatcherOptions {
  /** How many recent action ids are remembered for deduplication. */
  dedupeSize?: number;
  /** Where handler failures are reported (they reach the client only as a generic nack). */
  onError?: (error: unknown) => void;
}

/**
 * Whose action an id names: ids are chosen by clients, so one user's id must never answer (or
 * swallow) another user's action, nor one topic's another's. `subject` is the token's `sub` (null
 * without auth, where every client is the same nobody).
 */
export function actionKey(subject: string | null, topic: string, id: string): string {
  return JSON.stringify([subject, topic, id]);
}

/**
 * Runs user actions against writable topics, exactly once per (subject, topic, id). The reply (a promise, so an id
 * repeated while its first run is still pending waits for the same answer) is remembered in an
 * LRU: a client that retries after a lost ack gets the original ack or nack again, and the
 * handler is not run a second time. With a distributed broker the id is also claimed in the
 * shared store first, so a retry that reaches another node gets the same reply.
 */
export class ActionDispatcher {
  readonly #hub: Hub;
  readonly #replies: Lru<string, Promise<ActionReply>>;
  readonly #onError: (error: unknown) => void;

  constructor(hub: Hub, options: ActionDispatcherOptions = {}) {
    this.#hub = hub;
    this.#replies = new Lru(options.dedupeSize ?? DEFAULT_ACTION_DEDUPE_SIZE);
    this.#onError =
      options.onError ?? ((error) => console.error('tether: action handler failed', error));
  }

  /** `subject`: who sent it (the principal's subject; null without auth). */
  dispatch(
    frame: ActionFrame,
    transport: 'websocket' | 'http',
    subject: string | null = null,
  ): Promise<ActionReply> {
    const key = actionKey(subject, frame.topic, frame.id);
    const known = this.#replies.get(key);
    if (known) return known;
    const reply =
      this.#hub.broker.kind === 'memory'
        ? this.#run(frame, transport, key)
        : this.#runClaimed(frame, transport, key);
    this.#replies.set(key, reply);
    return reply;
  }

  async #runClaimed(
    frame: ActionFrame,
    transport: 'websocket' | 'http',
    key: string,
  ): Promise<ActionReply> {
    const { broker } = this.#hub;
    let claim: ActionReply | 'claimed';
    try {
      claim = await broker.claimAction(key);
    } catch (error) {
      // Not remembered: a resend is tried afresh once the shared store is back.
      this.#replies.delete(key);
      return this.#failed(frame.id, error);
    }
    // The broker knows the action by its key; the client by its id.
    if (claim !== 'claimed') return { ...claim, id: frame.id };
    const reply = await this.#run(frame, transport, key);
    broker.settleAction(key, reply);
    return reply;
  }

  #run(frame: ActionFrame, transport: 'websocket' | 'http', key: string): Promise<ActionReply> {
    const nack = (code: string, message: string): Promise<ActionReply> =>
      Promise.resolve({ type: 'nack', id: frame.id, code, message });
    const target = this.#hub.actionTarget(frame.topic);
    if (target === 'unknown') return nack(ErrorCode.unknownTopic, `no topic "${frame.topic}"`);
    if (target === 'read-only')
      return nack(ErrorCode.notWritable, `topic "${frame.topic}" does not accept actions`);

    if ((frame.base === undefined) !== (frame.fields === undefined))
      return nack(ErrorCode.badFrame, 'base and fields go together: send both or neither');
    const merge: ActionBase | undefined = frame.base &&
      frame.fields && { base: frame.base, fields: frame.fields };

    const reply = (result: UpdateResult): ActionReply =>
      result.ok
        ? { type: 'ack', id: frame.id }
        : {
            type: 'nack',
            id: frame.id,
            code: result.code,
            message: result.message,
            ...(result.conflicts && { conflicts: result.conflicts }),
          };
    const failed = (error: unknown) => this.#failed(frame.id, error);
    // A synchronous handler decides inside the topic's update, so its decision and the publish are
    // one step (locally at once; with a distributed broker again after a conflict with another
    // node). An asynchronous one decides once, on the state when the action arrived.
    let pending: Promise<ActionResult> | null = null;
    const action = { key, id: frame.id };
    const update = (decide: (state: unknown) => UpdateDecision) =>
      this.#hub.broker.duringAction(action, () => this.#hub.update(frame.topic, decide));
    const decided = update((state) => {
      if (pending) return { ok: true }; // asked again after a conflict: an asynchronous handler runs once
      const refusal = merge && checkFields(target.topic, state, merge);
      if (refusal) return refusal;
      const result = target.onAction(frame.payload, {
        id: frame.id,
        topic: frame.topic,
        state,
        limits: target.topic.limits,
        transport,
        ...(merge && { base: merge }),
      });
      if (!(result instanceof Promise)) return result;
      pending = result;
      return { ok: true };
    });
    return decided.then((result) => {
      const later = pending;
      if (!later) return reply(result);
      return later.then((decision) => update(() => decision)).then(reply, failed);
    }, failed);
  }

  #failed(id: string, error: unknown): NackFrame {
    this.#onError(error);
    const message =
      error instanceof PatchRefusedError ? error.message : 'the action handler failed';
    return { type: 'nack', id, code: ErrorCode.internal, message };
  }
}
