import type { PatchFrame, PatchOperation } from '../src/protocol/index.ts';
import type { TopicDefinition } from './hub.ts';
import type { TetherServer } from './tether-server.ts';
import type { Topic } from './topic.ts';

/**
 * The server's topic methods checked against an app's topic map, the same map its pages give
 * `createTetherHooks<Topics>()` (tether-live/solid): a misspelt topic or a state of the wrong shape is
 * a type error on both sides.
 */
export interface TypedTopics<Topics extends object> {
  define<K extends keyof Topics & string>(
    name: K,
    definition: TopicDefinition<Topics[K]>,
  ): Topic<Topics[K]>;
  publish(name: keyof Topics & string, ops: readonly PatchOperation[]): PatchFrame | null;
  publishState<K extends keyof Topics & string>(name: K, next: Topics[K]): PatchFrame | null;
  /** The topic's current state. */
  state<K extends keyof Topics & string>(name: K): Topics[K];
}

/** Typing only: every call goes straight to `server`. */
export function typedTopics<Topics extends object>(server: TetherServer): TypedTopics<Topics> {
  return {
    define: (name, definition) => server.defineTopic(name, definition),
    publish: (name, ops) => server.publish(name, ops),
    publishState: (name, next) => server.publishState(name, next),
    state<K extends keyof Topics & string>(name: K): Topics[K] {
      const topic = server.hub.topic(name);
      if (!topic) throw new Error(`unknown topic "${name}"`);
      return topic.state as Topics[K];
    },
  };
}
