import * as v from 'valibot';
import { ErrorCode, Position, TopicName, encodeFrame } from '../src/protocol/index.ts';
import type { ErrorFrame } from '../src/protocol/index.ts';
import type { Hub } from './hub.ts';

export const MAX_POLL_WAIT_MS = 30_000;

export interface PollRequest {
  entries: { topic: string; since: Position | undefined }[];
  waitMs: number;
  client: string | undefined;
}

const ClientId = v.pipe(v.string(), v.minLength(1), v.maxLength(128));

/**
 * Reads `topic=T&since=E:N&…&wait=ms&client=id`. Pairs are positional: a `since` belongs to the
 * `topic` just before it, so each topic may have its own position or none.
 */
export function parsePollQuery(
  params: URLSearchParams,
): { ok: true; request: PollRequest } | { ok: false; message: string } {
  const entries: PollRequest['entries'] = [];
  let waitMs = 0;
  let client: string | undefined;
  for (const [key, value] of params) {
    if (key === 'topic') {
      if (!v.is(TopicName, value))
        return { ok: false, message: `topic "${String(value)}" is not a valid topic name` };
      entries.push({ topic: value, since: undefined });
    } else if (key === 'since') {
      const last = entries.at(-1);
      if (!last || last.since)
        return { ok: false, message: 'each since=E:N must follow its own topic=T' };
      const since = parseSince(value);
      if (!since) return { ok: false, message: `since "${value}" is not EPOCH:SEQ` };
      last.since = since;
    } else if (key === 'wait') {
      if (!/^\d{1,9}$/.test(value))
        return { ok: false, message: 'wait is a whole number of milliseconds' };
      waitMs = Math.min(Number(value), MAX_POLL_WAIT_MS);
    } else if (key === 'client') {
      if (!v.is(ClientId, value)) return { ok: false, message: 'client is 1 to 128 characters' };
      client = value;
    }
  }
  if (entries.length === 0) return { ok: false, message: 'name at least one topic=T' };
  return { ok: true, request: { entries, waitMs, client } };
}

/** `E:N`, split at the last ':' so the epoch part is taken whole. */
function parseSince(text: string): Position | undefined {
  const cut = text.lastIndexOf(':');
  const seqText = text.slice(cut + 1);
  if (cut < 1 || !/^\d{1,15}$/.test(seqText)) return undefined;
  const position = { epoch: text.slice(0, cut), seq: Number(seqText) };
  return v.is(Position, position) ? position : undefined;
}

/** Why an entry (the `index`th topic of the request) is not served: `forbidden`, `too_many_subscriptions`; null = serve it. */
export type PollRefusal = (topic: string, index: number) => ErrorFrame | null;
const serveAll: PollRefusal = () => null;

/** True when no requested topic has anything new, i.e. the request may be held (a refused topic is news). */
export function isUpToDate(
  hub: Hub,
  request: PollRequest,
  refuse: PollRefusal = serveAll,
): boolean {
  return request.entries.every(
    ({ topic, since }, index) =>
      refuse(topic, index) === null && hub.topic(topic)?.isUpToDate(since) === true,
  );
}

/**
 * `{"frames":[…]}` built from the topics' cached frame texts: snapshot/patch frames, or an error
 * (with the topic) per refused or unknown topic. Refusal comes first, so it tells nothing about
 * whether the topic exists.
 */
export function pollAnswer(hub: Hub, request: PollRequest, refuse: PollRefusal = serveAll): string {
  const texts: string[] = [];
  for (const [index, { topic: name, since }] of request.entries.entries()) {
    const refusal = refuse(name, index);
    if (refusal) {
      texts.push(encodeFrame(refusal));
      continue;
    }
    const topic = hub.topic(name);
    if (topic) for (const { text } of topic.framesSince(since)) texts.push(text);
    else
      texts.push(
        encodeFrame({
          type: 'error',
          code: ErrorCode.unknownTopic,
          message: `no topic "${name}"`,
          topic: name,
        }),
      );
  }
  return `{"frames":[${texts.join(',')}]}`;
}

interface Waiter {
  topics: readonly string[];
  wake: () => void;
}

/**
 * Held long polls. A publish on any topic a request waits for wakes it; so do its deadline, the
 * client going away, and shutdown (`releaseAll`), so a request is never held past its `wait`.
 */
export class LongPolls {
  readonly #byTopic = new Map<string, Set<Waiter>>();
  #released = false;

  constructor(hub: Hub) {
    const wake = (topic: { name: string }) => {
      const waiters = this.#byTopic.get(topic.name);
      if (waiters) for (const waiter of [...waiters]) waiter.wake();
    };
    hub.onPublish(wake);
    hub.onReset(wake);
    // Shared state gone: answer what is held now; the next poll is refused until it is back.
    hub.broker.onAvailability((available) => {
      if (!available)
        for (const waiters of [...this.#byTopic.values()])
          for (const waiter of [...waiters]) waiter.wake();
    });
  }

  /** Resolves on the first publish to one of `topics`, after `ms`, on `abort`, or on release. */
  wait(
    topics: readonly string[],
    ms: number,
    abort: { once(event: 'close', fn: () => void): unknown },
  ): Promise<void> {
    if (this.#released) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.wake(), ms);
      const waiter: Waiter = {
        topics,
        wake: () => {
          clearTimeout(timer);
          for (const topic of topics) this.#byTopic.get(topic)?.delete(waiter);
          resolve();
        },
      };
      for (const topic of topics) {
        let set = this.#byTopic.get(topic);
        if (!set) this.#byTopic.set(topic, (set = new Set()));
        set.add(waiter);
      }
      abort.once('close', () => waiter.wake());
    });
  }

  /** Shutdown: answer everything held now and hold nothing from here on. */
  releaseAll(): void {
    this.#released = true;
    for (const waiters of [...this.#byTopic.values()])
      for (const waiter of [...waiters]) waiter.wake();
  }
}
