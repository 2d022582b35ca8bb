import { REFUSED_KEPT } from '../../../machines/refusals.ts';
import { foldFrames } from '../../../machines/sequence.ts';
import type { TopicPosition } from '../../../machines/sequence.ts';
import { actionRequest } from '../action-request.ts';
import { decodedFrameDrafts } from '../frame-drafts.ts';
import type { TetherClient, TopicHold } from '../create-client.ts';
import type { GetToken } from '../credentials.ts';
import type { ConnectionView, OutboxView, SubscriptionView } from '../view-types.ts';
import type { HubMessage, PortLike, SharedConfig, TabMessage } from './messages.ts';
import { mirrorView } from './mirror-view.ts';
import type { MirrorView } from './mirror-view.ts';
import { browserTabPage, holdTabLock } from './tab-page.ts';
import type { TabLocks, TabPage } from './tab-page.ts';
import { randomId } from '../random-id.ts';

export interface TabClientOptions extends Omit<SharedConfig, 'url'> {
  /** http(s) base URL of the server. Default `location.origin`. */
  url?: string;
  /** Asked when the shared client needs a credential; the token goes to the hub, never in a URL. */
  getToken?: GetToken;
  token?: string;
  /** The server renewed the token over the hub's connection: keep it where getToken reads. */
  onTokenRenewed?: (token: string) => void;
  /** Opens a port to the hub (the SharedWorker's port, or a leader channel). */
  connect(): PortLike;
  generateId?: () => string;
  /** Default: this page's window and document; `false` ignores visibility, online and pagehide. */
  page?: TabPage | false;
  /** Held for the tab's life so the hub notices a crashed tab. Default `navigator.locks`; null: none. */
  locks?: TabLocks | null;
}

/** Until the hub's first view arrives (a message away): the tab is on its way to a connection. */
const INITIAL_CONNECTION: ConnectionView = {
  status: 'connecting',
  transport: null,
  attempt: 0,
  maxAttempts: 0,
  nextRetryAt: null,
  nextPollAt: null,
  lastHeardAt: null,
  latencyMs: null,
  lastError: null,
  statePath: 'attaching',
};
const CLOSED_CONNECTION: ConnectionView = {
  ...INITIAL_CONNECTION,
  status: 'closed',
  statePath: 'closed',
};

const pendingTopic = (topic: string): SubscriptionView => ({
  topic,
  status: 'pending',
  data: undefined,
  epoch: null,
  seq: null,
  updatedAt: null,
  staleSince: null,
  error: null,
  statePath: 'pending',
});

const defaultId = randomId;

/**
 * A tab's side of cross-tab sharing: a TetherClient whose statecharts run in the hub (`actor` and
 * every `ref` are null) and whose views mirror the views the hub posts. Holders of a topic are
 * counted here, so the hub sees one subscription per tab; visibility and `online` ask the hub
 * to check the link, `pagehide` releases everything this tab held.
 */
export function createTabClient(options: TabClientOptions): TetherClient {
  const url = (options.url ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new Error('createTabClient: `url` must be an http(s) URL');
  const {
    connect: _connect,
    getToken,
    token,
    onTokenRenewed,
    generateId = defaultId,
    page: _page,
    locks: _locks,
    ...rest
  } = options;
  const config: SharedConfig = { ...rest, url };
  const answerToken: GetToken = getToken ?? (() => token);
  const page = options.page === false ? null : (options.page ?? browserTabPage());
  const locks = options.locks === undefined ? (globalThis.navigator?.locks ?? null) : options.locks;

  const connection = mirrorView<ConnectionView>(INITIAL_CONNECTION);
  const outbox = mirrorView<OutboxView>({ pending: [], refused: [] });
  const topics = new Map<
    string,
    { holders: number; view: MirrorView<SubscriptionView>; position: TopicPosition | null }
  >();
  const reauthentications = new Map<
    number,
    { resolve: () => void; reject: (error: Error) => void }
  >();
  let nextRequest = 0;
  let stopped = false;

  let port: PortLike | null = null;
  /** Messages wait here until the tab's lock is held and `attach` went out. */
  let queue: TabMessage[] | null = [];
  const post = (message: TabMessage) => {
    if (queue) queue.push(message);
    else port?.postMessage(message);
  };

  const onMessage = ({ data }: { data: unknown }) => {
    const message = data as HubMessage;
    switch (message.type) {
      case 'connection':
        return connection.set(message.view);
      case 'outbox':
        return outbox.set(keepingEarlierRefusals(message.view));
      case 'topic':
        return takeTopicView(message.view, message.withData);
      case 'frames':
        return foldTopicFrames(message.topic, message.frames);
      case 'reauthenticated': {
        const pending = reauthentications.get(message.request);
        reauthentications.delete(message.request);
        if (message.error === undefined) pending?.resolve();
        else pending?.reject(new Error(message.error));
        return;
      }
      case 'token-renewed':
        return onTokenRenewed?.(message.token);
      case 'token?': {
        const { request } = message;
        const reply = (answer: string | null | undefined) =>
          post({ type: 'token', request, token: answer || undefined });
        Promise.resolve()
          .then(answerToken)
          .then(reply, () => reply(undefined));
        return;
      }
    }
  };

  /**
   * The hub lists only the refusals of actions this attach sent: after a new attach (back from the
   * back/forward cache, a new leader) the earlier ones would vanish, and a form showing "Refused"
   * would show "Saved". The tab keeps its own history, earliest first, as the outbox does.
   */
  function keepingEarlierRefusals(view: OutboxView): OutboxView {
    const listed = new Set(view.refused.map((entry) => entry.id));
    const earlier = outbox.get().refused.filter((entry) => !listed.has(entry.id));
    return earlier.length === 0
      ? view
      : { pending: view.pending, refused: [...earlier, ...view.refused].slice(-REFUSED_KEPT) };
  }

  function takeTopicView(view: SubscriptionView, withData: boolean): void {
    const entry = topics.get(view.topic);
    if (!entry) return;
    if (withData) {
      entry.position = { data: view.data, epoch: view.epoch, seq: view.seq };
      return entry.view.set(view);
    }
    const { position } = entry;
    // The tab folds the same frames from the same start as the hub, so this never differs; if it did, ask for the whole view.
    if (!position || position.epoch !== view.epoch || (position.seq ?? 0) < (view.seq ?? 0)) {
      post({ type: 'resync', topic: view.topic });
      return;
    }
    const current = entry.view.get();
    entry.view.set({
      ...view,
      data: position.data,
      seq: position.seq,
      updatedAt: current.updatedAt,
    });
  }

  function foldTopicFrames(topic: string, frames: Parameters<typeof foldFrames>[1]): void {
    const entry = topics.get(topic);
    if (!entry?.position) return;
    const result = foldFrames(entry.position, frames, decodedFrameDrafts);
    const changed = result.position.data !== entry.position.data;
    entry.position = result.position;
    const { data, epoch, seq } = result.position;
    const current = entry.view.get();
    if (changed || seq !== current.seq || epoch !== current.epoch) {
      entry.view.set({
        ...current,
        data,
        epoch,
        seq,
        updatedAt: changed ? Date.now() : current.updatedAt,
      });
    }
  }

  /**
   * A fresh port and a fresh attach: on start, after pagehide when the page comes back from the
   * back/forward cache, and (leader fallback) when a new leader announces itself. What is posted
   * meanwhile waits in `queue`; once the tab's lock is held (so the hub's request for it queues
   * behind), `attach` goes out, then the topics held now, the actions still pending, the rest.
   */
  function open(): void {
    const tab = generateId();
    const opened = options.connect();
    port = opened;
    opened.addEventListener('message', onMessage);
    opened.start?.();
    const waiting = queue ?? [];
    queue = waiting;
    const announce = () => {
      if (stopped || port !== opened) return; // closed again before the lock came
      queue = null;
      opened.postMessage({ type: 'attach', tab, config } satisfies TabMessage);
      for (const topic of topics.keys())
        opened.postMessage({ type: 'subscribe', topic } satisfies TabMessage);
      // Actions still pending at a hub that may be gone (a leader tab that closed) go again, same ids.
      for (const { state: _, ...action } of outbox.get().pending)
        opened.postMessage({ ...action, type: 'send' } satisfies TabMessage);
      for (const message of waiting)
        if (message.type !== 'subscribe' && message.type !== 'unsubscribe')
          opened.postMessage(message);
    };
    if (locks) lockRelease = holdTabLock(locks, tab, announce);
    else announce();
  }
  let lockRelease: (() => void) | null = null;

  function close(): void {
    if (!port) return;
    if (!queue) port.postMessage({ type: 'detach' } satisfies TabMessage);
    port.removeEventListener('message', onMessage);
    port.close();
    port = null;
    queue = [];
    lockRelease?.();
    lockRelease = null;
  }

  const stopPage = page?.listen({
    check: () => post({ type: 'check' }),
    hide: close,
    show: () => {
      if (!stopped && !port) open();
    },
  });
  open();

  return {
    actor: null,
    connection,
    outbox,
    subscribe(topic): TopicHold {
      if (stopped)
        throw new Error(`createTabClient: cannot subscribe to "${topic}" on a stopped client`);
      let entry = topics.get(topic);
      if (!entry) {
        topics.set(
          topic,
          (entry = { holders: 0, view: mirrorView(pendingTopic(topic)), position: null }),
        );
        post({ type: 'subscribe', topic });
      }
      entry.holders += 1;
      const held = entry;
      let holding = true;
      return {
        view: held.view,
        ref: null,
        release() {
          if (!holding) return; // releasing twice must not take another holder's reference
          holding = false;
          held.holders -= 1;
          if (held.holders > 0 || topics.get(topic) !== held) return;
          topics.delete(topic);
          post({ type: 'unsubscribe', topic });
        },
      };
    },
    send(topic, payload, options = {}) {
      const id = options.id ?? generateId();
      post({ ...actionRequest(id, topic, payload, options), type: 'send' });
      return id;
    },
    retry: () => post({ type: 'retry' }),
    reauthenticate: () =>
      new Promise<void>((resolve, reject) => {
        const request = ++nextRequest;
        reauthentications.set(request, { resolve, reject });
        post({ type: 'reauthenticate', request });
      }),
    stop() {
      if (stopped) return;
      stopped = true;
      stopPage?.();
      close();
      for (const { reject } of reauthentications.values())
        reject(new Error('the client was stopped'));
      reauthentications.clear();
      connection.set(CLOSED_CONNECTION);
    },
  };
}
