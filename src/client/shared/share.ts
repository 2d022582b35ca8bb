import { createTetherClient } from '../create-client.ts';
import type { TetherClient } from '../create-client.ts';
import type { GetToken } from '../credentials.ts';
import { persistOutbox } from '../outbox-store.ts';
import type { OutboxStore } from '../outbox-store.ts';
import { createSharedHub } from './hub.ts';
import type { SharedHub } from './hub.ts';
import { browserLeaderEnvironment, createLeaderElectedClient } from './leader.ts';
import type { PortLike, SharedConfig } from './messages.ts';
import { createTabClient } from './shared-client.ts';
import { browserTabPage, reattachablePage } from './tab-page.ts';

export interface SharedClientOptions extends Omit<SharedConfig, 'url'> {
  /** http(s) base URL of the server. Default `location.origin`. */
  url?: string;
  getToken?: GetToken;
  token?: string;
  /** The server renewed the token over the live connection: keep it where getToken reads. */
  onTokenRenewed?: (token: string) => void;
  /** Tabs share a worker only under the same name (and origin). Default `'tether'`. */
  name?: string;
  /** Keeps this tab's queued actions across reloads and closed tabs, as in createTetherClient. */
  outboxStore?: OutboxStore;
}

/**
 * One connection for every tab of this origin: the client runs in a SharedWorker and each tab
 * gets a TetherClient whose `actor` and refs are null and whose views mirror the worker's
 * (docs/cross-tab.md). Where SharedWorker is missing (Chrome on Android, for one), the tabs elect a
 * leader that runs it (Web Locks) and talk to it over a BroadcastChannel; where those are
 * missing too, the client runs in this tab as usual.
 *
 * The worker script is emitted by the bundler from the `new SharedWorker(new URL(…))` below
 * (Vite and webpack 5 both do); hence an opt-in, not the default of createTetherClient.
 */
export function createSharedTetherClient(options: SharedClientOptions = {}): TetherClient {
  const { outboxStore, ...shared } = options;
  // Kept by the tab that sent the actions (a worker has no page to reload), so it sees their answers.
  const client = sharedClient(shared);
  return outboxStore ? persistOutbox(client, outboxStore) : client;
}

function sharedClient(options: Omit<SharedClientOptions, 'outboxStore'>): TetherClient {
  const { name = 'tether', ...rest } = options;
  if (typeof SharedWorker === 'undefined') {
    const leaderEnvironment = browserLeaderEnvironment();
    return leaderEnvironment
      ? createLeaderElectedClient({ ...rest, name }, leaderEnvironment)
      : createTetherClient(rest);
  }
  // A worker that cannot start (its script missing after a deploy, a CSP without worker-src)
  // reports an error, or throws, or says nothing at all to one of the tabs that asked for it
  // (Chromium, two tabs opening together: tests/e2e/cross-tab.test.ts failed that way about one
  // run in four). The hub then moves into this tab, unshared, rather than the tab waiting for
  // views that never come. A worker that started answers `attach` at once.
  let localHub: SharedHub | null = null;
  const { page, reattach } = reattachablePage(browserTabPage());
  const moveHere = () => {
    console.warn('Tether: the shared worker did not start; this tab connects by itself');
    localHub = createSharedHub({
      createClient: (config, getToken, onTokenRenewed) =>
        createTetherClient({ ...config, getToken, onTokenRenewed }),
    });
    return localHub;
  };
  const tab = createTabClient({
    ...rest,
    page,
    connect: () => {
      if (localHub) return portTo(localHub);
      let worker: SharedWorker;
      try {
        worker = new SharedWorker(new URL('./worker.ts', import.meta.url), {
          type: 'module',
          name,
        });
      } catch {
        return portTo(moveHere());
      }
      const giveUp = () => {
        clearTimeout(silent);
        if (localHub) return;
        moveHere();
        reattach();
      };
      const silent = setTimeout(giveUp, WORKER_START_MS);
      worker.port.addEventListener('message', () => clearTimeout(silent), { once: true });
      worker.addEventListener('error', giveUp);
      return worker.port;
    },
  });
  return {
    ...tab,
    stop() {
      tab.stop();
      localHub?.stop();
    },
  };
}

/** How long a worker may take to answer before this tab stops waiting for it. */
const WORKER_START_MS = 4_000;

/** A port to a hub running in this tab. */
function portTo(hub: SharedHub): PortLike {
  const channel = new MessageChannel();
  hub.connect(channel.port2);
  return channel.port1;
}
