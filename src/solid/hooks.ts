import type { Accessor } from 'solid-js';
import type { ConnectionView, OutboxView, SendOptions, TetherClient } from '../client/index.ts';
import { TetherProvider, useTetherClient } from './context.ts';
import { useConnection, useOutbox } from './use-connection.ts';
import { useTopic, type TopicState } from './use-topic.ts';

/** The client's `send`, from the nearest <TetherProvider>: queues an action in the outbox, returns its id. */
export function useSend(): (topic: string, payload: unknown, options?: SendOptions) => string {
  const client = useTetherClient();
  return (topic, payload, options) => client.send(topic, payload, options);
}

/** The topic names of a topic map, e.g. `'host.cpu' | 'orders.perMinute'`. */
export type TopicNameOf<Topics extends object> = keyof Topics & string;

/** The hooks, checked against the app's topic map: an unknown topic is a type error, data is typed. */
export interface TetherHooks<Topics extends object> {
  useTopic<K extends TopicNameOf<Topics>>(topic: K): TopicState<Topics[K]>;
  /** Queues an action for a topic in the client's outbox; returns its id. */
  useSend(): (topic: TopicNameOf<Topics>, payload: unknown, options?: SendOptions) => string;
  useConnection(): Accessor<ConnectionView>;
  useOutbox(): Accessor<OutboxView>;
  useTetherClient(): TetherClient;
  TetherProvider: typeof TetherProvider;
}

/**
 * Typing only: the returned hooks are the untyped ones (one shared context), with signatures
 * narrowed to `Topics`. Declare the map once next to the app and export the hooks from there:
 *
 * ```ts
 * interface AppTopics { 'orders.perMinute': { t: number; count: number }[] }
 * export const { useTopic } = createTetherHooks<AppTopics>();
 * useTopic('orders.perMinute').data(); // { t: number; count: number }[] | undefined
 * ```
 */
export function createTetherHooks<Topics extends object>(): TetherHooks<Topics> {
  return {
    useTopic: useTopic,
    useSend,
    useConnection,
    useOutbox,
    useTetherClient,
    TetherProvider,
  };
}
