/**
 * Per-connection guards against floods. Both take the current time as an argument so tests can
 * drive them without a clock.
 */

/** Allows `ratePerSec` frames per second on average with bursts of up to `burst`. */
export class TokenBucket {
  #tokens: number;
  #last: number;

  readonly ratePerSec: number;
  readonly burst: number;

  constructor(ratePerSec: number, burst: number, now: number) {
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.#last);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSec) / 1000);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Counts events in a sliding window; `hit` says whether the limit has been reached. */
export class WindowCounter {
  readonly #times: number[] = [];

  readonly max: number;
  readonly windowMs: number;

  constructor(max: number, windowMs: number) {
    this.max = max;
    this.windowMs = windowMs;
  }

  hit(now: number): boolean {
    this.#times.push(now);
    while (this.#times.length > 0 && this.#times[0]! <= now - this.windowMs) this.#times.shift();
    return this.#times.length >= this.max;
  }
}

/**
 * What one topic may hold. Every change (a publish, an action's ops, a `data` replacement) is
 * measured against these before it is committed, so an accepted state can always be encoded: a
 * value nested thousands of levels deep overflows the stack of JSON.stringify and of every
 * recursive consumer, and an unbounded state or history grows until memory runs out.
 */
export interface TopicLimits {
  /** Containers (objects, arrays) nested inside one another, counted from the root. */
  maxDepth: number;
  /** The state as JSON text, in bytes. */
  maxStateBytes: number;
  /** The patch frames kept for resuming subscribers, in bytes (the oldest are dropped first). */
  maxHistoryBytes: number;
}

export const DEFAULT_TOPIC_LIMITS: Readonly<TopicLimits> = {
  maxDepth: 64,
  maxStateBytes: 1024 * 1024,
  maxHistoryBytes: 8 * 1024 * 1024,
};

/** The defaults with whatever `partial` sets (an undefined entry keeps its default). */
export function resolveTopicLimits(partial: Partial<TopicLimits> = {}): TopicLimits {
  return {
    maxDepth: partial.maxDepth ?? DEFAULT_TOPIC_LIMITS.maxDepth,
    maxStateBytes: partial.maxStateBytes ?? DEFAULT_TOPIC_LIMITS.maxStateBytes,
    maxHistoryBytes: partial.maxHistoryBytes ?? DEFAULT_TOPIC_LIMITS.maxHistoryBytes,
  };
}

export type Measured =
  { ok: true; depth: number; bytes: number } | { ok: false; code: 'too_deep' | 'too_large' };

/**
 * The nesting depth and the JSON size of `value`, walked without recursion (so any depth is safe
 * to measure) and abandoned as soon as it passes `maxDepth` or `maxBytes`. The size counts what
 * JSON.stringify writes, except escapes inside strings, which it counts as one byte per character.
 */
export function measureJson(value: unknown, maxDepth: number, maxBytes: number): Measured {
  let bytes = 0;
  let depth = 0;
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    let current = item.value;
    if (
      typeof current === 'object' &&
      current !== null &&
      typeof (current as { toJSON?: unknown }).toJSON === 'function'
    )
      current = (current as { toJSON: () => unknown }).toJSON();
    if (typeof current === 'string') bytes += Buffer.byteLength(current) + 2;
    else if (typeof current === 'number')
      bytes += Number.isFinite(current) ? String(current).length : 4;
    else if (typeof current === 'boolean') bytes += current ? 4 : 5;
    else if (current === null) bytes += 4;
    else if (typeof current === 'object') {
      const level = item.depth + 1;
      if (level > maxDepth) return { ok: false, code: 'too_deep' };
      if (level > depth) depth = level;
      bytes += 2;
      if (Array.isArray(current)) {
        bytes += Math.max(0, current.length - 1);
        for (let i = current.length - 1; i >= 0; i--)
          stack.push({ value: current[i], depth: level });
      } else {
        let members = 0;
        for (const key in current) {
          if (!Object.prototype.hasOwnProperty.call(current, key)) continue;
          const member = (current as Record<string, unknown>)[key];
          if (member === undefined || typeof member === 'function') continue;
          bytes += Buffer.byteLength(key) + 3 + (members++ > 0 ? 1 : 0);
          stack.push({ value: member, depth: level });
        }
      }
    }
    if (bytes > maxBytes) return { ok: false, code: 'too_large' };
  }
  return { ok: true, depth, bytes };
}

/** How many containers a JSON pointer walks into (`''` none, `/a/b` two). */
export function pointerDepth(pointer: string): number {
  let count = 0;
  for (let i = 0; i < pointer.length; i++) if (pointer.charCodeAt(i) === 47 /* '/' */) count++;
  return count;
}

/** The value a JSON pointer names in `doc`, or undefined when it names nothing. */
export function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let current = doc;
  for (const raw of pointer.slice(1).split('/')) {
    if (typeof current !== 'object' || current === null) return undefined;
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!Object.prototype.hasOwnProperty.call(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** A refusal as an error or nack carries it: the code and a sentence naming the limit. */
export function limitMessage(code: 'too_deep' | 'too_large', limits: TopicLimits): string {
  return code === 'too_deep'
    ? `values may nest at most ${limits.maxDepth} levels deep`
    : `a topic's state may hold at most ${limits.maxStateBytes} bytes`;
}

/**
 * Measures a requested change (RFC 6902 `ops`, or the next state `data`) before anything is
 * applied or diffed: each op's value at the depth its path puts it, `data` from the root. Null
 * when it fits; the state as a whole is checked again when the change is committed.
 */
export function checkChange(
  change: { ops?: readonly { op: string; path: string; value?: unknown }[]; data?: unknown },
  limits: TopicLimits,
): { code: 'too_deep' | 'too_large'; message: string } | null {
  const values = change.ops
    ? change.ops.map((op) => ({ value: op.value, at: pointerDepth(op.path) }))
    : [{ value: change.data, at: 0 }];
  for (const { value, at } of values) {
    const measured = measureJson(value, limits.maxDepth - at, limits.maxStateBytes);
    if (!measured.ok) return { code: measured.code, message: limitMessage(measured.code, limits) };
  }
  return null;
}
