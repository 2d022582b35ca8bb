import type { IncomingMessage } from 'node:http';

/**
 * Same-origin policy for the endpoints a browser could be tricked into using: a page on another
 * site may open a WebSocket to us or POST an action (no CORS preflight for simple requests), so
 * those are refused when the browser says the request comes from elsewhere. Tools that send no
 * Origin header (curl, `ws` in Node) are not browsers and are let through.
 */
export function isCrossOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true; // `null` (sandboxed frames, file:) or garbage
  }
}
