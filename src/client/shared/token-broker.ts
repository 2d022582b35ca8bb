import type { PortLike } from './messages.ts';

/** How long the hub waits for the tabs to answer a token request. */
export const TOKEN_TIMEOUT_MS = 5_000;

/**
 * The shared client's `getToken`: the credential lives in the tabs (the login link puts it in
 * one tab's storage), so the hub asks every tab and takes the first token given. Resolves
 * undefined when every tab answered without one, or none answered in time.
 */
export class TokenBroker {
  #next = 0;
  readonly #requests = new Map<
    number,
    { waiting: Set<PortLike>; resolve: (token: string | undefined) => void }
  >();

  private readonly ports: () => PortLike[];
  private readonly timeoutMs: number;

  constructor(ports: () => PortLike[], timeoutMs = TOKEN_TIMEOUT_MS) {
    this.ports = ports;
    this.timeoutMs = timeoutMs;
  }

  ask(): Promise<string | undefined> {
    const ports = this.ports();
    if (ports.length === 0) return Promise.resolve(undefined);
    const request = ++this.#next;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      const finish = (token: string | undefined) => {
        clearTimeout(timer);
        this.#requests.delete(request);
        resolve(token);
      };
      this.#requests.set(request, { waiting: new Set(ports), resolve: finish });
      for (const port of ports) port.postMessage({ type: 'token?', request });
    });
  }

  answer(port: PortLike, request: number, token: string | undefined): void {
    const pending = this.#requests.get(request);
    if (!pending || !pending.waiting.delete(port)) return;
    if (token) pending.resolve(token);
    else if (pending.waiting.size === 0) pending.resolve(undefined);
  }

  /** A tab that went away will not answer. */
  forget(port: PortLike): void {
    for (const pending of [...this.#requests.values()]) {
      if (pending.waiting.delete(port) && pending.waiting.size === 0) pending.resolve(undefined);
    }
  }
}
