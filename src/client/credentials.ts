/**
 * The app's credential, asked for before every connection and every poll (`getToken`), never put
 * in a URL. One per client; it remembers the last answer so the client can refresh it on a live
 * connection before it expires.
 */
export type GetToken = () => string | null | undefined | Promise<string | null | undefined>;

export class Credentials {
  #current: string | undefined;
  /** The last token the server renewed over a live connection. */
  #renewed: string | undefined;

  private readonly getToken: GetToken;
  private readonly onRenewed: ((token: string) => void) | undefined;

  constructor(getToken: GetToken, onRenewed?: (token: string) => void) {
    this.getToken = getToken;
    this.onRenewed = onRenewed;
  }

  /**
   * The server renewed the token: it is used from now on instead of getToken's answer while it
   * outlives that answer (a login link opened later, with a newer token, still wins).
   */
  renewed(token: string): void {
    this.#renewed = token;
    this.#current = token;
    this.onRenewed?.(token);
  }

  /** The last token getToken gave (undefined before the first, or when it gave none). */
  get current(): string | undefined {
    return this.#current;
  }

  /** Calls getToken; synchronous when it is, so a sync token costs no extra task. Throws/rejects as it does. */
  next(): string | undefined | Promise<string | undefined> {
    const answer = this.getToken();
    if (answer !== null && typeof answer === 'object' && typeof answer.then === 'function') {
      return answer.then((token) => this.#remember(token));
    }
    return this.#remember(answer as string | null | undefined);
  }

  #remember(token: string | null | undefined): string | undefined {
    const given = token || undefined;
    const renewed = this.#renewed;
    const renewedLasts =
      renewed !== undefined && (tokenExpiry(renewed) ?? 0) > (tokenExpiry(given) ?? 0);
    this.#current = renewedLasts ? renewed : given;
    return this.#current;
  }
}

/**
 * When a JWT says it expires (ms since the epoch), read without verifying: only to know when to
 * ask for a fresh one. null for anything that is not a JWT with a numeric `exp`.
 */
export function tokenExpiry(token: string | undefined): number | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : null;
  } catch {
    return null;
  }
}
