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
/** Stars per pattern: enough for any real naming scheme, and a bound on matching work. */
export const MAX_STARS = 8;
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
  const globs: ((topic: string) => boolean)[] = [];
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || !PATTERN.test(pattern))
      throw new TypeError(
        `"tether.${name}" has an invalid pattern ${JSON.stringify(pattern).slice(0, 140)}`,
      );
    const stars = pattern.split('*').length - 1;
    if (stars > MAX_STARS)
      throw new TypeError(
        `"tether.${name}" pattern ${JSON.stringify(pattern)} has more than ${MAX_STARS} stars`,
      );
    if (stars > 0) globs.push(globMatcher(pattern));
    else exact.add(pattern);
  }
  return (topic) => exact.has(topic) || globs.some((glob) => glob(topic));
}

/**
 * A `*` glob as a matcher without backtracking: the text before the first star must start the
 * name, the text after the last star must end it, and the pieces between are found left to right,
 * each at its earliest place after the previous one. Taking the earliest place never loses a match
 * (it leaves the most room for what follows), so one pass over the name decides.
 */
export function globMatcher(pattern: string): (topic: string) => boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return (topic) => topic === pattern;
  const head = parts[0]!;
  const tail = parts.at(-1)!;
  const middle = parts.slice(1, -1).filter(Boolean);
  return (topic) => {
    if (topic.length < head.length + tail.length) return false;
    if (!topic.startsWith(head) || !topic.endsWith(tail)) return false;
    let at = head.length;
    const end = topic.length - tail.length;
    for (const part of middle) {
      const found = topic.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}
