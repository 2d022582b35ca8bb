import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, validateClientFrame } from '../src/protocol/index.ts';
import type { ActionDispatcher } from './actions.ts';
import { readBody, sendError, sendJson } from './http-util.ts';
import type { Hub } from './hub.ts';
import type { PublishEndpoint } from './http-publish.ts';
import { isCrossOrigin } from './origin.ts';
import { LongPolls, isUpToDate, parsePollQuery, pollAnswer } from './poll.ts';
import type { PollClients } from './poll-clients.ts';

/** Not a protocol error code: it only appears in HTTP 404 bodies for paths that do not exist. */
const NOT_FOUND = 'not_found';

export interface HttpApiDeps {
  hub: Hub;
  actions: ActionDispatcher;
  pollClients: PollClients;
  publish: PublishEndpoint;
  maxFrameBytes: number;
}

/**
 * /healthz and /api/*: the same frames as the WebSocket, as JSON over HTTP, for fallback polling
 * and tools. Same-origin only: no CORS headers are sent.
 */
export class HttpApi {
  readonly #longPolls: LongPolls;

  constructor(private readonly deps: HttpApiDeps) {
    this.#longPolls = new LongPolls(deps.hub);
  }

  static handles(pathname: string): boolean {
    return pathname === '/healthz' || pathname === '/api' || pathname.startsWith('/api/');
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /healthz':
        return sendJson(res, 200, { ok: true });
      case 'GET /api/topics':
        return sendJson(res, 200, { topics: this.deps.hub.list() });
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

  async #poll(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const parsed = parsePollQuery(url.searchParams);
    if (!parsed.ok) return sendError(res, 400, ErrorCode.badFrame, parsed.message);
    const { request } = parsed;
    if (request.client) this.deps.pollClients.seen(request.client);
    if (request.waitMs > 0 && isUpToDate(this.deps.hub, request)) {
      await this.#longPolls.wait(
        request.entries.map((entry) => entry.topic),
        request.waitMs,
        res,
      );
      if (res.destroyed) return;
    }
    sendJson(res, 200, pollAnswer(this.deps.hub, request));
  }

  async #action(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (isCrossOrigin(req)) return sendError(res, 403, ErrorCode.forbidden, 'cross-origin actions are refused');
    const body = await readBody(req, this.deps.maxFrameBytes);
    if (!body.ok) {
      if (body.reason === 'too_large') sendError(res, 413, ErrorCode.tooLarge, `bodies are limited to ${this.deps.maxFrameBytes} bytes`);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(body.text);
    } catch {
      return sendError(res, 400, ErrorCode.badFrame, 'body is not valid JSON');
    }
    const decoded = validateClientFrame(value);
    if (!decoded.ok) return sendError(res, 400, ErrorCode.badFrame, decoded.message);
    if (decoded.frame.type !== 'action') return sendError(res, 400, ErrorCode.badFrame, `expected an action frame, got "${decoded.frame.type}"`);
    const reply = await this.deps.actions.dispatch(decoded.frame, 'http');
    if (!res.destroyed) sendJson(res, 200, reply);
  }
}
