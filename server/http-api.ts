import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, validateClientFrame } from '../src/protocol/index.ts';
import type { ActionDispatcher } from './actions.ts';
import { bearerToken } from './auth.ts';
import type { Authenticator, Principal } from './auth.ts';
import { clientAddress, readJsonBody, sendError, sendJson } from './http-util.ts';
import type { Hub } from './hub.ts';
import type { PublishEndpoint } from './http-publish.ts';
import { corsHeaders, preflightHeaders } from './origin.ts';
import type { OriginPolicy } from './origin.ts';
import { LongPolls, isUpToDate, parsePollQuery, pollAnswer } from './poll.ts';
import type { PollRefusal } from './poll.ts';
import type { PollClients } from './poll-clients.ts';

/** Not a protocol error code: it only appears in HTTP 404 bodies for paths that do not exist. */
const NOT_FOUND = 'not_found';

export interface HttpApiDeps {
  hub: Hub;
  actions: ActionDispatcher;
  pollClients: PollClients;
  publish: PublishEndpoint;
  maxFrameBytes: number;
  auth: Authenticator;
  origins: OriginPolicy;
  /** Topics one poll may ask for (the WebSocket's maxSubscriptions). */
  maxTopics: number;
  /** Long polls held at once per subject, or per client address without one. */
  maxHeldPolls: number;
  /** Proxies whose X-Forwarded-For names the client address. */
  trustedProxies: ReadonlySet<string>;
}

const REALM = 'Bearer realm="tether"';
/** A publish key on a read endpoint: publishers may read any topic (they may write any), but not act. */
const PUBLISHER: Principal = {
  subject: null,
  expiresAt: null,
  canSubscribe: () => true,
  canAct: () => false,
};

/**
 * /healthz and /api/*: the same frames as the WebSocket, as JSON over HTTP, for fallback polling
 * and tools. Browsers may call it from our own page and from the allowed origins (with CORS
 * headers; never for /api/publish, whose key belongs on servers); other origins get 403. With
 * auth on, /api/topics, /api/poll and /api/actions need `Authorization: Bearer <token>`.
 */
export class HttpApi {
  readonly #longPolls: LongPolls;
  /** Long polls held now, per subject or address (entries removed at zero). */
  readonly #held = new Map<string, number>();

  private readonly deps: HttpApiDeps;

  constructor(deps: HttpApiDeps) {
    this.deps = deps;
    this.#longPolls = new LongPolls(deps.hub);
  }

  static handles(pathname: string): boolean {
    return pathname === '/healthz' || pathname === '/api' || pathname.startsWith('/api/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    const origin = this.deps.origins.check(req);
    if (origin === 'refused')
      return sendError(res, 403, ErrorCode.forbidden, 'requests from this origin are refused');
    if (origin === 'allowed' && url.pathname !== '/api/publish') {
      const headers =
        req.method === 'OPTIONS'
          ? preflightHeaders(req.headers.origin!)
          : corsHeaders(req.headers.origin!);
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
      if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    }
    if (!this.deps.hub.broker.available) {
      // Serving without the shared state would show frozen data as live; load balancers see it here.
      return sendError(
        res,
        503,
        ErrorCode.internal,
        'shared state (Redis) is unreachable; try again later',
        { 'Retry-After': '1' },
      );
    }
    switch (route) {
      case 'GET /healthz':
        return sendJson(res, 200, { ok: true });
      case 'GET /api/topics': {
        const principal = await this.#authenticate(req, res, { readers: true });
        if (principal)
          sendJson(res, 200, {
            topics: this.deps.hub.list().filter(({ name }) => principal.canSubscribe(name)),
          });
        return;
      }
      case 'GET /api/poll':
        return this.#poll(req, res, url);
      case 'POST /api/actions':
        return this.#action(req, res);
      case 'POST /api/publish':
        return this.deps.publish.handle(req, res);
      default:
        return sendError(res, 404, NOT_FOUND, `no endpoint ${route}`);
    }
  }

  /** Shutdown: answer every held long poll now. */
  releaseHeld(): void {
    this.#longPolls.releaseAll();
  }

  /**
   * The request's principal, or null after answering 401 (503 when tokens cannot be checked now).
   * With `readers`, a publish key is accepted too, as a reader of every topic (never an actor).
   */
  async #authenticate(
    req: IncomingMessage,
    res: ServerResponse,
    { readers = false } = {},
  ): Promise<Principal | null> {
    const token = bearerToken(req.headers.authorization);
    if (
      readers &&
      this.deps.auth.required &&
      token !== undefined &&
      this.deps.publish.accepts(token)
    )
      return PUBLISHER;
    const result = await this.deps.auth.verify(token);
    if (result.ok) return result.principal;
    if (result.reason === 'unavailable') sendError(res, 503, ErrorCode.internal, result.message);
    else
      sendError(res, 401, ErrorCode.unauthorized, result.message, {
        'WWW-Authenticate': token === undefined ? REALM : `${REALM}, error="invalid_token"`,
      });
    return null;
  }

  async #poll(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const principal = await this.#authenticate(req, res, { readers: true });
    if (!principal) return;
    const parsed = parsePollQuery(url.searchParams);
    if (!parsed.ok) return sendError(res, 400, ErrorCode.badFrame, parsed.message);
    const { request } = parsed;
    const { maxTopics } = this.deps;
    const refuse: PollRefusal = (topic, index) => {
      if (!principal.canSubscribe(topic))
        return {
          type: 'error',
          code: ErrorCode.forbidden,
          message: `not allowed to subscribe to "${topic}"`,
          topic,
        };
      if (index >= maxTopics)
        return {
          type: 'error',
          code: ErrorCode.tooManySubscriptions,
          message: `a poll may ask for at most ${maxTopics} topics`,
          topic,
        };
      return null;
    };
    if (request.client) this.deps.pollClients.seen(request.client);
    if (request.waitMs > 0 && isUpToDate(this.deps.hub, request, refuse)) {
      // Each held poll keeps a socket and a timer: bounded per user (or address), not per request.
      const holder =
        principal.subject !== null
          ? `subject:${principal.subject}`
          : `address:${clientAddress(req, this.deps.trustedProxies)}`;
      const held = this.#held.get(holder) ?? 0;
      if (held >= this.deps.maxHeldPolls)
        return sendError(
          res,
          429,
          ErrorCode.rateLimited,
          `at most ${this.deps.maxHeldPolls} long polls may wait at once; poll again when one returns`,
          { 'Retry-After': '1' },
        );
      this.#held.set(holder, held + 1);
      try {
        await this.#longPolls.wait(
          request.entries.map((entry) => entry.topic),
          request.waitMs,
          res,
        );
      } finally {
        const left = (this.#held.get(holder) ?? 1) - 1;
        if (left > 0) this.#held.set(holder, left);
        else this.#held.delete(holder);
      }
      if (res.destroyed) return;
    }
    sendJson(res, 200, pollAnswer(this.deps.hub, request, refuse));
  }

  async #action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const principal = await this.#authenticate(req, res);
    if (!principal) return;
    const body = await readJsonBody(req, res, this.deps.maxFrameBytes, 'bodies');
    if (!body.ok) return;
    const decoded = validateClientFrame(body.value);
    if (!decoded.ok) return sendError(res, 400, ErrorCode.badFrame, decoded.message);
    const frame = decoded.frame;
    if (frame.type !== 'action')
      return sendError(
        res,
        400,
        ErrorCode.badFrame,
        `expected an action frame, got "${frame.type}"`,
      );
    if (!principal.canAct(frame.topic))
      return sendJson(res, 200, {
        type: 'nack',
        id: frame.id,
        code: ErrorCode.forbidden,
        message: `not allowed to act on "${frame.topic}"`,
      });
    const reply = await this.deps.actions.dispatch(frame, 'http', principal.subject);
    if (!res.destroyed) sendJson(res, 200, reply);
  }
}
