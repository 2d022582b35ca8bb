/**
 * Topic permissions carried by a token: `{ "tether": { "sub": ["host.*"], "act": ["alerts.thresholds"] } }`.
 * `sub` lists the topics a connection may subscribe to (WebSocket and polling), `act` the topics it
 * may send actions to. Patterns are topic names where `*` stands for any run of characters, dots
 * included (`host.*` matches `host.cpu` and `host.disk.sda`; `*` matches every topic). A token
 * without the claim may do nothing.
 */
export interface TopicGrants {
  sub?: readonly string[];
  act?: readonly string[];
}

export interface CompiledGrants {
  canSubscribe(topic: string): boolean;
  canAct(topic: string): boolean;
}

const MAX_PATTERNS = 256;
const PATTERN = /^[A-Za-z0-9*][\w.:/*-]{0,127}$/;

/** Throws (with a reason) on a malformed claim; undefined or null grants nothing. */
export function compileGrants(grants: unknown): CompiledGrants {
  if (grants === undefined || grants === null)
    return { canSubscribe: () => false, canAct: () => false };
  if (typeof grants !== 'object' || Array.isArray(grants))
    throw new TypeError('"tether" must be an object { sub, act }');
  const { sub, act } = grants as Record<string, unknown>;
  const canSubscribe = matcher(sub, 'sub');
  const canAct = matcher(act, 'act');
  return { canSubscribe, canAct };
}

function matcher(patterns: unknown, name: string): (topic: string) => boolean {
  if (patterns === undefined) return () => false;
  if (!Array.isArray(patterns) || patterns.length > MAX_PATTERNS)
    throw new TypeError(
      `"tether.${name}" must be a list of at most ${MAX_PATTERNS} topic patterns`,
    );
  if (patterns.includes('*')) return () => true;
  const exact = new Set<string>();
  const globs: RegExp[] = [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || !PATTERN.test(pattern))
      throw new TypeError(
        `"tether.${name}" has an invalid pattern ${JSON.stringify(pattern).slice(0, 140)}`,
      );
    if (pattern.includes('*')) globs.push(globToRegExp(pattern));
    else exact.add(pattern);
  }
  return (topic) => exact.has(topic) || globs.some((glob) => glob.test(topic));
}

export function globToRegExp(pattern: string): RegExp {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`);
}
