/** How long to wait before a retry. `minMs` is a floor (0 = plain full jitter). */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  minMs?: number;
}

/**
 * Full jitter (AWS "Exponential Backoff and Jitter"): a uniform draw below the exponential
 * ceiling, so clients that lost the same server do not come back in lockstep.
 * `attempt` counts from 0. With `minMs` the draw is taken above the floor instead, which the
 * WebSocket probe uses so that fallback polling is not interrupted more often than every `minMs`.
 */
export function backoffDelay(
  attempt: number,
  { baseMs, capMs, minMs = 0 }: BackoffOptions,
  random: () => number,
): number {
  // 2 ** attempt overflows to Infinity for large attempts; Math.min keeps the cap in charge.
  const ceiling = Math.max(minMs, Math.min(capMs, baseMs * 2 ** Math.max(0, attempt)));
  return Math.round(minMs + random() * (ceiling - minMs));
}
