import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createTetherServer } from '../../server/tether-server.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import { closedAfterEach } from '../fixtures/closed-after-each.ts';

// Host checks (DNS rebinding), request paths and the default origin allowlist, against the real
// server. Requests are made with node:http, which sends the Host and path exactly as given.

const PUBLISH_KEY = 'publish-key-0123456789abcdef';

const tracked = closedAfterEach();

async function setup(options: TetherServerOptions = {}) {
  const s = await tracked.start({ publishKey: PUBLISH_KEY, ...options });
  s.server.defineTopic('notes', { initial: { n: 0 } });
  return s;
}

/** One raw HTTP request; `path` and `headers.host` go on the wire unchanged. */
function raw(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Whether an upgrade with these headers gets a welcome (true) or which HTTP status refused it. */
function upgrade(url: string, headers: Record<string, string>): Promise<true | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('error', () => undefined);
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode!);
      ws.terminate();
    });
    ws.once('open', () => ws.send(JSON.stringify({ type: 'hello' })));
    ws.once('message', (data) => {
      resolve(JSON.parse(String(data)).type === 'welcome' ? true : 0);
      ws.terminate();
    });
  });
}

describe('Host check (DNS rebinding)', () => {
  it('refuses a rebinding name even when Origin matches it, on HTTP and on upgrade', async () => {
    const s = await setup();
    const evil = { host: `evil.example:${s.port}`, origin: `http://evil.example:${s.port}` };
    const topics = await raw(s.port, '/api/topics', evil);
    expect(topics.status).toBe(403);
    expect(JSON.parse(topics.body)).toMatchObject({ code: 'forbidden' });
    expect(topics.body).toContain('TETHER_PUBLIC_HOSTS');
    expect(await upgrade(s.wsUrl, evil)).toBe(403);
  });

  it('serves IP addresses, localhost and *.localhost, and the configured public names', async () => {
    const s = await setup({ publicHosts: ['dash.example.com', '.corp.example'] });
    for (const host of [
      `127.0.0.1:${s.port}`,
      `localhost:${s.port}`,
      `app.localhost:${s.port}`,
      `[::1]:${s.port}`,
      `10.0.0.5:${s.port}`,
      'dash.example.com',
      'DASH.example.com.',
      'wall.corp.example:443',
    ]) {
      expect((await raw(s.port, '/api/topics', { host })).status, host).toBe(200);
      expect(await upgrade(s.wsUrl, { host }), host).toBe(true);
    }
    for (const host of ['example.com', 'corp.example.evil', 'dash.example.com.evil']) {
      expect((await raw(s.port, '/api/topics', { host })).status, host).toBe(403);
    }
  });

  it('answers any name with publicHosts ["*"]', async () => {
    const s = await setup({ publicHosts: ['*'] });
    expect((await raw(s.port, '/api/topics', { host: 'anything.example' })).status).toBe(200);
  });
});

describe('request paths', () => {
  it('refuses targets that do not start with a single "/", so //host/... is never re-routed', async () => {
    const s = await setup();
    const publish = (path: string) =>
      raw(
        s.port,
        path,
        { authorization: `Bearer ${PUBLISH_KEY}`, 'content-type': 'application/json' },
        'POST',
        JSON.stringify({ topic: 'notes', data: { n: 1 } }),
      );
    for (const path of ['//internal/api/publish', '/\\internal/api/publish']) {
      const res = await publish(path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'bad_request' });
    }
    expect(s.server.hub.topic('notes')!.seq).toBe(0);
    expect((await publish('/api/publish')).status).toBe(200);
  });
});

describe('static files', () => {
  it('does not follow symlinks out of the static directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-static-'));
    try {
      const root = join(dir, 'dist');
      mkdirSync(join(root, 'assets'), { recursive: true });
      writeFileSync(join(root, 'index.html'), '<p>dashboard</p>');
      writeFileSync(join(root, 'assets', 'app.js'), 'ok()');
      writeFileSync(join(dir, 'secret.txt'), 'private key');
      symlinkSync(join(dir, 'secret.txt'), join(root, 'leak.txt'));
      symlinkSync(join(dir, 'secret.txt'), join(root, 'assets', 'leak.js'));
      symlinkSync(dir, join(root, 'up'));
      symlinkSync(join(root, 'assets', 'app.js'), join(root, 'alias.js'));
      const s = await setup({ staticDir: root });
      for (const path of ['/leak.txt', '/up/secret.txt']) {
        const res = await raw(s.port, path);
        expect(res.body, path).not.toContain('private key');
        expect(res.body, path).toContain('dashboard'); // an unknown path gets index.html
      }
      expect(await raw(s.port, '/assets/leak.js')).toMatchObject({ status: 404 });
      // A symlink that stays inside is served.
      expect(await raw(s.port, '/alias.js')).toEqual({ status: 200, body: 'ok()' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('default origin allowlist', () => {
  it('trusts only the server’s own origin: other local ports are refused', async () => {
    const s = await setup();
    const other = await tracked.open(s.wsUrl, { origin: 'http://localhost:3000' });
    expect(await other.take()).toMatchObject({ type: 'error', code: 'forbidden' });
    expect((await other.closed).code).toBe(4403);
    const own = await tracked.open(s.wsUrl, { origin: `http://127.0.0.1:${s.port}` });
    own.send({ type: 'ping', t: 1 });
    expect(await own.take()).toEqual({ type: 'pong', t: 1 });
    expect((await raw(s.port, '/api/topics', { origin: 'http://127.0.0.1:5173' })).status).toBe(
      403,
    );
  });
});

describe('an open server', () => {
  it('refuses to listen beyond loopback without auth, unless auth is "off"', async () => {
    const open = createTetherServer({ staticDir: false });
    await expect(open.listen(0, '0.0.0.0')).rejects.toThrow(/auth: 'off'/);
    await open.close();
    const acknowledged = createTetherServer({ staticDir: false, auth: 'off' });
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => void warnings.push(message);
    try {
      await acknowledged.listen(0, '0.0.0.0');
    } finally {
      console.warn = warn;
      await acknowledged.close();
    }
    expect(warnings.join('\n')).toMatch(/auth is off on 0\.0\.0\.0/);
  });
});
