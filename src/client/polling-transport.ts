import { fromCallback } from 'xstate';
import { backoffDelay } from '../../machines/backoff.ts';
import type { InboundFrame, PollEvent, SendEvent, TopicCursor } from '../../machines/connection.ts';
import type { ControlFrame } from '../../machines/wire.ts';
import { ErrorCode, encodeFrame, validateServerFrame } from '../protocol/index.ts';
import type { Credentials } from './credentials.ts';
import type { TopicFrameInbox } from './frame-router.ts';

/** The part of `fetch` the transport uses (the global one, undici's, or a test double). */
export type FetchLike = (
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{ status: number; ok: boolean; json(): Promise<unknown> }>;

export interface PollingSettings {
  /** http(s) base URL of the server, without a trailing slash. */
  baseUrl: string;
  fetch: FetchLike;
  /** Lets the server count polling clients; one per TetherClient. */
  clientId: string;
  /** How long the server may hold a poll open when nothing is new. */
  waitMs: number;
  /**
   * Least time between the starts of two polls. A held poll answers as soon as anything is new;
   * this only stops a topic whose answers do not move its position from polling in a hot loop.
   */
  minIntervalMs: number;
  /** Backoff between failed requests. */
  retry: { baseMs: number; capMs: number };
  random: () => number;
  /** Asked before every request; sent as `Authorization: Bearer <token>`, never in the URL. */
  credentials?: Credentials | null;
  /** The topics held and where each resumes, read for every request. */
  cursors: () => TopicCursor[];
  /** Where each answer's topic frames go (to their subscriptions), handed over with the answer. */
  topics: TopicFrameInbox;
}

export const DEFAULT_POLL_WAIT_MS = 20_000;
export const DEFAULT_POLL_MIN_INTERVAL_MS = 250;

class Refused extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * HTTP long polling with the same frames as the WebSocket. Each request asks for every topic the
 * connection holds, from the position its subscription holds (read fresh for every request), so a
 * lost response costs nothing but time. A new subscribe restarts the held request at once.
 */
export const pollingTransport = (settings: PollingSettings) =>
  fromCallback<SendEvent>(({ sendBack, receive }) => {
    const { cursors } = settings;
    let stopped = false;
    // Responses can land after cleanup; a stopped actor reports nothing.
    const report = (event: PollEvent) => stopped || sendBack(event);
    /** An answer proves the link (LINK.UP comes first), then its topic frames, then the rest. */
    const answer = (frames: InboundFrame[], topics: string[]) => {
      report({ type: 'POLL.ANSWERED' });
      const control: ControlFrame[] = [];
      for (const frame of frames) {
        if (frame.type !== 'snapshot' && frame.type !== 'patch') control.push(frame);
        else if (!stopped) settings.topics.receive(frame);
      }
      if (!stopped) settings.topics.handOver();
      report({ type: 'POLL.FRAMES', frames: control, topics });
    };
    const inFlight = new Set<AbortController>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let wake: (() => void) | undefined;
    let poll: AbortController | undefined;
    /** A subscribe came after the current poll was built: the next one must not wait. */
    let hurry = false;

    const request = async (
      path: string,
      init: { method?: string; body?: string } = {},
      controller = new AbortController(),
    ): Promise<unknown> => {
      inFlight.add(controller);
      try {
        const headers: Record<string, string> =
          init.body === undefined ? {} : { 'content-type': 'application/json' };
        const token = settings.credentials ? await settings.credentials.next() : undefined;
        if (token !== undefined) headers.authorization = `Bearer ${token}`;
        const response = await settings.fetch(`${settings.baseUrl}${path}`, {
          ...init,
          headers,
          signal: controller.signal,
        });
        if (response.status === 401)
          throw new Refused(
            ErrorCode.unauthorized,
            await refusalMessage(response, 'the server refused our credentials (HTTP 401)'),
          );
        if (response.status === 403)
          throw new Refused(
            ErrorCode.forbidden,
            await refusalMessage(response, 'the server refused access (HTTP 403)'),
          );
        if (!response.ok) throw new Error(`HTTP ${response.status} from ${path.split('?')[0]}`);
        return await response.json();
      } finally {
        inFlight.delete(controller);
      }
    };

    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, hurry ? 0 : ms);
      });

    const pollOnce = async (held: TopicCursor[]): Promise<void> => {
      if (held.length === 0) {
        // Nothing to ask for: prove the server is reachable, then wait for a subscribe.
        await request('/healthz');
        answer([], []);
        await sleep(settings.waitMs);
        return;
      }
      const query = new URLSearchParams();
      for (const { topic, since } of held) {
        query.append('topic', topic);
        if (since) query.append('since', `${since.epoch}:${since.seq}`);
      }
      query.set('wait', String(settings.waitMs));
      query.set('client', settings.clientId);
      const startedAt = Date.now();
      hurry = false;
      poll = new AbortController();
      const body = await request(`/api/poll?${query}`, {}, poll);
      answer(
        framesIn(body),
        held.map(({ topic }) => topic),
      );
      await sleep(Math.max(0, startedAt + settings.minIntervalMs - Date.now()));
    };

    const run = async () => {
      let failures = 0;
      while (!stopped) {
        try {
          await pollOnce(cursors());
          failures = 0;
        } catch (error) {
          if (stopped) return;
          if (error instanceof Refused)
            return report({ type: 'POLL.REFUSED', code: error.code, message: error.message });
          if (poll?.signal.aborted) continue; // restarted for a new subscribe
          const delayMs = backoffDelay(
            failures++,
            { ...settings.retry, minMs: settings.retry.baseMs },
            settings.random,
          );
          report({
            type: 'POLL.ERROR',
            message: error instanceof Error ? error.message : String(error),
            retryAt: Date.now() + delayMs,
          });
          await sleep(delayMs);
        } finally {
          poll = undefined;
        }
      }
    };

    const restart = () => {
      hurry = true;
      poll?.abort();
      clearTimeout(timer);
      wake?.();
    };

    const postAction = async (frame: SendEvent['frame']) => {
      try {
        const reply = await request('/api/actions', { method: 'POST', body: encodeFrame(frame) });
        answer(framesIn({ frames: [reply] }), []);
      } catch (error) {
        // Lost replies are the outbox's business: it sends again, with the same id, on its timeout.
        if (error instanceof Refused)
          report({ type: 'POLL.REFUSED', code: error.code, message: error.message });
      }
    };

    receive(({ frame }) => {
      if (frame.type === 'action') void postAction(frame);
      else if (frame.type === 'subscribe' || frame.type === 'unsubscribe') restart();
      // hello and ping have no meaning over HTTP
    });

    void run();

    return () => {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      for (const controller of inFlight) controller.abort();
    };
  });

/** The server's own reason from an error frame body, else `fallback`. */
async function refusalMessage(
  response: { json(): Promise<unknown> },
  fallback: string,
): Promise<string> {
  try {
    const body = (await response.json()) as { message?: unknown } | null;
    return typeof body?.message === 'string' && body.message !== '' ? body.message : fallback;
  } catch {
    return fallback;
  }
}

/** The valid server frames of a `{"frames":[…]}` body; anything else is dropped. */
function framesIn(body: unknown): InboundFrame[] {
  const list =
    typeof body === 'object' &&
    body !== null &&
    Array.isArray((body as { frames?: unknown }).frames)
      ? (body as { frames: unknown[] }).frames
      : [];
  const frames: InboundFrame[] = [];
  for (const value of list) {
    const decoded = validateServerFrame(value);
    // Tokens are renewed over WebSocket only.
    if (decoded.ok && decoded.frame.type !== 'token') frames.push(decoded.frame);
  }
  return frames;
}
