import { describe, expect, it } from 'vitest';
import { acceptPatches } from '../../server/patch-actions.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import { closedAfterEach } from '../fixtures/closed-after-each.ts';
import { SECRET, token } from '../fixtures/tokens.ts';

// Authentication, permissions, origins and CORS on the HTTP API (polling, actions, topics).

type Frame = Record<string, unknown>;
const PUBLISH_KEY = 'publish-key-0123456789abcdef';

const tracked = closedAfterEach();

async function setup(options: TetherServerOptions = {}) {
  const s = await tracked.start({ auth: { secret: SECRET }, publishKey: PUBLISH_KEY, ...options });
  s.server.defineTopic('host.cpu', { initial: { total: 1 } });
  s.server.defineTopic('host.load', { initial: { load1: 1 } });
  s.server.defineTopic('secret.payroll', { initial: { total: 100 } });
  s.server.defineTopic('alerts.thresholds', { initial: { cpu: 80 }, onAction: acceptPatches() });
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${s.httpUrl}${path}`, init);
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      json: (text ? JSON.parse(text) : null) as Frame,
    };
  };
  const bearer = (tokenText: string) => ({ authorization: `Bearer ${tokenText}` });
  const act = (headers: Record<string, string>, id: string) =>
    call('/api/actions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({
        type: 'action',
        id,
        topic: 'alerts.thresholds',
        payload: { data: { cpu: 10 } },
      }),
    });
  return { ...s, call, bearer, act };
}

describe('HTTP with auth on', () => {
  it('answers a poll without a token, with a bad one, or with one in the query string with 401 unauthorized', async () => {
    const s = await setup();
    const none = await s.call('/api/poll?topic=host.cpu');
    expect(none).toMatchObject({ status: 401, json: { type: 'error', code: 'unauthorized' } });
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="tether"');
    const bad = await s.call('/api/poll?topic=host.cpu', {
      headers: s.bearer(await token(undefined, { secret: 'x'.repeat(40) })),
    });
    expect(bad).toMatchObject({
      status: 401,
      json: { code: 'unauthorized', message: 'the token signature is not valid' },
    });
    expect(bad.headers.get('www-authenticate')).toBe(
      'Bearer realm="tether", error="invalid_token"',
    );
    const expired = await s.call('/api/poll?topic=host.cpu', {
      headers: s.bearer(await token(undefined, { ttlSec: -60 })),
    });
    expect(expired).toMatchObject({
      status: 401,
      json: { code: 'unauthorized', message: 'the token has expired' },
    });
    // Credentials never travel in URLs: a token there is not looked at.
    const inQuery = await s.call(
      `/api/poll?topic=host.cpu&token=${await token()}&access_token=${await token()}`,
    );
    expect(inQuery.status).toBe(401);
  });

  it('serves a poll with the bearer token, answering topics outside its permissions with forbidden and the topic', async () => {
    const s = await setup();
    const res = await s.call('/api/poll?topic=host.cpu&topic=secret.payroll&topic=no.such', {
      headers: s.bearer(await token({ sub: ['host.*'] })),
    });
    expect(res.status).toBe(200);
    expect(res.json.frames).toEqual([
      expect.objectContaining({ type: 'snapshot', topic: 'host.cpu' }),
      {
        type: 'error',
        code: 'forbidden',
        message: 'not allowed to subscribe to "secret.payroll"',
        topic: 'secret.payroll',
      },
      {
        type: 'error',
        code: 'forbidden',
        message: 'not allowed to subscribe to "no.such"',
        topic: 'no.such',
      },
    ]);
  });

  it('does not hold a long poll that asks for a forbidden topic', async () => {
    const s = await setup();
    const epoch = s.server.hub.epoch;
    const startedAt = Date.now();
    const res = await s.call(
      `/api/poll?topic=host.cpu&since=${epoch}:0&topic=secret.payroll&wait=5000`,
      { headers: s.bearer(await token({ sub: ['host.*'] })) },
    );
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(res.json.frames).toEqual([
      expect.objectContaining({ code: 'forbidden', topic: 'secret.payroll' }),
    ]);
  });

  it('answers topics past maxSubscriptions in one poll with too_many_subscriptions', async () => {
    const s = await setup({ maxSubscriptions: 1 });
    const res = await s.call('/api/poll?topic=host.cpu&topic=host.load', {
      headers: s.bearer(await token()),
    });
    expect(res.json.frames).toEqual([
      expect.objectContaining({ type: 'snapshot', topic: 'host.cpu' }),
      expect.objectContaining({ code: 'too_many_subscriptions', topic: 'host.load' }),
    ]);
  });

  it('lists only the topics the token may subscribe to', async () => {
    const s = await setup();
    expect((await s.call('/api/topics')).status).toBe(401);
    const res = await s.call('/api/topics', {
      headers: s.bearer(await token({ sub: ['host.*'] })),
    });
    expect((res.json.topics as { name: string }[]).map((t) => t.name)).toEqual([
      'host.cpu',
      'host.load',
    ]);
  });

  it('POST /api/actions: 401 without a token, nack forbidden without the act permission, ack with it', async () => {
    const s = await setup();
    expect(await s.act({}, 'h1')).toMatchObject({ status: 401, json: { code: 'unauthorized' } });
    expect(await s.act(s.bearer(await token({ sub: ['*'] })), 'h1')).toMatchObject({
      status: 200,
      json: {
        type: 'nack',
        id: 'h1',
        code: 'forbidden',
        message: 'not allowed to act on "alerts.thresholds"',
      },
    });
    expect(s.server.hub.topic('alerts.thresholds')!.state).toEqual({ cpu: 80 });
    expect(await s.act(s.bearer(await token({ act: ['alerts.thresholds'] })), 'h1')).toMatchObject({
      status: 200,
      json: { type: 'ack', id: 'h1' },
    });
    expect(s.server.hub.topic('alerts.thresholds')!.state).toEqual({ cpu: 10 });
  });

  it('lets a publisher read with its publish key, but not act or use it as a viewer token', async () => {
    const s = await setup();
    const read = await s.call('/api/poll?topic=secret.payroll', { headers: s.bearer(PUBLISH_KEY) });
    expect(read.json.frames).toEqual([
      expect.objectContaining({ type: 'snapshot', topic: 'secret.payroll' }),
    ]);
    expect(await s.act(s.bearer(PUBLISH_KEY), 'p1')).toMatchObject({ status: 401 });
  });

  it('keeps /healthz open', async () => {
    const s = await setup();
    expect(await s.call('/healthz')).toMatchObject({ status: 200, json: { ok: true } });
  });
});

describe('HTTP with auth off (the library default)', () => {
  it('serves polls and actions without a token', async () => {
    const s = await setup({ auth: false });
    expect((await s.call('/api/poll?topic=secret.payroll')).status).toBe(200);
    expect(await s.act({}, 'o1')).toMatchObject({ status: 200, json: { type: 'ack' } });
  });
});

describe('origins and CORS on /api', () => {
  it('answers a preflight from an allowed origin, and sends CORS headers with its answers', async () => {
    const s = await setup({ allowedOrigins: ['https://wall.example'] });
    const preflight = await fetch(`${s.httpUrl}/api/poll`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://wall.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(
      Object.fromEntries(
        [...preflight.headers].filter(
          ([name]) => name.startsWith('access-control') || name === 'vary',
        ),
      ),
    ).toEqual({
      'access-control-allow-origin': 'https://wall.example',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'Authorization, Content-Type',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
    const poll = await s.call('/api/poll?topic=host.cpu', {
      headers: { origin: 'https://wall.example', ...s.bearer(await token()) },
    });
    expect(poll.status).toBe(200);
    expect(poll.headers.get('access-control-allow-origin')).toBe('https://wall.example');
    // A refusal must be readable by the allowed page too.
    const refused = await s.call('/api/poll?topic=host.cpu', {
      headers: { origin: 'https://wall.example' },
    });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://wall.example');
  });

  it('refuses every /api request (preflight included) from an origin outside the allowlist with 403 forbidden and no CORS headers', async () => {
    const s = await setup({ allowedOrigins: ['https://wall.example'] });
    for (const init of [{ method: 'OPTIONS' }, { method: 'GET' }]) {
      const res = await s.call('/api/poll?topic=host.cpu', {
        ...init,
        headers: { origin: 'http://localhost:3000', ...s.bearer(await token()) },
      });
      expect(res).toMatchObject({ status: 403, json: { code: 'forbidden' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    expect(
      (await s.act({ origin: 'https://evil.example', ...s.bearer(await token()) }, 'x1')).status,
    ).toBe(403);
    expect(s.server.hub.topic('alerts.thresholds')!.state).toEqual({ cpu: 80 });
  });

  it('sends no CORS headers to our own page or to tools, and none on /api/publish', async () => {
    const s = await setup();
    const same = await s.call('/api/poll?topic=host.cpu', {
      headers: { origin: `http://127.0.0.1:${s.port}`, ...s.bearer(await token()) },
    });
    expect(same.status).toBe(200);
    expect(same.headers.get('access-control-allow-origin')).toBeNull();
    const publish = await fetch(`${s.httpUrl}/api/publish`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173' },
    });
    expect(publish.headers.get('access-control-allow-origin')).toBeNull();
  });
});
