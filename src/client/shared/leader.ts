import { createTetherClient } from '../create-client.ts';
import type { LocalTetherClient, TetherClient, TetherClientOptions } from '../create-client.ts';
import { createSharedHub } from './hub.ts';
import type { GetToken } from '../credentials.ts';
import type { PortLike } from './messages.ts';
import { createTabClient } from './shared-client.ts';
import type { TabClientOptions } from './shared-client.ts';
import { browserTabPage, reattachablePage, watchTabLock } from './tab-page.ts';
import type { TabLocks, TabPage } from './tab-page.ts';
import { randomId } from '../random-id.ts';
import { canSeal, newOpeningKey, open, seal } from './sealed-token.ts';
import type { Sealed } from './sealed-token.ts';

/**
 * Cross-tab sharing where SharedWorker is missing: the tabs elect a leader with a Web Lock; the
 * leader runs the shared hub (and so the one real client) and every tab, the leader included,
 * talks to it over a BroadcastChannel. When the leader goes, the lock passes to another tab,
 * which starts a hub and tells the tabs; they attach again with the topics they hold. Tokens
 * cross the channel only sealed for the leader (sealed-token.ts).
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
  /**
   * Whether tabs may hand the leader their token, sealed (WebCrypto, so a secure context). Without
   * it no token crosses the channel: the leader connects with its own tab's token only.
   */
  sealTokens?: boolean;
  /** Builds the leader's real client (createTetherClient in a browser). */
  createClient?(options: TetherClientOptions): LocalTetherClient;
}

/** What travels on the channel: to the hub, to one endpoint, or to all (a new leader). */
type Envelope = { to: string; from: string; data: unknown } | { to: '*'; leader: string };
const HUB = 'hub';

/** Rewrites what a port sends or hears (sealing and opening tokens); `pass` goes on with it. */
type Filter = (data: unknown, pass: (data: unknown) => void) => void;
const through: Filter = (data, pass) => pass(data);

/** A PortLike over a broadcast channel: sends to `peer`, hears what is addressed to `self`. */
function channelPort(
  channel: ChannelLike,
  self: string,
  peer: string,
  onClose: () => void = () => {},
  filters: { send?: Filter; hear?: Filter } = {},
): PortLike & { deliver(data: unknown): void } {
  const listeners = new Set<(event: { data: unknown }) => void>();
  const { send = through, hear = through } = filters;
  return {
    postMessage: (message) =>
      send(message, (data) =>
        channel.postMessage({ to: peer, from: self, data } satisfies Envelope),
      ),
    addEventListener: (_type, listener) => void listeners.add(listener),
    removeEventListener: (_type, listener) => void listeners.delete(listener),
    close: () => {
      listeners.clear();
      onClose();
    },
    deliver: (message) =>
      hear(message, (data) => {
        for (const listener of [...listeners]) listener({ data });
      }),
  };
}

type TokenMessage = { type: 'token'; request: number; token?: string; sealed?: Sealed };
type TokenRequest = { type: 'token?'; request: number; key?: JsonWebKey };
const isType = <M extends { type: string }>(data: unknown, type: M['type']): data is M =>
  typeof data === 'object' && data !== null && (data as { type?: unknown }).type === type;

/**
 * The leader's side: each `token?` carries the leader's public key; an answer counts only sealed
 * for it (a token in the clear, from a page that is not one of ours, is taken as no token).
 */
function leaderFilters(opening: { publicKey: JsonWebKey; privateKey: CryptoKey } | null) {
  return {
    send: ((data, pass) =>
      pass(
        isType<TokenRequest>(data, 'token?') && opening
          ? { ...data, key: opening.publicKey }
          : data,
      )) satisfies Filter,
    hear: ((data, pass) => {
      if (!isType<TokenMessage>(data, 'token')) return pass(data);
      const { request, sealed } = data;
      if (!sealed || !opening) return pass({ type: 'token', request, token: undefined });
      void open(sealed, opening.privateKey).then((token) =>
        pass({ type: 'token', request, token }),
      );
    }) satisfies Filter,
  };
}

/** A tab's side: its answer to `token?` leaves only sealed for the key that came with the request. */
function tabFilters() {
  const keys = new Map<number, JsonWebKey>();
  return {
    hear: ((data, pass) => {
      if (isType<TokenRequest>(data, 'token?') && data.key) keys.set(data.request, data.key);
      pass(data);
    }) satisfies Filter,
    send: ((data, pass) => {
      if (!isType<TokenMessage>(data, 'token')) return pass(data);
      const { request, token } = data;
      const key = keys.get(request);
      keys.delete(request);
      if (!token || !key) return pass({ type: 'token', request });
      void seal(token, key).then(
        (sealed) => pass({ type: 'token', request, sealed }),
        () => pass({ type: 'token', request }),
      );
    }) satisfies Filter,
  };
}

/** Runs the hub while this tab holds the leader lock; returns the stop. */
function runForLeadership(
  name: string,
  env: LeaderEnvironment,
  self: string,
  ownToken: GetToken,
  ownRenewal: ((token: string) => void) | undefined,
): () => void {
  let endTenure = () => {};
  const tenure = new Promise<void>((resolve) => (endTenure = resolve));
  let resigned = false;
  let stopHub = () => {};
  void env.locks
    .request(`tether.leader.${name}`, async () => {
      if (resigned) return; // stopped while waiting in line: pass the lock on
      const opening = env.sealTokens ? await newOpeningKey().catch(() => null) : null;
      if (resigned) return;
      const channel = env.openChannel(name);
      const ports = new Map<string, ReturnType<typeof channelPort>>();
      const hub = createSharedHub({
        // The first tab's config, as in the SharedWorker; the credential comes from the tabs.
        // The leader tab's own token first, without the channel; then the tabs', sealed. A renewed
        // token stays in this tab: the channel carries no token in the clear.
        createClient: (config, askTabs) =>
          (env.createClient ?? createTetherClient)({
            ...config,
            getToken: async () => (await ownToken()) || (await askTabs()),
            ...(ownRenewal && { onTokenRenewed: ownRenewal }),
          }),
        watchTab: (tab, gone) => watchTabLock(env.locks, tab, gone),
      });
      const onMessage = ({ data }: { data: unknown }) => {
        const envelope = data as Envelope;
        if (envelope.to !== HUB || !('from' in envelope)) return;
        let port = ports.get(envelope.from);
        if (!port) {
          const from = envelope.from;
          port = channelPort(channel, HUB, from, () => ports.delete(from), leaderFilters(opening));
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

  const ownToken: GetToken = clientOptions.getToken ?? (() => clientOptions.token);
  const ownRenewal = clientOptions.onTokenRenewed;
  let resign = runForLeadership(name, env, self, ownToken, ownRenewal);
  const tab = createTabClient({
    ...clientOptions,
    page,
    locks: env.locks,
    connect: () => {
      const id = randomId();
      endpoint = { id, port: channelPort(channel, id, HUB, undefined, tabFilters()) };
      return endpoint.port;
    },
  });
  // A leader that unloads hands over at once; back from the back/forward cache, it stands again.
  const stopLeaderPage = env.page?.listen({
    check: () => {},
    hide: () => resign(),
    show: () => {
      resign = runForLeadership(name, env, self, ownToken, ownRenewal);
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
    sealTokens: canSeal(),
  };
}
