import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptPatches } from '../../server/patch-actions.ts';
import type { TetherServerOptions } from '../../server/options.ts';
import type { TestClient } from '../fixtures/real-server.ts';
import { closedAfterEach } from '../fixtures/closed-after-each.ts';
import { SECRET, rawToken, token } from '../fixtures/tokens.ts';

// Every refusal of docs/security.md over real sockets: the error code the offender gets, its
// close code, and that a well-behaved client on the same server misses nothing meanwhile.

type Frame = Record<string, unknown>;
const isTick = (frame: Frame) => frame.type === 'patch' && frame.topic === 'ticker';

const timers: NodeJS.Timeout[] = [];
const tracked = closedAfterEach();
afterEach(() => {
  for (const timer of timers.splice(0)) clearInterval(timer);
});

/** A server with auth on, a ticking topic, a private one and a writable one, and an observer that must not notice anything. */
async function setup(
  options: TetherServerOptions = {},
  observerToken: () => Promise<string> = () => token(),
) {
  const s = await tracked.start({ auth: { secret: SECRET, clockToleranceSec: 0 }, ...options });
  s.server.defineTopic('ticker', { initial: { n: 0 } });
  s.server.defineTopic('host.cpu', { initial: { total: 1 } });
  s.server.defineTopic('secret.payroll', { initial: { total: 100 } });
  s.server.defineTopic('alerts.thresholds', { initial: { cpu: 80 }, onAction: acceptPatches() });
  let n = 0;
  timers.push(
    setInterval(() => s.server.publish('ticker', [{ op: 'replace', path: '/n', value: ++n }]), 15),
  );

  const connect = (opts?: Parameters<typeof tracked.open>[1]) => tracked.open(s.wsUrl, opts);
  /** Connects and authenticates with `tokenText` (a full-access token by default). */
  const signedIn = async (tokenText?: string) => {
    const client = await connect();
    client.send({ type: 'hello', token: tokenText ?? (await token()) });
    await client.take((f) => f.type === 'welcome');
    return client;
  };

  const observer = await signedIn(await observerToken());
  observer.send({ type: 'subscribe', topic: 'ticker' });
  await observer.take((f) => f.type === 'snapshot');
  let closedBy: number | null = null;
  void observer.closed.then(({ code }) => (closedBy = code));
  const expectUndisturbed = async () => {
    await observer.take(isTick, 2000);
    await observer.take(isTick, 2000);
    expect(closedBy).toBeNull();
    expect(observer.frames.some((f) => f.type === 'error')).toBe(false);
    const seqs = observer.frames.filter(isTick).map((f) => f.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
  };
  return { ...s, connect, signedIn, expectUndisturbed };
}

/** The offender is told `code` in an error frame, then closed with `close`. */
async function expectRefused(client: TestClient, code: string, close: number, message?: RegExp) {
  const error = await client.take<Frame>((f) => f.type === 'error');
  expect(error).toMatchObject({ type: 'error', code });
  if (message) expect(error.message).toMatch(message);
  expect((await client.closed).code).toBe(close);
}

describe('authentication on /ws', () => {
  it('refuses a hello without a token: unauthorized, close 4401', async () => {
    const s = await setup();
    const client = await s.connect();
    client.send({ type: 'hello' });
    await expectRefused(client, 'unauthorized', 4401, /token is required/);
    await s.expectUndisturbed();
  });

  it('refuses frames before the hello: unauthorized, close 4401, nothing served', async () => {
    const s = await setup();
    const client = await s.connect();
    client.send({ type: 'subscribe', topic: 'host.cpu' });
    await expectRefused(client, 'unauthorized', 4401, /first frame must be hello/);
    expect(client.frames.filter((f) => f.type === 'snapshot')).toEqual([]);
    await s.expectUndisturbed();
  });

  it.each([
    [
      'a bad signature',
      () => token(undefined, { secret: 'another-secret-0123456789abcdef0123' }),
      /signature is not valid/,
    ],
    ['an expired token', () => token(undefined, { ttlSec: -10 }), /expired/],
    ['a token without exp', () => rawToken({ sub: 'x', tether: { sub: ['*'] } }), /"exp" claim/],
    ['garbage', async () => 'not.a.jwt', /malformed/],
    [
      'an unsigned token (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(`{"exp":${Date.now() / 1000 + 60}}`).toString('base64url')}.`,
      /algorithm|malformed/,
    ],
  ])('refuses %s: unauthorized, close 4401', async (_what, make, message) => {
    const s = await setup();
    const client = await s.connect();
    client.send({ type: 'hello', token: await make() });
    await expectRefused(client, 'unauthorized', 4401, message);
    await s.expectUndisturbed();
  });

  it('checks issuer and audience when configured', async () => {
    const valid = () => token(undefined, { issuer: 'https://id.example', audience: 'tether' });
    const s = await setup(
      { auth: { secret: SECRET, issuer: 'https://id.example', audience: 'tether' } },
      valid,
    );
    for (const [options, claim] of [
      [{ audience: 'tether' }, 'iss'],
      [{ issuer: 'https://id.example', audience: 'other' }, 'aud'],
    ] as const) {
      const client = await s.connect();
      client.send({ type: 'hello', token: await token(undefined, options) });
      await expectRefused(client, 'unauthorized', 4401, new RegExp(`"${claim}" claim`));
    }
    await s.signedIn(await valid());
    await s.expectUndisturbed();
  });

  it('closes a connection that never says hello within helloTimeoutMs', async () => {
    const s = await setup({ helloTimeoutMs: 150 });
    const silent = await s.connect();
    const startedAt = Date.now();
    await expectRefused(silent, 'unauthorized', 4401, /no hello with a valid token within 150 ms/);
    expect(Date.now() - startedAt).toBeLessThan(1000);
    await s.expectUndisturbed();
  });

  it('closes a live connection when its token expires, unless a fresh hello came first', async () => {
    const s = await setup();
    const expiring = await s.signedIn(await token(undefined, { ttlSec: 2 }));
    const refreshed = await s.signedIn(await token(undefined, { ttlSec: 2 }));
    for (const client of [expiring, refreshed]) client.send({ type: 'subscribe', topic: 'ticker' });
    refreshed.send({ type: 'hello', token: await token(undefined, { ttlSec: 60 }) });
    await refreshed.take((f) => f.type === 'welcome');

    await expectRefused(expiring, 'unauthorized', 4401, /token has expired/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The refreshed one is still open and still receiving.
    const seq = (await refreshed.take<Frame>(isTick)).seq as number;
    expect((await refreshed.take<Frame>(isTick)).seq).toBe(seq + 1);
    expect(refreshed.frames.filter((f) => f.type === 'error')).toEqual([]);
    await s.expectUndisturbed();
  }, 10_000);

  it('re-authorises on a fresh hello: subscriptions the new token does not allow get forbidden and stop', async () => {
    const s = await setup();
    const client = await s.signedIn();
    for (const topic of ['host.cpu', 'secret.payroll']) client.send({ type: 'subscribe', topic });
    await client.take((f) => f.type === 'snapshot' && f.topic === 'secret.payroll');

    client.send({
      type: 'hello',
      token: await token({ sub: ['host.*', 'ticker'] }, { subject: 'someone-else' }),
    });
    expect(await client.take()).toEqual({
      type: 'error',
      code: 'forbidden',
      message: 'no longer allowed to subscribe to "secret.payroll"',
      topic: 'secret.payroll',
    });
    expect(await client.take()).toMatchObject({ type: 'welcome' });
    s.server.publish('secret.payroll', [{ op: 'replace', path: '/total', value: 200 }]);
    s.server.publish('host.cpu', [{ op: 'replace', path: '/total', value: 2 }]);
    await client.take((f) => f.type === 'patch' && f.topic === 'host.cpu');
    await client.sync();
    expect(client.frames.filter((f) => f.topic === 'secret.payroll' && f.type === 'patch')).toEqual(
      [],
    );
    // …and asking again is refused.
    client.send({ type: 'subscribe', topic: 'secret.payroll' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'forbidden',
      topic: 'secret.payroll',
    });
    await s.expectUndisturbed();
  });

  it('closes the connection when a fresh hello carries a bad token', async () => {
    const s = await setup();
    const client = await s.signedIn();
    client.send({ type: 'hello', token: await token(undefined, { ttlSec: -1 }) });
    await expectRefused(client, 'unauthorized', 4401, /expired/);
    await s.expectUndisturbed();
  });

  it('judges frames pipelined after a hello by that hello’s token', async () => {
    const s = await setup();
    const client = await s.connect();
    client.send({ type: 'hello', token: await token({ sub: ['host.*'] }) });
    client.send({ type: 'subscribe', topic: 'host.cpu' });
    client.send({ type: 'subscribe', topic: 'secret.payroll' });
    expect(await client.take()).toMatchObject({ type: 'welcome' });
    expect(await client.take()).toMatchObject({ type: 'snapshot', topic: 'host.cpu' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'forbidden',
      topic: 'secret.payroll',
    });
  });
});

describe('topic permissions on /ws', () => {
  it('refuses a subscribe outside the token’s topics with forbidden and the topic, keeps the connection, and hides whether the topic exists', async () => {
    const s = await setup();
    const client = await s.signedIn(await token({ sub: ['host.*'] }));
    client.send({ type: 'subscribe', topic: 'secret.payroll' });
    expect(await client.take()).toEqual({
      type: 'error',
      code: 'forbidden',
      message: 'not allowed to subscribe to "secret.payroll"',
      topic: 'secret.payroll',
    });
    client.send({ type: 'subscribe', topic: 'no.such.topic' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'forbidden',
      topic: 'no.such.topic',
    });
    client.send({ type: 'subscribe', topic: 'host.cpu' });
    expect(await client.take()).toMatchObject({ type: 'snapshot', topic: 'host.cpu' });
    await s.expectUndisturbed();
  });

  it('a token without the tether claim may subscribe to nothing', async () => {
    const s = await setup();
    const client = await s.signedIn(
      await rawToken({ sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }),
    );
    client.send({ type: 'subscribe', topic: 'host.cpu' });
    expect(await client.take()).toMatchObject({
      type: 'error',
      code: 'forbidden',
      topic: 'host.cpu',
    });
  });

  it('refuses a token whose tether claim is malformed', async () => {
    const s = await setup();
    const client = await s.connect();
    client.send({
      type: 'hello',
      token: await rawToken({ exp: Math.floor(Date.now() / 1000) + 60, tether: { sub: 'host.*' } }),
    });
    await expectRefused(client, 'unauthorized', 4401, /permissions are malformed/);
  });

  it('nacks an action outside the token’s topics with forbidden, without applying or remembering it', async () => {
    const s = await setup();
    const viewer = await s.signedIn(await token({ sub: ['*'], act: [] }));
    viewer.send({
      type: 'action',
      id: 'a1',
      topic: 'alerts.thresholds',
      payload: { data: { cpu: 10 } },
    });
    expect(await viewer.take()).toEqual({
      type: 'nack',
      id: 'a1',
      code: 'forbidden',
      message: 'not allowed to act on "alerts.thresholds"',
    });
    expect(s.server.hub.topic('alerts.thresholds')!.state).toEqual({ cpu: 80 });
    // The same id from someone allowed is applied: the refusal was not cached as its answer.
    const operator = await s.signedIn(await token({ sub: ['*'], act: ['alerts.*'] }));
    operator.send({
      type: 'action',
      id: 'a1',
      topic: 'alerts.thresholds',
      payload: { data: { cpu: 10 } },
    });
    expect(await operator.take()).toEqual({ type: 'ack', id: 'a1' });
    expect(s.server.hub.topic('alerts.thresholds')!.state).toEqual({ cpu: 10 });
    await s.expectUndisturbed();
  });
});

describe('origins and limits on /ws', () => {
  it('refuses an upgrade from an origin outside the allowlist: forbidden, close 4403; allows listed ones and our own', async () => {
    const s = await setup({ allowedOrigins: ['https://wall.example', 'http://10.0.0.5:*'] });
    for (const origin of ['http://evil.example', 'http://localhost:5173', 'null']) {
      const client = await s.connect({ origin });
      await expectRefused(client, 'forbidden', 4403, /is not allowed to connect/);
    }
    for (const origin of [
      'https://wall.example',
      'http://10.0.0.5:8080',
      `http://127.0.0.1:${s.port}`,
    ]) {
      const client = await s.connect({ origin });
      client.send({ type: 'hello', token: await token() });
      expect(await client.take()).toMatchObject({ type: 'welcome' });
    }
    await s.expectUndisturbed();
  });

  it('allows the dashboard under `npm run dev` by default: Vite proxies /ws keeping its own Host', async () => {
    const s = await setup();
    const client = await s.connect({
      origin: 'http://localhost:5173',
      headers: { host: 'localhost:5173' },
    });
    client.send({ type: 'hello', token: await token() });
    expect(await client.take()).toMatchObject({ type: 'welcome' });
  });

  it('answers a frame over maxFrameBytes with too_large and closes 1009, even before the hello', async () => {
    const s = await setup({ maxFrameBytes: 1024 });
    const client = await s.connect();
    client.send({ type: 'hello', token: 'x'.repeat(2000) });
    await expectRefused(client, 'too_large', 1009);
    await s.expectUndisturbed();
  });

  it('drops a flood with rate_limited (told once) and keeps the connection', async () => {
    const s = await setup({ rateLimit: { framesPerSecond: 50, burst: 50 } });
    const client = await s.signedIn();
    for (let i = 0; i < 150; i++) client.send({ type: 'ping', t: i });
    await client.take((f) => f.type === 'error' && f.code === 'rate_limited');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await client.sync();
    expect(client.frames.filter((f) => f.code === 'rate_limited')).toHaveLength(1);
    expect(client.frames.filter((f) => f.type === 'pong').length).toBeLessThan(150);
    await s.expectUndisturbed();
  });

  it('refuses a subscription past maxSubscriptions with too_many_subscriptions and the topic; resubscribing or unsubscribing is fine', async () => {
    const s = await setup({ maxSubscriptions: 2 });
    const client = await s.signedIn();
    for (const topic of ['host.cpu', 'ticker']) client.send({ type: 'subscribe', topic });
    await client.take((f) => f.type === 'snapshot' && f.topic === 'ticker');
    client.send({ type: 'subscribe', topic: 'secret.payroll' });
    expect(await client.take((f) => f.type === 'error')).toEqual({
      type: 'error',
      code: 'too_many_subscriptions',
      message: 'a connection may hold at most 2 subscriptions',
      topic: 'secret.payroll',
    });
    client.send({ type: 'subscribe', topic: 'host.cpu' }); // a resume of a held topic is not a new one
    await client.take((f) => f.type === 'snapshot' && f.topic === 'host.cpu');
    client.send({ type: 'unsubscribe', topic: 'host.cpu' });
    client.send({ type: 'subscribe', topic: 'secret.payroll' });
    await client.take((f) => f.type === 'snapshot' && f.topic === 'secret.payroll');
    await s.expectUndisturbed();
  });

  it('refuses connections past maxConnectionsPerIp with too_many_connections and close 1013; a slot frees when one closes', async () => {
    // The observer holds one of the three slots (loopback is exempt by default, not here).
    const s = await setup({ maxConnectionsPerIp: 3, connectionLimitExempt: [] });
    const [a, b] = [await s.signedIn(), await s.signedIn()];
    const extra = await s.connect();
    await expectRefused(extra, 'too_many_connections', 1013, /at most 3 connections per address/);
    a.ws.close();
    await a.closed;
    await new Promise((resolve) => setTimeout(resolve, 50));
    await s.signedIn();
    b.send({ type: 'ping', t: 5 });
    expect(await b.take()).toEqual({ type: 'pong', t: 5 });
    await s.expectUndisturbed();
  });
});

describe('slow consumers with auth on', () => {
  it('drops a signed-in client that does not read (4429) before its backlog grows without bound; a reading client gets every frame', async () => {
    const s = await setup({ maxBufferedBytes: 128 * 1024, historyLength: 10 });
    s.server.defineTopic('big', { initial: { blob: '' } });
    const [reader, stalled] = [await s.signedIn(), await s.signedIn()];
    for (const client of [reader, stalled]) {
      client.send({ type: 'subscribe', topic: 'big' });
      await client.take((f) => f.type === 'snapshot' && f.topic === 'big');
    }
    const socket = (stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })
      ._socket;
    socket.pause();
    const blob = 'y'.repeat(16 * 1024);
    let seq = 0;
    while (s.server.clients().websocket === 3 && seq < 4000) {
      for (let i = 0; i < 4; i++)
        s.server.publish('big', [{ op: 'replace', path: '/blob', value: `${++seq}${blob}` }]);
      await reader.take((f) => f.topic === 'big' && f.seq === seq);
    }
    expect(s.server.clients().websocket).toBe(2); // the reader and the observer
    socket.resume();
    expect((await stalled.closed).code).toBe(4429);
    const seqs = reader.frames
      .filter((f) => f.type === 'patch' && f.topic === 'big')
      .map((f) => f.seq);
    expect(seqs).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
    await s.expectUndisturbed();
  });
});

describe('asymmetric keys', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const es256 = (claims: Record<string, unknown> = {}): Promise<string> =>
    new SignJWT({ tether: { sub: ['*'] }, ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setExpirationTime('1h')
      .sign(privateKey);

  it('verifies tokens with a PEM public key, and refuses an HS256 token made with that key as its secret', async () => {
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const s = await setup({ auth: { publicKey: pem } }, es256);
    await s.signedIn(await es256());
    const confused = await s.connect();
    confused.send({
      type: 'hello',
      token: await new SignJWT({ tether: { sub: ['*'] } })
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(pem)),
    });
    await expectRefused(confused, 'unauthorized', 4401, /algorithm/);
  });

  it('verifies tokens with the issuer’s JWKS, and closes with 1011 (retry later) when the keys cannot be fetched', async () => {
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const jwks = createServer((_, res) =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: [jwk] })),
    );
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    try {
      const s = await setup({ auth: { jwksUrl } }, es256);
      await s.signedIn(await es256());
    } finally {
      await new Promise((resolve) => jwks.close(resolve));
    }
    const down = await tracked.start({ auth: { jwksUrl } });
    const client = await tracked.open(down.wsUrl);
    client.send({ type: 'hello', token: await es256() });
    await expectRefused(client, 'internal', 1011, /cannot verify tokens right now/);
  });
});

describe('permission before existence', () => {
  it('answers subscribe and unsubscribe of a forbidden topic the same whether it exists or not', async () => {
    const s = await setup();
    const client = await s.signedIn(await token({ sub: ['host.*'] }));
    const answers: Frame[] = [];
    for (const type of ['subscribe', 'unsubscribe'])
      for (const topic of ['secret.payroll', 'secret.nothing']) {
        client.send({ type, topic });
        const answer = await client.take((f) => f.type === 'error' && f.topic === topic);
        answers.push({
          ...answer,
          topic: '<topic>',
          message: String(answer.message).replace(topic, '<topic>'),
        });
      }
    expect(answers).toHaveLength(4);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]).toMatchObject({ code: 'forbidden' });
    // A readable name still tells whether it exists.
    client.send({ type: 'unsubscribe', topic: 'host.nothing' });
    expect(await client.take((f) => f.type === 'error')).toMatchObject({ code: 'unknown_topic' });
    await s.expectUndisturbed();
  });
});
