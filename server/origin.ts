import type { IncomingMessage } from 'node:http';

/**
 * Which browser origins may use the server. A page on another site may open a WebSocket to us or
 * send requests (CORS only stops it reading answers, and not for WebSocket), so requests whose
 * `Origin` is neither our own nor in the allowlist are refused. Same-origin (the `Origin` names the
 * `Host` the request was sent to) is always allowed. Tools that send no `Origin` (curl, `ws` in
 * Node) are not browsers and are let through; they still need a token when auth is on.
 *
 * Allowlist entries are origins (`https://dash.example.com`, `http://10.0.0.5:8080`) or origins
 * with any port (`http://localhost:*`).
 */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
];

const ENTRY = /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:(\d{1,5}|\*))?$/;

export type OriginVerdict = 'none' | 'same' | 'allowed' | 'refused';

export class OriginPolicy {
  readonly #exact = new Set<string>();
  /** `scheme://host` prefixes whose every port is allowed. */
  readonly #anyPort = new Set<string>();

  constructor(allowed: readonly string[] = DEFAULT_ALLOWED_ORIGINS) {
    for (const raw of allowed) {
      const entry = raw.trim().toLowerCase().replace(/\/+$/, '');
      if (!ENTRY.test(entry))
        throw new RangeError(
          `allowed origin "${raw}" is not scheme://host[:port|:*] (e.g. https://dash.example.com, http://localhost:*)`,
        );
      if (entry.endsWith(':*')) this.#anyPort.add(entry.slice(0, -2));
      else this.#exact.add(entry);
    }
  }

  /** `none`: no Origin header (not a browser); `same`: our own page; `allowed`: in the list. */
  check(req: IncomingMessage): OriginVerdict {
    const origin = req.headers.origin;
    if (origin === undefined) return 'none';
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return 'refused'; // `null` (sandboxed frames, file:) or garbage
    }
    if (url.host === req.headers.host) return 'same';
    const normalized = `${url.protocol}//${url.host}`;
    if (this.#exact.has(normalized) || this.#anyPort.has(`${url.protocol}//${url.hostname}`))
      return 'allowed';
    return 'refused';
  }
}

/** Headers that let an allowed cross-origin page read our answers (bearer tokens, no cookies). */
export function corsHeaders(origin: string): Record<string, string> {
  return { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
}

/** The answer to a CORS preflight from an allowed origin. */
export function preflightHeaders(origin: string): Record<string, string> {
  return {
    ...corsHeaders(origin),
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
  };
}
