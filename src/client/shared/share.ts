import { createTetherClient } from '../create-client.ts';
import type { TetherClient } from '../create-client.ts';
import type { GetToken } from '../credentials.ts';
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
  /** Tabs share a worker only under the same name (and origin). Default `'tether'`. */
  name?: string;
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
  const { name = 'tether', ...rest } = options;
  if (typeof SharedWorker === 'undefined') {
    const leaderEnvironment = browserLeaderEnvironment();
    return leaderEnvironment ? createLeaderElectedClient({ ...rest, name }, leaderEnvironment) : createTetherClient(rest);
  }
  // A worker that cannot start (its script missing after a deploy, a CSP without worker-src)
  // reports an error and nothing else: the hub moves into this tab, unshared, rather than the
  // tab waiting for views that never come.
  let localHub: SharedHub | null = null;
  const { page, reattach } = reattachablePage(browserTabPage());
  const tab = createTabClient({
    ...rest,
    page,
    connect: () => {
      if (localHub) return portTo(localHub);
      const worker = new SharedWorker(new URL('./worker.ts', import.meta.url), { type: 'module', name });
      worker.addEventListener('error', () => {
        if (localHub) return;
        console.warn('Tether: the shared worker did not start; this tab connects by itself');
        localHub = createSharedHub({ createClient: (config, getToken) => createTetherClient({ ...config, getToken }) });
        reattach();
      });
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

/** A port to a hub running in this tab. */
function portTo(hub: SharedHub): PortLike {
  const channel = new MessageChannel();
  hub.connect(channel.port2);
  return channel.port1;
}
