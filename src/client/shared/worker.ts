/**
 * The SharedWorker every tab of an origin connects to (started by share.ts): one real Tether
 * client, one WebSocket, for all of them. Its statechart runs here, with the worker's own
 * connectivity events and a wake detector; the tabs forward visibility and pagehide.
 */
import { createTetherClient } from '../create-client.ts';
import { DEFAULT_WAKE } from '../page-lifecycle.ts';
import { createSharedHub } from './hub.ts';
import type { PortLike } from './messages.ts';
import { watchTabLock } from './tab-page.ts';

interface SharedWorkerScope {
  addEventListener(
    type: 'connect',
    listener: (event: { ports: readonly PortLike[] }) => void,
  ): void;
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}
const scope = globalThis as unknown as SharedWorkerScope;
const locks = globalThis.navigator?.locks ?? null;

const hub = createSharedHub({
  createClient: (config, getToken, onTokenRenewed) =>
    createTetherClient({
      ...config,
      getToken,
      onTokenRenewed,
      network: { target: scope, isOnline: () => globalThis.navigator?.onLine ?? true },
      // No page here: no visibility or unload, but a sleeping machine stops workers too.
      page: {
        window: null,
        document: null,
        wake: DEFAULT_WAKE,
        now: Date.now,
        setInterval: (run, ms) => setInterval(run, ms),
        clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
      },
    }),
  watchTab: locks ? (tab, gone) => watchTabLock(locks, tab, gone) : undefined,
});

// A handle for DevTools (the shared worker's console) and end-to-end tests: `tetherHub.tabCount`, `tetherHub.topics`.
Object.assign(globalThis, { tetherHub: hub });

scope.addEventListener('connect', (event) => {
  const port = event.ports[0];
  if (port) hub.connect(port);
});
