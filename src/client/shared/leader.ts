import { createTetherClient } from '../create-client.ts';
import type { LocalTetherClient, TetherClient, TetherClientOptions } from '../create-client.ts';
import { createSharedHub } from './hub.ts';
import type { PortLike } from './messages.ts';
import { createTabClient } from './shared-client.ts';
import type { TabClientOptions } from './shared-client.ts';
import { browserTabPage, reattachablePage, watchTabLock } from './tab-page.ts';
import type { TabLocks, TabPage } from './tab-page.ts';
import { randomId } from '../random-id.ts';

/**
 * Cross-tab sharing where SharedWorker is missing: the tabs elect a leader with a Web Lock; the
 * leader runs the shared hub (and so the one real client) and every tab, the leader included,
 * talks to it over a BroadcastChannel. When the leader goes, the lock passes to another tab,
 * which starts a hub and tells the tabs; they attach again with the topics they hold.
 */

export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export interface LeaderEnvironment {
  openChannel(name: string): ChannelLike;
  locks: TabLocks;
  page: TabPage | null;
  /** Builds the leader's real client (createTetherClient in a browser). */
  createClient?(options: TetherClientOptions): LocalTetherClient;
}

/** What travels on the channel: to the hub, to one endpoint, or to all (a new leader). */
type Envelope = { to: string; from: string; data: unknown } | { to: '*'; leader: string };
const HUB = 'hub';

/** A PortLike over a broadcast channel: sends to `peer`, hears what is addressed to `self`. */
function channelPort(
  channel: ChannelLike,
  self: string,
  peer: string,
  onClose: () => void = () => {},
): PortLike & { deliver(data: unknown): void } {
  const listeners = new Set<(event: { data: unknown }) => void>();
  return {
    postMessage: (data) => channel.postMessage({ to: peer, from: self, data } satisfies Envelope),
    addEventListener: (_type, listener) => void listeners.add(listener),
    removeEventListener: (_type, listener) => void listeners.delete(listener),
    close: () => {
      listeners.clear();
      onClose();
    },
    deliver: (data) => {
      for (const listener of [...listeners]) listener({ data });
    },
  };
}

/** Runs the hub while this tab holds the leader lock; returns the stop. */
function runForLeadership(name: string, env: LeaderEnvironment, self: string): () => void {
  let endTenure = () => {};
  const tenure = new Promise<void>((resolve) => (endTenure = resolve));
  let resigned = false;
  let stopHub = () => {};
  void env.locks
    .request(`tether.leader.${name}`, async () => {
      if (resigned) return; // stopped while waiting in line: pass the lock on
      const channel = env.openChannel(name);
      const ports = new Map<string, ReturnType<typeof channelPort>>();
      const hub = createSharedHub({
        // The first tab's config, as in the SharedWorker; the credential comes from the tabs.
        createClient: (config, getToken) =>
          (env.createClient ?? createTetherClient)({ ...config, getToken }),
        watchTab: (tab, gone) => watchTabLock(env.locks, tab, gone),
      });
      const onMessage = ({ data }: { data: unknown }) => {
        const envelope = data as Envelope;
        if (envelope.to !== HUB || !('from' in envelope)) return;
        let port = ports.get(envelope.from);
        if (!port) {
          const from = envelope.from;
          port = channelPort(channel, HUB, from, () => ports.delete(from));
          ports.set(from, port);
          hub.connect(port);
        }
        port.deliver(envelope.data);
      };
      channel.addEventListener('message', onMessage);
      stopHub = () => {
        hub.stop();
        channel.removeEventListener('message', onMessage);
        channel.close();
      };
      channel.postMessage({ to: '*', leader: self } satisfies Envelope);
      await tenure;
      stopHub();
    })
    .catch(() => undefined);
  return () => {
    resigned = true;
    stopHub();
    endTenure();
  };
}

export function createLeaderElectedClient(
  options: Omit<TabClientOptions, 'connect' | 'page'> & { name: string },
  env: LeaderEnvironment,
): TetherClient {
  const { name, ...clientOptions } = options;
  const self = randomId();
  const channel = env.openChannel(name);
  let endpoint: { id: string; port: ReturnType<typeof channelPort> } | null = null;
  // A new leader knows no one: the tab attaches again (a fresh endpoint) with the topics it holds.
  const { page, reattach } = reattachablePage(env.page);

  const onMessage = ({ data }: { data: unknown }) => {
    const envelope = data as Envelope;
    if ('leader' in envelope) return reattach();
    if (endpoint && envelope.to === endpoint.id) endpoint.port.deliver(envelope.data);
  };
  channel.addEventListener('message', onMessage);

  let resign = runForLeadership(name, env, self);
  const tab = createTabClient({
    ...clientOptions,
    page,
    locks: env.locks,
    connect: () => {
      const id = randomId();
      endpoint = { id, port: channelPort(channel, id, HUB) };
      return endpoint.port;
    },
  });
  // A leader that unloads hands over at once; back from the back/forward cache, it stands again.
  const stopLeaderPage = env.page?.listen({
    check: () => {},
    hide: () => resign(),
    show: () => {
      resign = runForLeadership(name, env, self);
    },
  });

  return {
    ...tab,
    stop() {
      tab.stop();
      stopLeaderPage?.();
      resign();
      channel.removeEventListener('message', onMessage);
      channel.close();
    },
  };
}

/** The browser's BroadcastChannel and Web Locks, or null where either is missing. */
export function browserLeaderEnvironment(): LeaderEnvironment | null {
  const locks = globalThis.navigator?.locks;
  if (typeof BroadcastChannel === 'undefined' || !locks) return null;
  return {
    openChannel: (name) => new BroadcastChannel(`tether.${name}`),
    locks,
    page: browserTabPage(),
  };
}
