/**
 * The rules for the values inside frames, shared by the valibot schemas (frames.ts, patch.ts: the
 * server's checks and the frame types) and the client's hand-written guard (server-frame-guard.ts),
 * so both check the same limits and say the same things.
 */
export const TOPIC_PATTERN = /^[A-Za-z0-9][\w.:/-]*$/;
export const MAX_TOPIC_LENGTH = 128;
export const MAX_EPOCH_LENGTH = 64;
export const MAX_ACTION_ID_LENGTH = 128;
export const MAX_TOKEN_LENGTH = 8192;

export const Reason = {
  topicEmpty: 'a topic is a non-empty string',
  topicTooLong: `a topic is at most ${MAX_TOPIC_LENGTH} characters`,
  topicPattern: 'a topic uses letters, digits and . _ : / -',
  seqInteger: 'seq is an integer',
  seqNegative: 'seq is not negative',
  pointer: 'a JSON Pointer is empty or starts with "/"',
  jsonValue: 'a JSON value is required',
} as const;

/** RFC 6901 JSON Pointer: empty (the whole document) or `/`-separated reference tokens. */
export const isJsonPointer = (value: unknown): value is string =>
  typeof value === 'string' && (value === '' || value.charCodeAt(0) === 47); /* '/' */
