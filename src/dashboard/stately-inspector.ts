import type { TetherClientOptions } from '../client/index.ts';

export const INSPECTOR_UNAVAILABLE =
  'The Stately inspector could not open (it needs internet and a pop-up); the State panel works offline.';

/** How long the inspector's window has to say it is connected before the page says it is not. */
export const INSPECTOR_CONNECT_MS = 15_000;

type Inspect = NonNullable<TetherClientOptions['inspect']>;

export interface InspectorDeps {
  /** Loads @statelyai/inspect and opens its window (a pop-up on stately.ai). */
  open: () => Promise<Inspect>;
  /** Where the inspector's window posts `@statelyai.connected`. */
  window: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  online: () => boolean;
  setTimeout: (run: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
}

/**
 * Starts the Stately inspector and calls `unavailable` once if it does not connect: offline, a
 * blocked pop-up or an unreachable stately.ai all look the same from here (no `connected`
 * message from its window). The dashboard runs on either way.
 */
export async function startInspector(
  deps: InspectorDeps,
  unavailable: (message: string) => void,
): Promise<Inspect | undefined> {
  if (!deps.online()) {
    unavailable(INSPECTOR_UNAVAILABLE);
    return undefined;
  }
  let inspect: Inspect;
  try {
    inspect = await deps.open();
  } catch (error) {
    console.warn('Tether: could not start the Stately inspector', error);
    unavailable(INSPECTOR_UNAVAILABLE);
    return undefined;
  }
  const connected = (event: MessageEvent) => {
    const data: unknown = event.data;
    if (typeof data !== 'object' || data === null) return;
    if ((data as { type?: unknown }).type !== '@statelyai.connected') return;
    deps.clearTimeout(timer);
    deps.window.removeEventListener('message', connected);
  };
  const timer = deps.setTimeout(() => {
    deps.window.removeEventListener('message', connected);
    unavailable(INSPECTOR_UNAVAILABLE);
  }, INSPECTOR_CONNECT_MS);
  deps.window.addEventListener('message', connected);
  return inspect;
}
