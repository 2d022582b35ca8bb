import { createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type * as Jose from 'jose';
import type { JWTPayload, JWTVerifyGetKey, JWTVerifyOptions } from 'jose';
import { compileGrants } from './grants.ts';
import type { TopicGrants } from './grants.ts';

/**
 * Viewer authentication (docs/security.md): JWTs verified with `jose`, sent in `hello.token` over
 * WebSocket and as `Authorization: Bearer` over HTTP. Exactly one way to verify: a shared secret
 * (HS256), a public key, or the issuer's JWKS URL. `exp` is required.
 */
export interface AuthOptions {
  /** HS256 shared secret, at least 32 characters (e.g. `openssl rand -hex 32`). */
  secret?: string;
  /** PEM public key (SPKI) of the token issuer: RSA (RS256/PS256), EC P-256/384/521 (ES*), or Ed25519 (EdDSA). */
  publicKey?: string | KeyObject;
  /** The issuer's JWKS URL (`…/.well-known/jwks.json`); keys are fetched and cached by `jose`. */
  jwksUrl?: string;
  /** Required `iss` claim. */
  issuer?: string;
  /** Required `aud` claim (one of the token's audiences). */
  audience?: string;
  /** Allowed clock skew for `exp`/`nbf`, in seconds (default 5). */
  clockToleranceSec?: number;
  /** Topic permissions from the verified claims (default: the `tether` claim, see grants.ts). */
  grants?: (claims: TokenClaims) => TopicGrants;
  /**
   * With `secret` only: renew a viewer's token over its live WebSocket halfway through its life
   * (a `token` frame), with the same claims and lifetime, until `maxSessionSec` after the first
   * sign-in (`auth_time`, else the first token's `iat`). Off by default.
   */
  renewal?: { maxSessionSec: number };
}

/**
 * A verified token's claims (jose's `JWTPayload`), declared here so that the server's types do
 * not need jose's.
 */
export interface TokenClaims {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  nbf?: number;
  exp?: number;
  iat?: number;
  [claim: string]: unknown;
}

/** Who is on a connection and what they may do. */
export interface Principal {
  /** The token's `sub`, null when auth is off or the token has none. */
  subject: string | null;
  /** When the credential stops being valid (ms since the epoch, tolerance included); null = never. */
  expiresAt: number | null;
  canSubscribe(topic: string): boolean;
  canAct(topic: string): boolean;
  /** When renewal is on and the session may go on: when to renew (ms) and how to sign the next token. */
  renewal?: { at: number; mint(): Promise<string> };
}

export type AuthResult =
  | { ok: true; principal: Principal }
  /** `unauthorized`: the credential is missing or refused. `unavailable`: we cannot check it now (JWKS down). */
  | { ok: false; reason: 'unauthorized' | 'unavailable'; message: string };

export interface Authenticator {
  /** false: every request is served as `OPEN` (auth: false). */
  readonly required: boolean;
  /** Never throws. */
  verify(token: string | undefined): Promise<AuthResult>;
}

/** Everything allowed, forever: the principal of an open server. */
export const OPEN: Principal = {
  subject: null,
  expiresAt: null,
  canSubscribe: () => true,
  canAct: () => true,
};

export const MIN_SECRET_LENGTH = 32;

/**
 * `jose` is an optional peer dependency, loaded only by a server that verifies or mints tokens,
 * so an app that never uses auth need not install it.
 */
function loadJose(): Promise<typeof Jose> {
  return import('jose').catch((error: unknown) => {
    throw new Error('tether: token auth needs the `jose` package (npm install jose)', {
      cause: error,
    });
  });
}
const MAX_TOKEN_LENGTH = 8192;
/** Never HS* with a public key (algorithm confusion), never `none`. */
const ASYMMETRIC = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

export function createAuthenticator(options: AuthOptions | false): Authenticator {
  if (options === false)
    return { required: false, verify: () => Promise.resolve({ ok: true, principal: OPEN }) };
  const { key, algorithms } = verificationKey(options);
  const jose = loadJose();
  // Reported now, not at the first token: a server configured for auth cannot serve without it.
  jose.catch((error: unknown) => console.error((error as Error).message));
  let remoteKeys: JWTVerifyGetKey | undefined;
  const verifyOptions: JWTVerifyOptions = {
    algorithms,
    requiredClaims: ['exp'],
    clockTolerance: options.clockToleranceSec ?? 5,
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
  };
  const toleranceMs = (options.clockToleranceSec ?? 5) * 1000;
  const { renewal } = options;
  if (renewal && options.secret === undefined)
    throw new Error('token renewal needs `secret`: only tokens this server signs can be renewed');
  const renewalOf = (claims: JWTPayload) =>
    renewal ? planRenewal(claims, options.secret!, renewal.maxSessionSec) : undefined;
  const readGrants = options.grants ?? ((claims: TokenClaims) => claims.tether as TopicGrants);

  return {
    required: true,
    async verify(token) {
      if (token === undefined || token === '') return refused('a token is required');
      if (token.length > MAX_TOKEN_LENGTH) return refused('the token is too long');
      let claims: JWTPayload;
      let errors: typeof Jose.errors | undefined;
      try {
        const lib = await jose;
        errors = lib.errors;
        if (key instanceof URL) {
          remoteKeys ??= lib.createRemoteJWKSet(key);
          ({ payload: claims } = await lib.jwtVerify(token, remoteKeys, verifyOptions));
        } else {
          const local = key as Parameters<typeof lib.jwtVerify>[1];
          ({ payload: claims } = await lib.jwtVerify(token, local, verifyOptions));
        }
      } catch (error) {
        return rejection(error, errors);
      }
      let grants;
      try {
        grants = compileGrants(readGrants(claims));
      } catch (error) {
        return refused(`the token's permissions are malformed: ${(error as Error).message}`);
      }
      return {
        ok: true,
        principal: {
          subject: typeof claims.sub === 'string' ? claims.sub : null,
          expiresAt: (claims.exp as number) * 1000 + toleranceMs,
          ...grants,
          ...(renewalOf(claims) ?? {}),
        },
      };
    },
  };
}

/**
 * The renewal of a verified token: at half its life, the same claims with a new `iat` and `exp`
 * (same lifetime), never past `auth_time + maxSessionSec`. None without `iat`, or at the cap.
 */
function planRenewal(
  claims: JWTPayload,
  secret: string,
  maxSessionSec: number,
): { renewal: NonNullable<Principal['renewal']> } | undefined {
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= iat) return undefined;
  const authTime = typeof claims.auth_time === 'number' ? claims.auth_time : iat;
  const sessionEnd = authTime + maxSessionSec;
  if (exp >= sessionEnd) return undefined;
  const lifetime = exp - iat;
  return {
    renewal: {
      at: (iat + lifetime / 2) * 1000,
      mint: async () => {
        const { SignJWT } = await loadJose();
        const now = Math.floor(Date.now() / 1000);
        const { nbf: _nbf, jti: _jti, ...kept } = claims;
        return new SignJWT({ ...kept, auth_time: authTime })
          .setProtectedHeader({ alg: 'HS256' })
          .setIssuedAt(now)
          .setExpirationTime(Math.min(now + lifetime, sessionEnd))
          .sign(new TextEncoder().encode(secret));
      },
    },
  };
}

function verificationKey(options: AuthOptions): {
  /** A URL: the issuer's JWKS, fetched once jose is loaded. */
  key: Uint8Array | KeyObject | URL;
  algorithms: string[];
} {
  const given = [options.secret, options.publicKey, options.jwksUrl].filter(
    (value) => value !== undefined,
  );
  if (given.length !== 1)
    throw new RangeError(
      'auth: give exactly one of secret, publicKey or jwksUrl (or auth: false for an open server)',
    );
  if (options.secret !== undefined) {
    if (typeof options.secret !== 'string' || options.secret.length < MIN_SECRET_LENGTH) {
      throw new RangeError(
        `auth.secret must be at least ${MIN_SECRET_LENGTH} characters (e.g. \`openssl rand -hex 32\`)`,
      );
    }
    return { key: new TextEncoder().encode(options.secret), algorithms: ['HS256'] };
  }
  if (options.publicKey !== undefined) {
    const key =
      typeof options.publicKey === 'string'
        ? createPublicKey(options.publicKey)
        : options.publicKey;
    if (key.type !== 'public') throw new RangeError('auth.publicKey must be a public key');
    return { key, algorithms: ASYMMETRIC };
  }
  let url: URL;
  try {
    url = new URL(options.jwksUrl!);
  } catch {
    throw new RangeError(`auth.jwksUrl is not a URL: ${options.jwksUrl}`);
  }
  if (url.protocol !== 'https:' && url.hostname !== 'localhost' && url.hostname !== '127.0.0.1') {
    throw new RangeError('auth.jwksUrl must use https (http only for localhost)');
  }
  return { key: url, algorithms: ASYMMETRIC };
}

const refused = (message: string): AuthResult => ({ ok: false, reason: 'unauthorized', message });

const UNAVAILABLE: AuthResult = {
  ok: false,
  reason: 'unavailable',
  message: 'cannot verify tokens right now; try again later',
};

/** A client-facing reason; jose's own messages name internals we need not repeat. */
function rejection(error: unknown, errors: typeof Jose.errors | undefined): AuthResult {
  if (errors === undefined) return UNAVAILABLE;
  if (error instanceof errors.JWTExpired) return refused('the token has expired');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return refused('the token signature is not valid');
  if (error instanceof errors.JWTClaimValidationFailed)
    return refused(`the token's "${error.claim}" claim is missing or not accepted`);
  if (error instanceof errors.JOSEAlgNotAllowed)
    return refused('the token is signed with an algorithm this server does not accept');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
    return refused("no key of the token's issuer matches the token");
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  ) {
    // The issuer's keys could not be fetched (or something unexpected): not the client's fault.
    return UNAVAILABLE;
  }
  return refused('the token is malformed');
}

export interface MintOptions {
  /** The token's `sub`. */
  subject: string;
  grants: TopicGrants;
  /** Lifetime in seconds. */
  ttlSec: number;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token for this server (the CLI's login link, `server/mint-token.ts`, tests). */
export function mintToken(secret: string, options: MintOptions): Promise<string> {
  if (secret.length < MIN_SECRET_LENGTH)
    throw new RangeError(`the secret must be at least ${MIN_SECRET_LENGTH} characters`);
  return loadJose().then(({ SignJWT }) => sign(SignJWT, secret, options));
}

function sign(SignJWT: typeof Jose.SignJWT, secret: string, options: MintOptions): Promise<string> {
  let jwt = new SignJWT({
    tether: { sub: [...(options.grants.sub ?? [])], act: [...(options.grants.act ?? [])] },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + Math.round(options.ttlSec));
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** `Authorization: Bearer <token>` → the token; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer +(\S+) *$/i.exec(header);
  return match?.[1];
}
