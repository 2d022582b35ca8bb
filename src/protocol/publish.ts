import * as v from 'valibot';
import { Epoch, Seq, TopicName } from './frames.ts';
import { JsonValue, PatchOperations } from './patch.ts';

/**
 * Publishing from outside the server process (`POST /api/publish`, docs/server.md). A publish
 * carries either `ops` (RFC 6902 operations applied to the topic's current state, all or nothing)
 * or `data` (the next state; the server computes the diff). Not a WebSocket frame: publishers are
 * trusted tools with a publish key, viewers only subscribe and send actions.
 */

const changeEntries = {
  ops: v.optional(PatchOperations),
  /** `null` is a state like any other; only a missing `data` means "no data". */
  data: v.optional(JsonValue),
};

const NEEDS_ONE = 'give "ops" (RFC 6902 operations) or "data" (the next state)';
const NOT_BOTH = 'give "ops" or "data", not both';

/** Exactly one of `ops` and `data`. */
const exactlyOne = <T extends { ops?: unknown; data?: unknown }>() =>
  v.rawCheck<T>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const { ops, data } = dataset.value;
    if (ops === undefined && data === undefined) addIssue({ message: NEEDS_ONE });
    else if (ops !== undefined && data !== undefined) addIssue({ message: NOT_BOTH });
  });

const TopicChangeObject = v.object(changeEntries);
/** `{ ops }` or `{ data }`: a change to a topic, as publishes and patch actions carry it. */
export const TopicChange = v.pipe(
  TopicChangeObject,
  exactlyOne<v.InferOutput<typeof TopicChangeObject>>(),
);
export type TopicChange = v.InferOutput<typeof TopicChange>;

const PublishObject = v.object({ topic: TopicName, ...changeEntries });
/** The body of `POST /api/publish`: `{ "topic": T, "ops": [...] }` or `{ "topic": T, "data": ... }`. */
export const PublishRequest = v.pipe(
  PublishObject,
  exactlyOne<v.InferOutput<typeof PublishObject>>(),
);
export type PublishRequest = v.InferOutput<typeof PublishRequest>;

/**
 * The answer to a successful publish: the topic's position after it. `changed: false` (and the
 * unchanged seq) when the operations or the diff were empty: nothing was published.
 */
export const PublishedResponse = v.object({
  type: v.literal('published'),
  topic: TopicName,
  epoch: Epoch,
  seq: Seq,
  changed: v.optional(v.literal(false)),
});
export type PublishedResponse = v.InferOutput<typeof PublishedResponse>;
