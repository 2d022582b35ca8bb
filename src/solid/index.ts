/**
 * Solid bindings for the Tether client (`tether-live/solid`, docs/solid.md): a provider for the client,
 * topic and connection hooks with Solid accessors, and typed hooks for an app's topic map.
 */
export { TetherProvider, useTetherClient } from './context.ts';
export type { TetherProviderProps } from './context.ts';
export { subscribeTopic, useTopic } from './use-topic.ts';
export type { TopicState, TopicView } from './use-topic.ts';
export { useConnection, useOutbox } from './use-connection.ts';
export { createTetherHooks, useSend } from './hooks.ts';
export type { TetherHooks, TopicNameOf } from './hooks.ts';
export { createFrameScheduler } from './frame.ts';
export { fromViewSource } from './view-signal.ts';
