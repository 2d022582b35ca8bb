import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, validatePublishRequest } from '../src/protocol/index.ts';
import type { ErrorFrame, PublishedResponse } from '../src/protocol/index.ts';
import { readJsonBody, sendError, sendJson } from './http-util.ts';
import type { Hub } from './hub.ts';
import { checkChange } from './limits.ts';
import { PatchRefusedError, diffStates } from './topic.ts';

export interface PublishEndpointOptions {
  hub: Hub;
  /** Accepted bearer keys; none means publishing over HTTP is disabled. */
  keys: readonly string[];
  maxBytes: number;
}

const REALM = 'Bearer realm="tether-publish"';

/** Compared as SHA-256 digests: equal length, constant time, whatever the length of the guess. */
const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * `POST /api/publish`: trusted tools (a backend, a cron job, curl) push changes to topics.
 * Checks, in order, so an unauthenticated caller never makes us read its body: enabled (403),
 * credential (401), size (413), JSON and shape (400 `bad_frame`), topic (404), the topic's
 * limits (413 `too_large`, 400 `too_deep`), patch (400 `bad_patch`). A refused publish leaves the topic exactly as it was.
 */
export class PublishEndpoint {
  readonly #hub: Hub;
  readonly #keys: Buffer[];
  readonly #maxBytes: number;

  constructor(options: PublishEndpointOptions) {
    this.#hub = options.hub;
    this.#keys = options.keys.map(digest);
    this.#maxBytes = options.maxBytes;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.#keys.length === 0) {
      return sendError(
        res,
        403,
        ErrorCode.forbidden,
        'publishing over HTTP is disabled: start the server with a publish key (option publishKey, environment TETHER_PUBLISH_KEY)',
      );
    }
    const auth = this.#authenticate(req.headers.authorization);
    if (auth !== 'ok') {
      const message =
        auth === 'missing'
          ? 'send the publish key as "Authorization: Bearer <key>"'
          : 'the publish key is not valid';
      const challenge = auth === 'missing' ? REALM : `${REALM}, error="invalid_token"`;
      return sendError(res, 401, ErrorCode.unauthorized, message, {
        'WWW-Authenticate': challenge,
      });
    }

    const body = await readJsonBody(req, res, this.#maxBytes, 'publish bodies');
    if (!body.ok) return;
    const value = body.value;
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return sendError(res, 400, ErrorCode.badFrame, 'body must be a JSON object');
    const decoded = validatePublishRequest(value);
    if (!decoded.ok) return sendError(res, 400, ErrorCode.badFrame, decoded.message);
    const { topic: name, ops, data } = decoded.frame;

    const topic = this.#hub.topic(name);
    if (!topic) return sendTopicError(res, 404, ErrorCode.unknownTopic, `no topic "${name}"`, name);
    // Measured before diffing or applying, which recurse into the values; the whole state again at commit.
    const overLimit = checkChange(decoded.frame, topic.limits);
    if (overLimit) return sendLimitError(res, overLimit, name);
    let published;
    try {
      // Decided against the committed state (a `data` body is diffed at commit time), and answered
      // once committed, so the seq in the answer is the one subscribers see.
      const result = await this.#hub.update(name, (state) => ({
        ok: true,
        ops: ops ?? diffStates(state, data),
      }));
      if (!result.ok) return sendLimitError(res, result, name);
      published = result.patch?.frame;
    } catch (error) {
      if (!(error instanceof PatchRefusedError)) throw error;
      return sendTopicError(res, 400, ErrorCode.badPatch, error.message, name);
    }
    const answer: PublishedResponse = published
      ? { type: 'published', topic: name, epoch: published.epoch, seq: published.seq }
      : { type: 'published', topic: name, epoch: topic.epoch, seq: topic.seq, changed: false };
    sendJson(res, 200, answer);
  }

  /** Whether `token` is one of the publish keys (publishers may also read what they write: /api/poll, /api/topics). */
  accepts(token: string): boolean {
    return this.#keys.length > 0 && this.#authenticate(`Bearer ${token}`) === 'ok';
  }

  #authenticate(header: string | undefined): 'ok' | 'missing' | 'invalid' {
    const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
    if (!match) return 'missing';
    const guess = digest(match[1]!);
    // Every key is compared (no early exit), so timing does not tell which one nearly matched.
    let ok = false;
    for (const key of this.#keys) ok = timingSafeEqual(key, guess) || ok;
    return ok ? 'ok' : 'invalid';
  }
}

/** A refusal decided at commit: the topic's limits (too_large 413, too_deep 400). */
function sendLimitError(
  res: ServerResponse,
  refusal: { code: string; message: string },
  topic: string,
): void {
  const status = refusal.code === ErrorCode.tooLarge ? 413 : 400;
  sendTopicError(res, status, refusal.code, refusal.message, topic);
}

function sendTopicError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  topic: string,
): void {
  const frame: ErrorFrame = { type: 'error', code, message, topic };
  sendJson(res, status, frame);
}
