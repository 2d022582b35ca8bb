/** A polling client counts as connected for this long after its last poll. */
export const POLL_CLIENT_TTL_MS = 30_000;
/** Ids are client-chosen, so the table is bounded: beyond this the oldest are forgotten. */
const MAX_TRACKED = 10_000;

/** Distinct `client=<id>` values seen on /api/poll within the last 30 s. */
export class PollClients {
  // Map iteration order is insertion order; re-inserting on every poll keeps it oldest-first.
  readonly #lastSeen = new Map<string, number>();

  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  seen(id: string): void {
    this.#lastSeen.delete(id);
    this.#lastSeen.set(id, this.now());
    if (this.#lastSeen.size > MAX_TRACKED)
      this.#lastSeen.delete(this.#lastSeen.keys().next().value as string);
  }

  count(): number {
    const cutoff = this.now() - POLL_CLIENT_TTL_MS;
    for (const [id, at] of this.#lastSeen) {
      if (at > cutoff) break;
      this.#lastSeen.delete(id);
    }
    return this.#lastSeen.size;
  }
}
