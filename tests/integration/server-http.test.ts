import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTetherServer } from '../../server/tether-server.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';

let started: StartedServer[] = [];
afterEach(async () => {
  await Promise.all(started.map((s) => s.close()));
  started = [];
});

async function setup(options: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(options);
  started.push(s);
  s.server.defineTopic('counter', {
    initial: { n: 0 },
    onAction: (payload, { state }) =>
      payload === 'refuse'
        ? { ok: false, code: 'conflict', message: 'no' }
        : { ok: true, ops: [{ op: 'replace', path: '/n', value: state.n + 1 }] },
  });
  const bump = () =>
    s.server.publish('counter', [
      {
        op: 'replace',
        path: '/n',
        value: (s.server.hub.topic('counter')!.state as { n: number }).n + 1,
      },
    ]);
  const get = async (path: string) => {
    const res = await fetch(s.httpUrl + path);
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
  const getJson = async (path: string) => {
    const res = await get(path);
    return { ...res, json: JSON.parse(res.body) as Record<string, unknown> };
  };
  const post = async (body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${s.httpUrl}/api/actions`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json', ...headers },
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };
  return { ...s, epoch: s.server.hub.epoch, bump, get, getJson, post };
}

/** A request with the path exactly as written (fetch would normalize `..` away). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP API', () => {
  it('answers /healthz and lists topics with name, epoch, seq and writability', async () => {
    const s = await setup();
    s.server.defineTopic('plain', { initial: {} });
    s.bump();
    expect((await s.getJson('/healthz')).json).toEqual({ ok: true });
    const topics = await s.getJson('/api/topics');
    expect(topics.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(topics.headers.get('access-control-allow-origin')).toBeNull();
    expect(topics.json).toEqual({
      topics: [
        { name: 'counter', epoch: s.epoch, seq: 1, writable: true },
        { name: 'plain', epoch: s.epoch, seq: 0, writable: false },
      ],
    });
  });

  it('polls a snapshot, then exactly the patches after since, per topic in request order', async () => {
    const s = await setup();
    s.server.defineTopic('other', { initial: { x: 1 } });
    const first = await s.getJson('/api/poll?topic=counter');
    expect(first.json).toEqual({
      frames: [{ type: 'snapshot', topic: 'counter', epoch: s.epoch, seq: 0, data: { n: 0 } }],
    });
    s.bump();
    s.bump();
    const next = await s.getJson(
      `/api/poll?topic=counter&since=${s.epoch}:1&topic=other&topic=missing`,
    );
    expect(next.json.frames).toEqual([
      {
        type: 'patch',
        topic: 'counter',
        epoch: s.epoch,
        seq: 2,
        ops: [{ op: 'replace', path: '/n', value: 2 }],
      },
      { type: 'snapshot', topic: 'other', epoch: s.epoch, seq: 0, data: { x: 1 } },
      { type: 'error', code: 'unknown_topic', message: 'no topic "missing"', topic: 'missing' },
    ]);
    const upToDate = await s.getJson(`/api/poll?topic=counter&since=${s.epoch}:2`);
    expect(upToDate.json).toEqual({ frames: [] });
    const otherEpoch = await s.getJson('/api/poll?topic=counter&since=old-epoch:2');
    expect(otherEpoch.json.frames).toEqual([
      { type: 'snapshot', topic: 'counter', epoch: s.epoch, seq: 2, data: { n: 2 } },
    ]);
  });

  it.each([
    '/api/poll',
    '/api/poll?topic=counter&since=nonsense',
    '/api/poll?since=e:1&topic=counter',
    '/api/poll?topic=counter&wait=later',
  ])('refuses the bad query %s with 400 and a bad_frame error frame', async (path) => {
    const s = await setup();
    const res = await s.getJson(path);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'error', code: 'bad_frame' });
  });

  it('holds a long poll that is up to date and answers as soon as the topic publishes', async () => {
    const s = await setup();
    const startedAt = Date.now();
    const pending = s.getJson(`/api/poll?topic=counter&since=${s.epoch}:0&wait=10000`);
    setTimeout(() => s.bump(), 150);
    const res = await pending;
    expect(res.json.frames).toEqual([
      {
        type: 'patch',
        topic: 'counter',
        epoch: s.epoch,
        seq: 1,
        ops: [{ op: 'replace', path: '/n', value: 1 }],
      },
    ]);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });

  it('answers a long poll with no frames when its wait ends without a publish', async () => {
    const s = await setup();
    const startedAt = Date.now();
    const res = await s.getJson(`/api/poll?topic=counter&since=${s.epoch}:0&wait=300`);
    expect(res.json).toEqual({ frames: [] });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
  });

  it('does not hold a long poll that already has something to say', async () => {
    const s = await setup();
    const startedAt = Date.now();
    const res = await s.getJson(
      `/api/poll?topic=counter&topic=missing&since=${s.epoch}:0&wait=10000`,
    );
    expect((res.json.frames as unknown[]).length).toBe(2);
    expect(Date.now() - startedAt).toBeLessThan(2000);
  });

  it('answers held long polls when the server closes', async () => {
    const s = await setup();
    const pending = s.getJson(`/api/poll?topic=counter&since=${s.epoch}:0&wait=20000`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const startedAt = Date.now();
    await s.server.close();
    expect((await pending).json).toEqual({ frames: [] });
    expect(Date.now() - startedAt).toBeLessThan(3000);
  });

  it('counts distinct polling clients', async () => {
    const s = await setup();
    for (const id of ['a', 'b', 'a']) await s.get(`/api/poll?topic=counter&client=${id}`);
    await s.get('/api/poll?topic=counter');
    expect(s.server.clients()).toEqual({ websocket: 0, polling: 2 });
  });

  it('runs actions over HTTP: ack, the same ack for a repeated id without reapplying, nack', async () => {
    const s = await setup();
    const action = (id: string, payload: unknown = null, topic = 'counter') =>
      JSON.stringify({ type: 'action', id, topic, payload });
    expect(await s.post(action('h1'))).toEqual({ status: 200, json: { type: 'ack', id: 'h1' } });
    expect(await s.post(action('h1'))).toEqual({ status: 200, json: { type: 'ack', id: 'h1' } });
    expect(s.server.hub.topic('counter')!.state).toEqual({ n: 1 });
    expect(await s.post(action('h2', 'refuse'))).toEqual({
      status: 200,
      json: { type: 'nack', id: 'h2', code: 'conflict', message: 'no' },
    });
    expect((await s.post(action('h3', 1, 'missing'))).json).toMatchObject({
      type: 'nack',
      code: 'unknown_topic',
    });
  });

  it.each([
    ['invalid JSON', '{"type":'],
    ['a frame that is not an action', JSON.stringify({ type: 'ping', t: 1 })],
    ['an action without an id', JSON.stringify({ type: 'action', topic: 'counter', payload: 1 })],
  ])('refuses %s with 400 bad_frame', async (_, body) => {
    const s = await setup();
    const res = await s.post(body);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ type: 'error', code: 'bad_frame' });
  });

  it('refuses an action body over the limit with 413 too_large', async () => {
    const s = await setup({ maxFrameBytes: 1024 });
    const res = await s.post(
      JSON.stringify({ type: 'action', id: 'big', topic: 'counter', payload: 'x'.repeat(2000) }),
    );
    expect(res).toMatchObject({ status: 413, json: { type: 'error', code: 'too_large' } });
    expect(s.server.hub.topic('counter')!.seq).toBe(0);
  });

  it('refuses a cross-origin action with 403', async () => {
    const s = await setup();
    const res = await s.post(
      JSON.stringify({ type: 'action', id: 'x', topic: 'counter', payload: null }),
      { Origin: 'http://evil.example' },
    );
    expect(res).toMatchObject({ status: 403, json: { type: 'error', code: 'forbidden' } });
    expect(s.server.hub.topic('counter')!.seq).toBe(0);
  });

  it('answers unknown /api paths and methods with a 404 error frame', async () => {
    const s = await setup();
    for (const path of ['/api/nope', '/api', '/api/actions']) {
      const res = await s.getJson(path);
      expect(res.status).toBe(404);
      expect(res.json).toMatchObject({ type: 'error', code: 'not_found' });
    }
    expect((await s.get('/anything')).status).toBe(404); // static serving is off in this server
  });
});

describe('embedding in an app', () => {
  it('attaches to an http.Server the app owns, and leaves it running after close', async () => {
    const app = createServer();
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const base = `127.0.0.1:${(app.address() as AddressInfo).port}`;
    try {
      const tether = createTetherServer({ staticDir: false });
      tether.defineTopic('t', { initial: { ok: 1 } });
      tether.attach(app);
      expect(await (await fetch(`http://${base}/healthz`)).json()).toEqual({ ok: true });
      const client = await openClient(`ws://${base}/ws`);
      client.send({ type: 'subscribe', topic: 't' });
      expect(await client.take()).toMatchObject({ type: 'snapshot', data: { ok: 1 } });
      await tether.close();
      expect((await client.closed).code).toBe(1001);
      expect(app.listening).toBe(true);
      expect(app.listenerCount('request')).toBe(0);
    } finally {
      await new Promise((resolve) => app.close(resolve));
    }
  });

  it('hands paths it does not serve to the app through next()', async () => {
    const tether = createTetherServer({ staticDir: false });
    const app = createServer((req, res) =>
      tether.handleRequest(req, res, () => res.end('from the app')),
    );
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/about`)).text()).toBe('from the app');
      expect(await (await fetch(`${base}/api/topics`)).json()).toEqual({ topics: [] });
    } finally {
      await tether.close();
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    }
  });
});

describe('static dashboard', () => {
  let root: string;
  let dist: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'tether-static-'));
    dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Tether</title>');
    writeFileSync(join(dist, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
    writeFileSync(join(dist, 'assets', 'app-1a2b3c.css'), 'body{}');
    writeFileSync(join(dist, 'favicon.svg'), '<svg/>');
    writeFileSync(join(root, 'secret.txt'), 'top secret');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('serves index.html for / with no-cache and the security headers', async () => {
    const s = await setup({ staticDir: dist });
    const res = await s.get('/');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>Tether</title>');
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('serves hashed assets with their content type and a long cache', async () => {
    const s = await setup({ staticDir: dist });
    const js = await s.get('/assets/app-1a2b3c.js');
    expect(js).toMatchObject({ status: 200, body: 'console.log(1)' });
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await s.get('/assets/app-1a2b3c.css')).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    );
    const svg = await s.get('/favicon.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
  });

  it('falls back to index.html for unknown pages but not for missing assets', async () => {
    const s = await setup({ staticDir: dist });
    const page = await s.get('/topics/host.cpu');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Tether</title>');
    expect((await s.get('/assets/gone-123.js')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..\\secret.txt',
  ])('never serves files outside the directory: %s', async (path) => {
    const s = await setup({ staticDir: dist });
    const res = await rawGet(s.port, path);
    expect(res.body).not.toContain('top secret');
  });

  it('answers 503 with a build hint when the dashboard is not built', async () => {
    const s = await setup({ staticDir: join(root, 'not-built') });
    const res = await s.get('/');
    expect(res.status).toBe(503);
    expect(res.body).toContain('npm run build');
  });

  it('still answers the API next to the static files', async () => {
    const s = await setup({ staticDir: dist });
    expect((await s.getJson('/healthz')).json).toEqual({ ok: true });
    expect((await s.getJson('/api/unknown')).status).toBe(404);
  });
});
