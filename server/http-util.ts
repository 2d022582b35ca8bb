import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../src/protocol/index.ts';
import { normalizeAddress } from './options.ts';
import type { ErrorFrame } from '../src/protocol/index.ts';

/** API answers are live data: never cached, never sniffed into something else. */
const API_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/**
 * The request target as a URL, routed by its path only: null unless it starts with exactly one
 * `/`. `//internal/api/publish` would otherwise parse as host `internal` and path `/api/publish`,
 * slipping past proxy rules written for path prefixes (`/\` is the same to the URL parser).
 */
export function requestPath(target: string | undefined): URL | null {
  if (target === undefined || target[0] !== '/' || target[1] === '/' || target[1] === '\\')
    return null;
  const url = new URL(target, 'http://localhost');
  return url.host === 'localhost' ? url : null;
}

/**
 * Who sent a request: the peer's address, or, when the peer is a trusted reverse proxy, the
 * address it forwarded. X-Forwarded-For is read from the right (the entry the nearest proxy
 * added), skipping trusted proxies: entries further left are whatever the client wrote.
 */
export function clientAddress(req: IncomingMessage, trustedProxies: ReadonlySet<string>): string {
  const peer = normalizeAddress(req.socket.remoteAddress);
  if (!trustedProxies.has(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => normalizeAddress(entry.trim()))
    .filter((entry) => entry !== '' && entry !== 'unknown');
  for (let i = forwarded.length - 1; i >= 0; i--)
    if (!trustedProxies.has(forwarded[i]!)) return forwarded[i]!;
  return forwarded[0] ?? peer;
}

/** Sends a JSON body; `body` may be pre-serialized text (e.g. a poll answer built from cached frames). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  extraHeaders: Record<string, string> = {},
): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    ...API_HEADERS,
    'Content-Length': Buffer.byteLength(text),
    ...extraHeaders,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extraHeaders?: Record<string, string>,
): void {
  const frame: ErrorFrame = { type: 'error', code, message };
  sendJson(res, status, frame, extraHeaders);
}

export type BodyResult =
  { ok: true; text: string } | { ok: false; reason: 'too_large' | 'aborted' };

/** Reads a request body up to `limit` bytes; stops reading (without buffering the rest) past it. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit)
      return resolve({ ok: false, reason: 'too_large' });
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.pause();
        resolve({ ok: false, reason: 'too_large' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve({ ok: true, text: Buffer.concat(chunks).toString('utf8') }));
    req.on('error', () => resolve({ ok: false, reason: 'aborted' }));
    req.on('close', () => resolve({ ok: false, reason: 'aborted' }));
  });
}

/**
 * Reads a JSON request body for an endpoint, answering 413 `too_large` or 400 `bad_frame` itself.
 * Resolves `{ ok: false }` when it has answered (or the client went away) and the caller is done.
 */
export async function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  what: string,
): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const body = await readBody(req, limit);
  if (!body.ok) {
    if (body.reason === 'too_large')
      sendError(res, 413, ErrorCode.tooLarge, `${what} are limited to ${limit} bytes`);
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(body.text) };
  } catch {
    sendError(res, 400, ErrorCode.badFrame, 'body is not valid JSON');
    return { ok: false };
  }
}
