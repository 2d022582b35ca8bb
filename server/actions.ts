import { ErrorCode } from '../src/protocol/index.ts';
import type { AckFrame, ActionFrame, NackFrame } from '../src/protocol/index.ts';
import type { ActionResult, Hub } from './hub.ts';
import { Lru } from './lru.ts';
import { PatchRefusedError } from './topic.ts';

export const DEFAULT_ACTION_DEDUPE_SIZE = 10_000;

export type ActionReply = AckFrame | NackFrame;

export interface ActionDispatcherOptions {
  /** How many recent action ids are remembered for deduplication. */
  dedupeSize?: number;
  /** Where handler failures are reported (they reach the client only as a generic nack). */
  onError?: (error: unknown) => void;
}

/**
 * Runs user actions against writable topics, exactly once per id. The reply (a promise, so an id
 * repeated while its first run is still pending waits for the same answer) is remembered in an
 * LRU: a client that retries after a lost ack gets the original ack or nack again, and the
 * handler is not run a second time.
 */
export class ActionDispatcher {
  readonly #hub: Hub;
  readonly #replies: Lru<string, Promise<ActionReply>>;
  readonly #onError: (error: unknown) => void;

  constructor(hub: Hub, options: ActionDispatcherOptions = {}) {
    this.#hub = hub;
    this.#replies = new Lru(options.dedupeSize ?? DEFAULT_ACTION_DEDUPE_SIZE);
    this.#onError = options.onError ?? ((error) => console.error('tether: action handler failed', error));
  }

  dispatch(frame: ActionFrame, transport: 'websocket' | 'http'): Promise<ActionReply> {
    const known = this.#replies.get(frame.id);
    if (known) return known;
    const reply = this.#run(frame, transport);
    this.#replies.set(frame.id, reply);
    return reply;
  }

  #run(frame: ActionFrame, transport: 'websocket' | 'http'): Promise<ActionReply> {
    const nack = (code: string, message: string): Promise<ActionReply> => Promise.resolve({ type: 'nack', id: frame.id, code, message });
    const target = this.#hub.actionTarget(frame.topic);
    if (target === 'unknown') return nack(ErrorCode.unknownTopic, `no topic "${frame.topic}"`);
    if (target === 'read-only') return nack(ErrorCode.notWritable, `topic "${frame.topic}" does not accept actions`);

    const settle = (result: ActionResult): ActionReply => {
      if (!result.ok) return { type: 'nack', id: frame.id, code: result.code, message: result.message };
      try {
        if (result.ops) target.topic.publish(result.ops);
      } catch (error) {
        return this.#failed(frame.id, error);
      }
      return { type: 'ack', id: frame.id };
    };
    try {
      const result = target.onAction(frame.payload, { id: frame.id, topic: frame.topic, state: target.topic.state, transport });
      // A synchronous result is published now, before any other frame is handled (see ActionHandler).
      if (result instanceof Promise) return result.then(settle, (error: unknown) => this.#failed(frame.id, error));
      return Promise.resolve(settle(result));
    } catch (error) {
      return Promise.resolve(this.#failed(frame.id, error));
    }
  }

  #failed(id: string, error: unknown): NackFrame {
    this.#onError(error);
    const message = error instanceof PatchRefusedError ? error.message : 'the action handler failed';
    return { type: 'nack', id, code: ErrorCode.internal, message };
  }
}
