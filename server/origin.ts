import type { IncomingMessage } from 'node:http';

/**
 * Which browser origins may use the server. A page on another site may open a WebSocket to us or
 * send requests (CORS only stops it reading answers, and not for WebSocket), so requests whose
 * `Origin` is neither our own nor in the allowlist are refused. Same-origin (the `Origin` names the
 * `Host` the request was sent to) is always allowed; HostPolicy makes sure that Host is really
 * ours. Tools that send no `Origin` (curl, `ws` in Node) are not browsers and are let through;
 * they still need a token when auth is on.
 *
 * Allowlist entries are origins (`https://dash.example.com`, `http://10.0.0.5:8080`) or origins
 * with any port (`http://localhost:*`). None by default: the dashboard is served by this server
 * (same origin), and Vite's dev server proxies /ws and /api keeping its own Host, so it is
 * same-origin too. Another local page is any local program, so it is not trusted by default.
 */
export const DEFAULT_ALLOWED_ORIGINS: readonly string[] = [];

const HOSTNAME = /^(\.?[a-z0-9-]+(\.[a-z0-9-]+)*|\*)$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Which `Host` names the server answers to, against DNS rebinding: a page on evil.example whose
 * name is re-pointed at 127.0.0.1 reaches us as "same origin", but still says `Host: evil.example`.
 * Allowed: IP literals (a page cannot be served from an address the attacker does not have),
 * `localhost` and `*.localhost` (browsers resolve these to loopback themselves), and the public
 * names the server is reached by (`publicHosts`: `dash.example.com`, `.example.com` for every
 * subdomain, `*` for any name). A request without Host (not a browser) is let through.
 */
export class HostPolicy {
  readonly #exact = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #any: boolean;

  constructor(publicHosts: readonly string[] = []) {
    for (const raw of publicHosts) {
      const entry = raw.trim().toLowerCase().replace(/\.$/, '');
      if (!HOSTNAME.test(entry))
        throw new RangeError(
          `public host "${raw}" is not a host name (e.g. dash.example.com, .example.com for its subdomains, * for any)`,
        );
      if (entry.startsWith('.')) this.#suffixes.push(entry);
      else this.#exact.add(entry);
    }
    this.#any = this.#exact.has('*');
  }

  allows(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (host === undefined || this.#any) return true;
    const name = hostname(host);
    if (name === null) return false;
    if (name.startsWith('[') || IPV4.test(name)) return true;
    if (name === 'localhost' || name.endsWith('.localhost')) return true;
    return this.#exact.has(name) || this.#suffixes.some((suffix) => name.endsWith(suffix));
  }
}

/** `Name:8080` → `name`; `[::1]:8080` → `[::1]`; null when it is not a host. */
function hostname(host: string): string | null {
  try {
    return new URL(`http://${host}`).hostname.replace(/\.$/, '');
  } catch {
    return null;
  }
}

/** The answer to a request for a Host we do not serve (also the message of a refused upgrade). */
export function hostRefusal(req: IncomingMessage): string {
  const host = JSON.stringify(String(req.headers.host).slice(0, 200));
  return `host ${host} is not served here; add its name to publicHosts (TETHER_PUBLIC_HOSTS)`;
}

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
