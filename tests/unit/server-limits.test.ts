import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../server/env.ts';
import { Hub } from '../../server/hub.ts';
import { TokenBucket, WindowCounter } from '../../server/limits.ts';
import { PollClients } from '../../server/poll-clients.ts';
import { isUpToDate, parsePollQuery, pollAnswer } from '../../server/poll.ts';
import { appendSampleOps, seriesWindow } from '../../server/sources/series.ts';

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    const takes = (now: number, n: number) =>
      Array.from({ length: n }, () => bucket.take(now)).filter(Boolean).length;
    expect(takes(0, 8)).toBe(5);
    expect(takes(100, 3)).toBe(1); // 100 ms at 10/s refills one token
    expect(takes(10_000, 9)).toBe(5); // never more than the burst
  });
});

describe('WindowCounter', () => {
  it('reaches its limit only with enough events inside the window', () => {
    const counter = new WindowCounter(3, 1000);
    expect([0, 500, 1500, 1600, 1700].map((t) => counter.hit(t))).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });
});

describe('PollClients', () => {
  it('counts distinct ids seen in the last 30 s', () => {
    let now = 0;
    const clients = new PollClients(() => now);
    clients.seen('a');
    clients.seen('b');
    clients.seen('a');
    expect(clients.count()).toBe(2);
    now = 20_000;
    clients.seen('b');
    now = 31_000;
    expect(clients.count()).toBe(1);
    now = 60_000;
    expect(clients.count()).toBe(0);
  });
});

describe('parsePollQuery', () => {
  const parse = (query: string) => parsePollQuery(new URLSearchParams(query));

  it('pairs each since with the topic before it and splits E:N at the last colon', () => {
    expect(parse('topic=a&since=e1:4&topic=b&topic=c&since=x-y:0&wait=500&client=me')).toEqual({
      ok: true,
      request: {
        entries: [
          { topic: 'a', since: { epoch: 'e1', seq: 4 } },
          { topic: 'b', since: undefined },
          { topic: 'c', since: { epoch: 'x-y', seq: 0 } },
        ],
        waitMs: 500,
        client: 'me',
      },
    });
    expect(parse('topic=a&since=has:colon:7')).toMatchObject({
      ok: true,
      request: { entries: [{ since: { epoch: 'has:colon', seq: 7 } }] },
    });
  });

  it('caps wait at 30 s', () => {
    expect(parse('topic=a&wait=999999')).toMatchObject({ ok: true, request: { waitMs: 30_000 } });
  });

  it.each([
    '',
    'wait=10',
    'since=e:1&topic=a',
    'topic=a&since=e:1&since=e:2',
    'topic=a&since=e',
    'topic=a&since=:3',
    'topic=a&since=e:-1',
    'topic=a&since=e:1.5',
    'topic=a&wait=soon',
    'topic=bad name',
    `topic=a&client=${'x'.repeat(129)}`,
  ])('refuses %j', (query) => {
    expect(parse(query).ok).toBe(false);
  });
});

describe('poll answers', () => {
  it('gives snapshots, patches and unknown_topic errors in request order, and knows when it may hold', () => {
    const hub = new Hub();
    hub.defineTopic('a', { initial: { n: 0 } });
    hub.publish('a', [{ op: 'replace', path: '/n', value: 1 }]);
    const request = (query: string) => {
      const parsed = parsePollQuery(new URLSearchParams(query));
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.request;
    };
    const frames = (query: string) => JSON.parse(pollAnswer(hub, request(query))).frames;
    expect(frames(`topic=nope&topic=a&since=${hub.epoch}:0`)).toEqual([
      { type: 'error', code: 'unknown_topic', message: 'no topic "nope"', topic: 'nope' },
      {
        type: 'patch',
        topic: 'a',
        epoch: hub.epoch,
        seq: 1,
        ops: [{ op: 'replace', path: '/n', value: 1 }],
      },
    ]);
    expect(frames('topic=a')).toEqual([
      { type: 'snapshot', topic: 'a', epoch: hub.epoch, seq: 1, data: { n: 1 } },
    ]);
    expect(isUpToDate(hub, request(`topic=a&since=${hub.epoch}:1`))).toBe(true);
    expect(isUpToDate(hub, request(`topic=a&since=${hub.epoch}:0`))).toBe(false);
    expect(isUpToDate(hub, request(`topic=a&since=${hub.epoch}:1&topic=nope`))).toBe(false);
  });
});

describe('seriesWindow', () => {
  it('keeps fifteen minutes of samples, at most 3600', () => {
    expect(seriesWindow(1000)).toBe(900);
    expect(seriesWindow(5000)).toBe(180);
    expect(seriesWindow(100)).toBe(3600);
  });
});

describe('appendSampleOps', () => {
  it('appends, and drops the oldest once the window is full', () => {
    expect(appendSampleOps(1, 'x', 3)).toEqual([{ op: 'add', path: '/samples/-', value: 'x' }]);
    expect(appendSampleOps(3, 'x', 3)).toEqual([
      { op: 'add', path: '/samples/-', value: 'x' },
      { op: 'remove', path: '/samples/0' },
    ]);
  });
});

describe('readEnv', () => {
  it('defaults to loopback on 8080', () => {
    expect(readEnv({})).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      sampleMs: 1000,
      server: { websocket: true },
    });
  });

  it('keeps data in the per-user state directory unless TETHER_DATA_DIR says otherwise', () => {
    expect(readEnv({ XDG_STATE_HOME: '/home/ada/.state' }).dataDir).toBe('/home/ada/.state/tether');
    expect(readEnv({}).dataDir).toBe(join(homedir(), '.local', 'state', 'tether'));
    expect(readEnv({ TETHER_DATA_DIR: 'rel/dir' }).server.dataDir).toBe(resolve('rel/dir'));
    const memory = readEnv({ TETHER_DATA_DIR: ':memory:' });
    expect(memory.dataDir).toBeNull();
    expect(memory.server.dataDir).toBeUndefined();
  });

  it('reads every setting', () => {
    const config = readEnv({
      PORT: '0',
      HOST: '0.0.0.0',
      TETHER_SAMPLE_MS: '250',
      TETHER_HISTORY: '10',
      TETHER_HEARTBEAT_MS: '1000',
      TETHER_HEARTBEAT_TIMEOUT_MS: '3000',
      TETHER_NO_WEBSOCKET: '1',
      TETHER_STATIC_DIR: '/srv/dash',
      TETHER_JWT_SECRET: 's'.repeat(32),
      TETHER_JWT_ISSUER: 'https://id.example',
      TETHER_JWT_AUDIENCE: 'tether',
      TETHER_LOGIN_LINK: 'off',
      TETHER_ALLOWED_ORIGINS: 'https://wall.example, http://10.0.0.5:*',
      TETHER_MAX_CONNECTIONS_PER_IP: '8',
      TETHER_MAX_SUBSCRIPTIONS: '32',
      TETHER_DATA_DIR: '/srv/tether',
    });
    expect(config).toEqual({
      port: 0,
      host: '0.0.0.0',
      sampleMs: 250,
      dataDir: '/srv/tether',
      server: {
        dataDir: '/srv/tether',
        historyLength: 10,
        heartbeatMs: 1000,
        heartbeatTimeoutMs: 3000,
        websocket: false,
        staticDir: '/srv/dash',
        auth: { secret: 's'.repeat(32), issuer: 'https://id.example', audience: 'tether' },
        allowedOrigins: ['https://wall.example', 'http://10.0.0.5:*'],
        maxConnectionsPerIp: 8,
        maxSubscriptions: 32,
      },
      login: { generateSecret: false, loginLink: false },
    });
  });

  it('turns authentication on by default (with a secret the CLI generates) and off only when told', () => {
    expect(readEnv({})).toMatchObject({ login: { generateSecret: true, loginLink: true } });
    expect(readEnv({}).server.auth).toBeUndefined();
    expect(readEnv({ TETHER_AUTH: 'off' })).toMatchObject({
      server: { auth: 'off' },
      login: { generateSecret: false, loginLink: false },
    });
  });

  it.each([
    [{ TETHER_AUTH: 'maybe' }, /TETHER_AUTH must be "on" or "off"/],
    [{ TETHER_JWT_SECRET: 'short' }, /TETHER_JWT_SECRET must be at least 32 characters/],
    [
      { TETHER_JWT_SECRET: 's'.repeat(32), TETHER_JWT_JWKS_URL: 'https://id.example/jwks' },
      /set only one of TETHER_JWT_SECRET, TETHER_JWT_JWKS_URL/,
    ],
    [{ TETHER_JWT_JWKS_URL: 'http://id.example/jwks' }, /TETHER_JWT_JWKS_URL: .*must use https/],
    [
      { TETHER_JWT_PUBLIC_KEY_FILE: '/nonexistent/key.pem' },
      /TETHER_JWT_PUBLIC_KEY_FILE: cannot read/,
    ],
    [
      { TETHER_ALLOWED_ORIGINS: 'evil.example' },
      /TETHER_ALLOWED_ORIGINS: allowed origin "evil.example" is not/,
    ],
  ])('refuses the auth setting %o', (env, message) => {
    expect(() => readEnv(env)).toThrow(message);
  });

  it.each([
    { PORT: 'http' },
    { PORT: '70000' },
    { TETHER_SAMPLE_MS: '5' },
    { TETHER_HEARTBEAT_MS: '-1' },
  ])('refuses %o', (env) => {
    expect(() => readEnv(env)).toThrow(/must be a whole number/);
  });
});
