import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Sent with every static response. The CSP runs only our own script files (no inline or injected
 * script, no eval), fetches only from this server, and forbids framing (clickjacking the Retry
 * button or the threshold form). `ws: wss:` because older browsers do not count WebSockets to our
 * own host as 'self'; inline styles because Solid and uPlot set style attributes.
 */
export const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** Vite puts content-hashed files under /assets/: their name changes when they do, so cache them for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * Serves the built dashboard from `root`. Unknown paths get index.html (the dashboard routes on
 * the client), except under /assets/, where a miss is a real 404 (an HTML page under a script's
 * name would be cached as that script). Paths are resolved and checked to stay inside `root`,
 * and so are their real paths: a symlink that leads out of `root` is not followed.
 */
export async function serveStatic(
  req: IncomingMessage,
  res: ServerResponse,
  root: string,
  pathname: string,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return sendPlain(res, 405, 'only GET and HEAD are served here\n', { Allow: 'GET, HEAD' });
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return sendPlain(res, 400, 'malformed path\n');
  }
  const base = resolve(root);
  const file = resolve(base, `.${decoded}`);
  if (decoded.includes('\0') || (file !== base && !file.startsWith(base + sep)))
    return sendPlain(res, 404, 'not found\n');

  const realBase = await realpath(base).catch(() => base);
  const real = file === base ? null : await containedFile(realBase, file);
  if (real) {
    const cache = file.startsWith(resolve(base, 'assets') + sep) ? IMMUTABLE : 'no-cache';
    return sendFile(req, res, real, cache);
  }
  if (decoded.startsWith('/assets/')) return sendPlain(res, 404, 'not found\n');
  const index = await containedFile(realBase, resolve(base, 'index.html'));
  if (index) return sendFile(req, res, index, 'no-cache');
  sendPlain(
    res,
    503,
    'The dashboard is not built yet. Run `npm run build` (or `npm start`, which builds first).\n',
  );
}

/** The real path of `path` when it is a file whose real path lies inside `realBase`; else null. */
async function containedFile(realBase: string, path: string): Promise<string | null> {
  try {
    const real = await realpath(path);
    if (!real.startsWith(realBase + sep)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  file: string,
  cacheControl: string,
): Promise<void> {
  const { size } = await stat(file);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': cacheControl,
  });
  if (req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function sendPlain(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(text);
}
