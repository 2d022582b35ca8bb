import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { mintToken } from '../../server/auth.ts';
import { Credentials } from '../../src/client/credentials.ts';
import { openClient, startServer } from '../fixtures/real-server.ts';
import type { StartedServer } from '../fixtures/real-server.ts';

const SECRET = 'a-secret-for-the-renewal-tests-0123456789';
let running: StartedServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A server that renews its tokens for sessions of `maxSessionSec`, with no clock tolerance. */
async function serve(maxSessionSec: number): Promise<StartedServer> {
  running = await startServer({
    auth: { secret: SECRET, clockToleranceSec: 0, renewal: { maxSessionSec } },
  });
  running.server.defineTopic('t', { initial: 1 });
  return running;
}

const shortToken = (ttlSec: number) =>
  mintToken(SECRET, { subject: 'wall', grants: { sub: ['t'] }, ttlSec });

describe('token renewal over a live WebSocket', () => {
  it('sends a fresh token halfway through each one’s life, until the session’s maximum age', async () => {
    const server = await serve(5);
    const first = await shortToken(2);
    const started = Date.now();
    const client = await openClient(server.wsUrl);
    client.send({ type: 'hello', token: first, renew: true });
    expect(await client.take()).toMatchObject({ type: 'welcome' });
    client.send({ type: 'subscribe', topic: 't' });
    await client.take((f) => f.type === 'snapshot');

    const renewed = await client.take<{ token: string }>((f) => f.type === 'token', 3000);
    const before = decodeJwt(first);
    const after = decodeJwt(renewed.token);
    expect(after).toMatchObject({ sub: 'wall', tether: before.tether, auth_time: before.iat });
    expect(after.exp! - after.iat!).toBe(2);
    expect(after.exp!).toBeGreaterThan(before.exp!);

    // The connection outlives the first token, and is closed when the session reaches 5 s.
    const { code } = await client.closed;
    const lasted = Date.now() - started;
    expect(code).toBe(4401);
    expect(lasted).toBeGreaterThan(3000);
    expect(lasted).toBeLessThan(8000);
    const tokens = client.frames.filter((f) => f.type === 'token');
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const last = decodeJwt(tokens.at(-1)!.token as string);
    expect(last.exp).toBe(before.iat! + 5);
  }, 15_000);

  it('sends none to a client that did not ask for renewal', async () => {
    const server = await serve(60);
    const client = await openClient(server.wsUrl);
    client.send({ type: 'hello', token: await shortToken(1) });
    expect(await client.take()).toMatchObject({ type: 'welcome' });
    expect((await client.closed).code).toBe(4401);
    expect(client.frames.some((f) => f.type === 'token')).toBe(false);
  }, 10_000);

  it('is refused without a secret to sign with', async () => {
    await expect(() =>
      startServer({ auth: { jwksUrl: 'https://id.example/jwks', renewal: { maxSessionSec: 1 } } }),
    ).rejects.toThrow(/renewal needs `secret`/);
  });
});

describe('Credentials', () => {
  it('uses a renewed token while it outlives what getToken gives, and reports it', async () => {
    const old = await shortToken(60);
    const kept: string[] = [];
    const credentials = new Credentials(
      () => old,
      (token) => kept.push(token),
    );
    expect(credentials.next()).toBe(old);
    const renewed = await shortToken(120);
    credentials.renewed(renewed);
    expect(kept).toEqual([renewed]);
    expect(credentials.next()).toBe(renewed);
    // A newer sign-in (a login link opened later) wins again.
    const later = new Credentials(
      () => newest,
      () => undefined,
    );
    const newest = await shortToken(600);
    later.renewed(renewed);
    expect(later.next()).toBe(newest);
  });
});
