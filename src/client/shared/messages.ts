import type { BackoffSettings } from '../../../machines/connection.ts';
import type { ActionRequest, TopicFrame } from '../../../machines/wire.ts';
import type { SendRate } from '../send-pacer.ts';
import type { ConnectionView, OutboxView, SubscriptionView } from '../view-types.ts';

/**
 * What tabs and the shared hub (a SharedWorker, or the leader tab) say to each other. Views go
 * one way as plain JSON (structured clone); commands the other. Credentials never leave the
 * tabs except as the answer to a `token?` request, and never go in a URL.
 */

/** What a port needs: a MessagePort, a BroadcastChannel endpoint, or a fake in tests. */
export interface PortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start?(): void;
  close(): void;
}

/** The client options that can travel to the hub (plain data); the first tab's win. */
export interface SharedConfig {
  url: string;
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  checkTimeoutMs?: number;
  backoff?: Partial<BackoffSettings>;
  polling?:
    | false
    | {
        waitMs?: number;
        minIntervalMs?: number;
        probe?: { baseMs?: number; capMs?: number };
        retry?: { baseMs?: number; capMs?: number };
      };
  ackTimeoutMs?: number;
  sendRate?: Partial<SendRate>;
  batchWindowMs?: number;
}

export type TabMessage =
  /** First message on a port: who this tab is and how to connect if nobody has yet. */
  | { type: 'attach'; tab: string; config: SharedConfig }
  | { type: 'subscribe'; topic: string }
  | { type: 'unsubscribe'; topic: string }
  /** `id` is the tab's own: `send()` returns it synchronously; the hub maps it. */
  | ({ type: 'send' } & ActionRequest)
  | { type: 'retry' }
  /** Visible again, online again: ask the server now (LINK.CHECK). */
  | { type: 'check' }
  | { type: 'reauthenticate'; request: number }
  /** The tab's copy of a topic disagrees with the hub's (it never should): send the whole view again. */
  | { type: 'resync'; topic: string }
  | { type: 'token'; request: number; token: string | undefined }
  /** The tab is going away (pagehide, stop): release what it held. */
  | { type: 'detach' };

export type HubMessage =
  | { type: 'connection'; view: ConnectionView }
  /** Only this tab's actions, under the ids the tab gave them. */
  | { type: 'outbox'; view: OutboxView }
  /**
   * A topic's view. With `data` (on subscribe, on resync) the tab takes it whole; without, the
   * tab keeps the data it folded from `frames` and checks it is at the same epoch and seq.
   */
  | { type: 'topic'; view: SubscriptionView; withData: boolean }
  /**
   * A batch of snapshot/patch frames that changed the hub's subscription, in order: the tab folds
   * it too (machines/sequence.ts, applyPatchImmutably), so an update costs its patch, not the
   * whole document, and the tab's data keeps its structural sharing.
   */
  | { type: 'frames'; topic: string; frames: readonly TopicFrame[] }
  | { type: 'reauthenticated'; request: number; error?: string }
  /** The hub's client needs a credential (before a connection, a poll, a refresh). */
  | { type: 'token?'; request: number }
  /**
   * The server renewed the credential over the live connection: each tab keeps it where its
   * getToken reads (`onTokenRenewed`), so a reload after the hub is gone still signs in. Never
   * sent over a leader's BroadcastChannel, which any page of the origin can hear.
   */
  | { type: 'token-renewed'; token: string };
