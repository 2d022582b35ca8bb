import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bearerToken, createAuthenticator } from '../../server/auth.ts';
import { compileGrants } from '../../server/grants.ts';
import { OriginPolicy } from '../../server/origin.ts';
import { SECRET, rawToken, token } from '../fixtures/tokens.ts';

describe('topic grants', () => {
  it('matches exact names and * globs (dots included), and grants nothing without a claim', () => {
    const grants = compileGrants({ sub: ['host.*', 'alerts.feed'], act: ['alerts.thresholds'] });
    expect(['host.cpu', 'host.disk.sda', 'alerts.feed'].map(grants.canSubscribe)).toEqual([
      true,
      true,
      true,
    ]);
    expect(['hostx.cpu', 'host', 'alerts.feed2', 'secret'].map(grants.canSubscribe)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(grants.canAct('alerts.thresholds')).toBe(true);
    expect(grants.canAct('alerts.feed')).toBe(false);
    expect(compileGrants({ sub: ['*'] }).canSubscribe('anything/at:all')).toBe(true);
    expect(compileGrants({ sub: ['a*c'] }).canSubscribe('a.b.c')).toBe(true);
    const none = compileGrants(undefined);
    expect([none.canSubscribe('host.cpu'), none.canAct('host.cpu')]).toEqual([false, false]);
    expect(compileGrants({ sub: ['x'] }).canAct('x')).toBe(false);
  });

  it('treats pattern characters other than * literally', () => {
    const grants = compileGrants({ sub: ['a.b'] });
    expect(grants.canSubscribe('aXb')).toBe(false);
  });

  it.each([
    ['host.*'],
    [{ sub: 'host.*' }],
    [{ sub: [1] }],
    [{ sub: ['(.*)'] }],
    [{ act: ['a b'] }],
    [{ sub: Array(300).fill('a') }],
  ])('refuses the malformed claim %j', (claim) => {
    expect(() => compileGrants(claim)).toThrow(TypeError);
  });
});

describe('createAuthenticator', () => {
  it('needs exactly one way to verify, a long enough secret, and https for a remote JWKS', () => {
    expect(() => createAuthenticator({})).toThrow(/exactly one of secret, publicKey or jwksUrl/);
    expect(() =>
      createAuthenticator({ secret: SECRET, jwksUrl: 'https://id.example/jwks' }),
    ).toThrow(/exactly one/);
    expect(() => createAuthenticator({ secret: 'short' })).toThrow(/at least 32 characters/);
    expect(() => createAuthenticator({ jwksUrl: 'http://id.example/jwks' })).toThrow(/https/);
    expect(() => createAuthenticator({ jwksUrl: 'http://localhost:9/jwks' })).not.toThrow();
    expect(() => createAuthenticator({ publicKey: 'not a pem' })).toThrow();
  });

  it('reads the subject, the expiry and the grants of a valid token', async () => {
    const auth = createAuthenticator({ secret: SECRET, clockToleranceSec: 0 });
    const result = await auth.verify(
      await token({ sub: ['host.*'] }, { subject: 'alice', ttlSec: 60 }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.principal.subject).toBe('alice');
    expect(result.principal.expiresAt! - Date.now()).toBeGreaterThan(58_000);
    expect(result.principal.expiresAt! - Date.now()).toBeLessThanOrEqual(60_000);
    expect(result.principal.canSubscribe('host.cpu')).toBe(true);
    expect(result.principal.canAct('host.cpu')).toBe(false);
  });

  it('maps other claims with `grants`', async () => {
    const auth = createAuthenticator({
      secret: SECRET,
      grants: (claims) =>
        claims.role === 'ops' ? { sub: ['*'], act: ['*'] } : { sub: ['host.*'] },
    });
    const result = await auth.verify(
      await rawToken({ role: 'ops', exp: Math.floor(Date.now() / 1000) + 60 }),
    );
    expect(result.ok && result.principal.canAct('alerts.thresholds')).toBe(true);
  });

  it('refuses with a short reason and never throws', async () => {
    const auth = createAuthenticator({ secret: SECRET });
    expect(await auth.verify(undefined)).toEqual({
      ok: false,
      reason: 'unauthorized',
      message: 'a token is required',
    });
    expect(await auth.verify('x'.repeat(9000))).toMatchObject({
      ok: false,
      message: 'the token is too long',
    });
    expect(await auth.verify('a.b.c')).toMatchObject({ ok: false, reason: 'unauthorized' });
  });

  it('serves everyone when auth is off', async () => {
    const auth = createAuthenticator(false);
    expect(auth.required).toBe(false);
    const result = await auth.verify(undefined);
    expect(
      result.ok && result.principal.canAct('anything') && result.principal.expiresAt === null,
    ).toBe(true);
  });
});

describe('bearerToken', () => {
  it('reads `Authorization: Bearer <token>` and nothing else', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('OriginPolicy', () => {
  const req = (origin: string | undefined, host = '127.0.0.1:8080') =>
    ({ headers: { origin, host } }) as unknown as IncomingMessage;

  it('knows no Origin (tools), its own origin, the allowlist (with any-port entries), and refuses the rest', () => {
    // By default only the server's own origin: another local port is another program.
    const own = new OriginPolicy();
    expect(own.check(req(undefined))).toBe('none');
    expect(own.check(req('http://127.0.0.1:8080'))).toBe('same');
    expect(own.check(req('http://localhost:5173'))).toBe('refused');
    const policy = new OriginPolicy(['http://localhost:*', 'http://[::1]:*']);
    expect(policy.check(req('http://127.0.0.1:8080'))).toBe('same');
    expect(policy.check(req('https://dash.example', 'dash.example'))).toBe('same');
    expect(policy.check(req('http://localhost:5173'))).toBe('allowed');
    expect(policy.check(req('http://[::1]:3000'))).toBe('allowed');
    expect(policy.check(req('http://localhost'))).toBe('allowed');
    expect(policy.check(req('https://localhost:5173'))).toBe('refused'); // the scheme counts
    expect(policy.check(req('http://localhost.evil.example:5173'))).toBe('refused');
    expect(policy.check(req('http://evil.example'))).toBe('refused');
    expect(policy.check(req('null'))).toBe('refused');
  });

  it('replaces the defaults with a configured list of exact origins and any-port entries', () => {
    const policy = new OriginPolicy([
      'https://Wall.example/',
      'http://10.0.0.5:*',
      'http://kiosk:8080',
    ]);
    expect(policy.check(req('https://wall.example'))).toBe('allowed');
    expect(policy.check(req('http://10.0.0.5:9999'))).toBe('allowed');
    expect(policy.check(req('http://kiosk:8080'))).toBe('allowed');
    expect(policy.check(req('http://kiosk:8081'))).toBe('refused');
    expect(policy.check(req('http://localhost:5173'))).toBe('refused');
    expect(new OriginPolicy([]).check(req('http://localhost:5173'))).toBe('refused');
  });

  it.each(['wall.example', 'https://wall.example/path', '*', 'ftp://x', 'https://*.example'])(
    'refuses the entry %s',
    (entry) => {
      expect(() => new OriginPolicy([entry])).toThrow(RangeError);
    },
  );
});
