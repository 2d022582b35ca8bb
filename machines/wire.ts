/**
 * The shapes of wire protocol v1 as the machines see them. Machines may import only xstate, so
 * they cannot name src/protocol's types; these mirror them structurally. src/client hands the
 * machines frames decoded by src/protocol and sends the frames the machines build through the
 * protocol's encoder, so the compiler checks that both sides still agree.
 */

export interface Position {
  epoch: string;
  seq: number;
}

/** An RFC 6902 operation; the machines only carry operations, src/protocol interprets them. */
export interface PatchOp {
  op: string;
  path: string;
}

export interface SnapshotFrame {
  type: 'snapshot';
  topic: string;
  epoch: string;
  seq: number;
  data: unknown;
}
export interface PatchFrame {
  type: 'patch';
  topic: string;
  epoch: string;
  seq: number;
  ops: readonly PatchOp[];
}
export type TopicFrame = SnapshotFrame | PatchFrame;

/** A field an action wanted to change that changed since its base, and its current value (absent: gone). */
export interface FieldConflict {
  path: string;
  value?: unknown;
}

/**
 * An action as the client queues it: `base` and `fields` (together or not at all) ask the server
 * to merge it per field (docs/protocol.md § Merging concurrent edits).
 */
export interface ActionRequest {
  id: string;
  topic: string;
  payload: unknown;
  base?: Position;
  fields?: string[];
}

export type InboundFrame =
  | TopicFrame
  | { type: 'welcome'; heartbeatMs: number }
  | { type: 'pong'; t: number }
  | { type: 'ack'; id: string }
  | { type: 'nack'; id: string; code: string; message: string; conflicts?: FieldConflict[] }
  | { type: 'error'; code: string; message: string; topic?: string | undefined };

/** Frames about the connection itself, as opposed to a topic's data. */
export type ControlFrame = Exclude<InboundFrame, TopicFrame>;

export type OutboundFrame =
  | { type: 'hello'; token?: string; renew?: boolean }
  | { type: 'subscribe'; topic: string; since?: Position }
  | { type: 'unsubscribe'; topic: string }
  | { type: 'ping'; t: number }
  | ({ type: 'action' } & ActionRequest);

/** What children send their parent to put a frame on the wire. */
export interface SendEvent {
  type: 'SEND';
  frame: OutboundFrame;
}

export interface ErrorInfo {
  code: string;
  message: string;
}

/** The outcome of applying operations: all or nothing (src/protocol's applyPatchImmutably). */
export type PatchOutcome = { ok: true; doc: unknown } | { ok: false; error: string };

/**
 * Method form on purpose (bivariant parameters): the runtime passes src/protocol's applier, whose
 * operation type is narrower than `PatchOp`; every operation it receives came out of that
 * protocol's validation, so the narrower type holds in practice.
 */
export type PatchApplier = {
  bivarianceHack(doc: unknown, ops: readonly PatchOp[]): PatchOutcome;
}['bivarianceHack'];

/** A document being patched across calls; `root` is the result so far. */
export interface PatchDraftLike {
  readonly root: unknown;
}

/**
 * Patches one document across calls (src/protocol's createPatchDraft and applyToDraft): a
 * container copied by an earlier call is written in place, nothing else is written. After a
 * refusal the draft holds part of the refused patch and is dropped. Method form (bivariant
 * parameters) for the same reason as `PatchApplier`.
 */
export interface PatchDrafts {
  create(doc: unknown): PatchDraftLike;
  apply(draft: PatchDraftLike, ops: readonly PatchOp[]): PatchOutcome;
}
