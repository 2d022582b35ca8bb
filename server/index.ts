/**
 * The Tether server as a library (`tether-live/server`, docs/server.md): create one, define topics,
 * publish to them, and listen on its own port or attach it to an existing `http.Server`.
 */
export { createTetherServer } from './tether-server.ts';
export type { TetherServer } from './tether-server.ts';
export type { TetherServerOptions } from './options.ts';
export type { ActionReply, Broker, ClientCounts, ExclusiveTask } from './broker/broker.ts';
export type { RedisBrokerOptions } from './broker/redis-broker.ts';
export { bearerToken, mintToken } from './auth.ts';
export type { AuthOptions, MintOptions, Principal, TokenClaims } from './auth.ts';
export type { TopicGrants } from './grants.ts';
export { DEFAULT_ALLOWED_ORIGINS } from './origin.ts';
export type {
  ActionContext,
  ActionHandler,
  ActionResult,
  TopicDefinition,
  TopicInfo,
} from './hub.ts';
export { PatchRefusedError, diffStates } from './topic.ts';
export type { Topic } from './topic.ts';
export { acceptPatches } from './patch-actions.ts';
export { typedTopics } from './typed-topics.ts';
export type { TypedTopics } from './typed-topics.ts';
export { registerHostMetrics } from './sources/index.ts';
export type { HostMetricsOptions } from './sources/index.ts';
export { defineConfiguredTopics, readDashboardFile, readTopicsFile } from './config-files.ts';
export type { TopicFileEntry } from './config-files.ts';
export { DEFAULT_DASHBOARD_CONFIG, ErrorCode } from '../src/protocol/index.ts';
export type {
  DashboardConfig,
  PatchFrame,
  PatchOperation,
  PublishRequest,
  PublishedResponse,
} from '../src/protocol/index.ts';
