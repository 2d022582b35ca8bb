/** The Tether client runtime: what dashboards and other apps import. */
export { createTetherClient } from './create-client.ts';
export { createSharedTetherClient } from './shared/share.ts';
export type { SharedClientOptions } from './shared/share.ts';
export type {
  ConnectionActorRef,
  SubscriptionActorRef,
  TetherClient,
  TetherClientOptions,
  TopicHold,
  LocalTetherClient,
} from './create-client.ts';
export type { SendOptions } from './action-request.ts';
export { persistOutbox } from './outbox-store.ts';
export type { OutboxStore, StoredAction } from './outbox-store.ts';
export { indexedDbOutboxStore } from './indexeddb-outbox-store.ts';
export { snapshotViews } from './view-source.ts';
export type { SnapshotSource, ViewSource } from './view-source.ts';
export { connectionView, outboxView, subscriptionView } from './views.ts';
export type { ConnectionSnapshot, OutboxSnapshot, SubscriptionSnapshot } from './views.ts';
export type * from './view-types.ts';
export type { WebSocketConstructor, WebSocketLike } from './websocket-transport.ts';
export type { FetchLike } from './polling-transport.ts';
export type { GetToken } from './credentials.ts';
export type { SendRate } from './send-pacer.ts';
export type { NetworkSettings, NetworkTarget } from './network-status.ts';
export type { AppliedEvent } from '../../machines/subscription.ts';
export type {
  PageLifecycleSettings,
  PageWindow,
  PageDocument,
  WakeDetection,
} from './page-lifecycle.ts';
