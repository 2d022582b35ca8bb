import * as v from 'valibot';
import {
  MAX_ACTION_ID_LENGTH,
  MAX_EPOCH_LENGTH,
  MAX_TOKEN_LENGTH,
  MAX_TOPIC_LENGTH,
  Reason,
  TOPIC_PATTERN,
} from './frame-rules.ts';
import { JsonPointer, JsonValue, PatchOperations } from './patch.ts';

/** Wire protocol v1. Every frame is a JSON object with a `type`; unknown extra fields are ignored. */
export const PROTOCOL_VERSION = 1;

export const TopicName = v.pipe(
  v.string(),
  v.minLength(1, Reason.topicEmpty),
  v.maxLength(MAX_TOPIC_LENGTH, Reason.topicTooLong),
  v.regex(TOPIC_PATTERN, Reason.topicPattern),
);
export const Epoch = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_EPOCH_LENGTH));
export const Seq = v.pipe(
  v.number(),
  v.integer(Reason.seqInteger),
  v.minValue(0, Reason.seqNegative),
);
export const Position = v.object({ epoch: Epoch, seq: Seq });
export type Position = v.InferOutput<typeof Position>;

const ActionId = v.pipe(v.string(), v.minLength(1), v.maxLength(MAX_ACTION_ID_LENGTH));
const Millis = v.pipe(v.number(), v.finite());

// Client → server
export const HelloFrame = v.object({
  type: v.literal('hello'),
  token: v.optional(v.pipe(v.string(), v.maxLength(MAX_TOKEN_LENGTH))),
  /** The client takes renewed tokens (`token` frames); a server that does not renew ignores it. */
  renew: v.optional(v.boolean()),
});
export const SubscribeFrame = v.object({
  type: v.literal('subscribe'),
  topic: TopicName,
  since: v.optional(Position),
});
export const UnsubscribeFrame = v.object({ type: v.literal('unsubscribe'), topic: TopicName });
export const PingFrame = v.object({ type: v.literal('ping'), t: Millis });
/** The most fields one action may name (docs/protocol.md § Merging concurrent edits). */
export const MAX_ACTION_FIELDS = 64;
/**
 * `base` and `fields` are additions to v1 (optional, so old clients and servers ignore them): the
 * topic position the action was made against and the JSON Pointers it changes. The server then
 * applies it unless one of those fields changed since `base` (a per-field merge).
 */
export const ActionFrame = v.object({
  type: v.literal('action'),
  id: ActionId,
  topic: TopicName,
  payload: JsonValue,
  base: v.optional(Position),
  fields: v.optional(
    v.pipe(
      v.array(v.pipe(JsonPointer, v.maxLength(1024, 'a field is at most 1024 characters'))),
      v.minLength(1, 'fields names at least one JSON Pointer'),
      v.maxLength(MAX_ACTION_FIELDS, `fields names at most ${MAX_ACTION_FIELDS} pointers`),
    ),
  ),
});

export const ClientFrame = v.variant('type', [
  HelloFrame,
  SubscribeFrame,
  UnsubscribeFrame,
  PingFrame,
  ActionFrame,
]);

// Server → client
export const WelcomeFrame = v.object({
  type: v.literal('welcome'),
  heartbeatMs: v.pipe(v.number(), v.integer(), v.minValue(1)),
});
/** A renewed credential for this connection (sent only to clients whose hello had `renew: true`). */
export const TokenFrame = v.object({
  type: v.literal('token'),
  token: v.pipe(v.string(), v.maxLength(MAX_TOKEN_LENGTH)),
});
export const SnapshotFrame = v.object({
  type: v.literal('snapshot'),
  topic: TopicName,
  epoch: Epoch,
  seq: Seq,
  data: JsonValue,
});
export const PatchFrame = v.object({
  type: v.literal('patch'),
  topic: TopicName,
  epoch: Epoch,
  seq: Seq,
  ops: PatchOperations,
});
export const PongFrame = v.object({ type: v.literal('pong'), t: Millis });
export const AckFrame = v.object({ type: v.literal('ack'), id: ActionId });
/** A field an action wanted to change that changed since its base, with its current value (absent: no longer there). */
export const FieldConflict = v.object({ path: v.string(), value: v.optional(JsonValue) });
/** `conflicts` is an addition to v1: on `conflict` and `stale_base`, the fields concerned and their current values. */
export const NackFrame = v.object({
  type: v.literal('nack'),
  id: ActionId,
  code: v.string(),
  message: v.string(),
  conflicts: v.optional(v.array(FieldConflict)),
});
/** `topic` is an addition to v1 (optional, so old clients ignore it): which subscription an error concerns. */
export const ErrorFrame = v.object({
  type: v.literal('error'),
  code: v.string(),
  message: v.string(),
  topic: v.optional(v.string()),
});

export const ServerFrame = v.variant('type', [
  WelcomeFrame,
  SnapshotFrame,
  PatchFrame,
  PongFrame,
  AckFrame,
  NackFrame,
  ErrorFrame,
  TokenFrame,
]);

export type HelloFrame = v.InferOutput<typeof HelloFrame>;
export type SubscribeFrame = v.InferOutput<typeof SubscribeFrame>;
export type UnsubscribeFrame = v.InferOutput<typeof UnsubscribeFrame>;
export type PingFrame = v.InferOutput<typeof PingFrame>;
export type ActionFrame = v.InferOutput<typeof ActionFrame>;
export type ClientFrame = v.InferOutput<typeof ClientFrame>;
export type WelcomeFrame = v.InferOutput<typeof WelcomeFrame>;
export type TokenFrame = v.InferOutput<typeof TokenFrame>;
export type SnapshotFrame = v.InferOutput<typeof SnapshotFrame>;
export type PatchFrame = v.InferOutput<typeof PatchFrame>;
export type PongFrame = v.InferOutput<typeof PongFrame>;
export type AckFrame = v.InferOutput<typeof AckFrame>;
export type NackFrame = v.InferOutput<typeof NackFrame>;
export type FieldConflict = v.InferOutput<typeof FieldConflict>;
export type ErrorFrame = v.InferOutput<typeof ErrorFrame>;
export type ServerFrame = v.InferOutput<typeof ServerFrame>;
/** Frames that carry topic data, in the order they must be applied. */
export type TopicFrame = SnapshotFrame | PatchFrame;
