/**
 * Signs a viewer token with the server's HS256 secret (docs/security.md):
 *
 *   TETHER_JWT_SECRET=… npx tsx server/mint-token.ts --subject alice --sub 'host.*' --sub 'alerts.*' --act alerts.thresholds --ttl 8h
 *
 * Prints the token on stdout (nothing else), so it can be captured: TOKEN=$(…). Issuer and
 * audience come from TETHER_JWT_ISSUER / TETHER_JWT_AUDIENCE, as the server reads them.
 */
import { parseArgs } from 'node:util';
import { mintToken } from './auth.ts';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function main(): Promise<void> | void {
  const { values } = parseArgs({
    options: {
      subject: { type: 'string', default: 'local' },
      sub: { type: 'string', multiple: true, default: [] },
      act: { type: 'string', multiple: true, default: [] },
      ttl: { type: 'string', default: '12h' },
    },
  });
  const secret = process.env.TETHER_JWT_SECRET;
  if (!secret) return fail("set TETHER_JWT_SECRET to the server's secret");
  const ttl = /^(\d+)([smhd])$/.exec(values.ttl);
  if (!ttl) return fail('--ttl is a number with s, m, h or d, e.g. 8h');
  return mintToken(secret, {
    subject: values.subject,
    grants: { sub: values.sub, act: values.act },
    ttlSec: Number(ttl[1]) * UNITS[ttl[2]!]!,
    issuer: process.env.TETHER_JWT_ISSUER || undefined,
    audience: process.env.TETHER_JWT_AUDIENCE || undefined,
  }).then(
    (token) => void process.stdout.write(`${token}\n`),
    (error: unknown) => fail(error instanceof Error ? error.message : String(error)),
  );
}

function fail(message: string): void {
  console.error(`mint-token: ${message}`);
  process.exitCode = 2;
}

void main();
