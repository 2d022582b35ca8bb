import type { AppliedEvent } from '../../../machines/subscription.ts';
import type { LocalTetherClient, TopicHold } from '../create-client.ts';
import type { GetToken } from '../credentials.ts';
import type { OutboxView, SubscriptionView } from '../view-types.ts';
import type { HubMessage, PortLike, SharedConfig, TabMessage } from './messages.ts';
import { TokenBroker } from './token-broker.ts';

export interface SharedHubOptions {
  /**
   * Builds the one real client, with the first tab's config; `getToken` asks the tabs and
   * `onTokenRenewed` tells them (pass both to createTetherClient).
   */
  createClient(
    config: SharedConfig,
    getToken: GetToken,
    onTokenRenewed: (token: string) => void,
  ): LocalTetherClient;
  /**
   * Calls `gone` when the tab dies without saying so (a crash, a killed process): SharedWorker
   * ports fire no close event. Default: nothing (tabs say `detach` on pagehide).
   */
  watchTab?(tab: string, gone: () => void): void;
  /** How long the client outlives the last tab, so a reload finds the link still up (default 2 s). */
  lingerMs?: number;
}

/** One tab on one port. The tab counts its own holders per topic; the hub sees one hold per tab. */
interface Tab {
  id: string;
  port: PortLike;
  /** Per held topic, the unsubscribe of this tab's view listener, and the last view posted without data. */
  topics: Map<string, { stop: () => void; shape: string }>;
  /** Ids of the actions this tab sent (the tab makes them: unique, and the same if it sends again after a handover). */
  actions: Set<string>;
  lastOutbox: string;
}

/**
 * The shared side of cross-tab sharing: one real client for every tab of an origin, in a
 * SharedWorker (src/client/shared/worker.ts) or in the leader tab (leader.ts). Topics are
 * reference counted across tabs (the first tab's subscribe subscribes, the last tab's release
 * unsubscribes); every tab sees every connection view, the views of the topics it holds, and the
 * outbox entries of its own actions.
 */
export function createSharedHub(options: SharedHubOptions) {
  const tabs = new Map<string, Tab>();
  const holds = new Map<string, { hold: TopicHold; tabs: number }>();
  const tokens = new TokenBroker(() => [...tabs.values()].map((tab) => tab.port));
  let client: LocalTetherClient | null = null;
  let unwatch: (() => void)[] = [];
  let linger: ReturnType<typeof setTimeout> | undefined;

  const post = (tab: Tab, message: HubMessage) => tab.port.postMessage(message);

  function start(config: SharedConfig): LocalTetherClient {
    const created = options.createClient(
      config,
      () => tokens.ask(),
      (token) => {
        for (const tab of tabs.values()) post(tab, { type: 'token-renewed', token });
      },
    );
    const connection = created.connection;
    const outbox = created.outbox;
    unwatch = [
      connection.subscribe(() => {
        const view = connection.get();
        for (const tab of tabs.values()) post(tab, { type: 'connection', view });
      }),
      outbox.subscribe(() => {
        for (const tab of tabs.values()) postOutbox(tab);
      }),
      created.onApplied(forwardFrames),
    ];
    return created;
  }

  /** The tab's own actions only; posted only when that part changed. */
  function postOutbox(tab: Tab): void {
    if (!client) return;
    const { pending, refused } = client.outbox.get();
    const mine: OutboxView = {
      pending: pending.filter((entry) => tab.actions.has(entry.id)),
      refused: refused.filter((entry) => tab.actions.has(entry.id)),
    };
    const serialized = JSON.stringify(mine);
    if (serialized === tab.lastOutbox) return;
    tab.lastOutbox = serialized;
    post(tab, { type: 'outbox', view: mine });
  }

  /**
   * Batches that changed the topic's data go to the tabs holding it, and the tabs fold them as the
   * subscription did. Mailboxes are empty between port messages, so a tab that got the whole view
   * at subscribe time gets every later batch, in order.
   */
  function forwardFrames(applied: AppliedEvent): void {
    const { topic, frames } = applied;
    for (const tab of tabs.values())
      if (tab.topics.has(topic)) post(tab, { type: 'frames', topic, frames });
  }

  /** What a tab cannot fold itself; posted only when it changed (the data and seq travel as frames). */
  const shapeOf = ({ status, epoch, staleSince, error, statePath }: SubscriptionView) =>
    JSON.stringify([status, epoch, staleSince, error, statePath]);

  function postTopic(tab: Tab, view: SubscriptionView, withData: boolean): void {
    const held = tab.topics.get(view.topic);
    if (!held) return;
    const shape = shapeOf(view);
    if (!withData && shape === held.shape) return;
    held.shape = shape;
    post(tab, { type: 'topic', view: withData ? view : { ...view, data: undefined }, withData });
  }

  function subscribe(tab: Tab, topic: string): void {
    if (!client || tab.topics.has(topic)) return;
    let entry = holds.get(topic);
    if (!entry) holds.set(topic, (entry = { hold: client.subscribe(topic), tabs: 0 }));
    entry.tabs += 1;
    const { view } = entry.hold;
    tab.topics.set(topic, {
      stop: view.subscribe(() => postTopic(tab, view.get(), false)),
      shape: '',
    });
    postTopic(tab, view.get(), true);
  }

  function unsubscribe(tab: Tab, topic: string): void {
    const held = tab.topics.get(topic);
    if (!held) return;
    held.stop();
    tab.topics.delete(topic);
    const entry = holds.get(topic);
    if (!entry) return;
    entry.tabs -= 1;
    if (entry.tabs > 0) return;
    holds.delete(topic);
    entry.hold.release();
  }

  function attach(port: PortLike, id: string, config: SharedConfig): Tab {
    clearTimeout(linger);
    // Listed before the client starts: its first getToken asks the tabs there are.
    const tab: Tab = { id, port, topics: new Map(), actions: new Set(), lastOutbox: '' };
    tabs.set(id, tab);
    if (client?.connection.get().status === 'failed') client.retry(); // this tab may bring the credential that was missing
    client ??= start(config);
    post(tab, { type: 'connection', view: client.connection.get() });
    postOutbox(tab);
    options.watchTab?.(id, () => detach(tab));
    return tab;
  }

  function detach(tab: Tab): void {
    if (tabs.get(tab.id) !== tab) return; // already gone (detach, then the lock says so too)
    tabs.delete(tab.id);
    for (const topic of [...tab.topics.keys()]) unsubscribe(tab, topic);
    tokens.forget(tab.port);
    tab.port.close();
    if (tabs.size === 0) linger = setTimeout(stopClient, options.lingerMs ?? 2_000);
  }

  function stopClient(): void {
    if (tabs.size > 0 || !client) return;
    for (const stop of unwatch) stop();
    unwatch = [];
    client.stop();
    client = null;
  }

  function handle(tab: Tab, message: TabMessage): void {
    if (!client) return;
    switch (message.type) {
      case 'subscribe':
        return subscribe(tab, message.topic);
      case 'unsubscribe':
        return unsubscribe(tab, message.topic);
      case 'send': {
        // Under the tab's id, so an action the tab sends again after a leader handover is the
        // same action to the server, which applies an id once; one still pending here is not queued twice.
        const { type: _, ...action } = message;
        tab.actions.add(action.id);
        if (!client.outbox.get().pending.some((entry) => entry.id === action.id))
          client.actor.send({ ...action, type: 'ACTION' });
        return postOutbox(tab);
      }
      case 'retry':
        return client.retry();
      case 'check':
        return client.actor.send({ type: 'LINK.CHECK' });
      case 'reauthenticate': {
        const { request } = message;
        client.reauthenticate().then(
          () => post(tab, { type: 'reauthenticated', request }),
          (error: unknown) => post(tab, { type: 'reauthenticated', request, error: String(error) }),
        );
        return;
      }
      case 'token':
        return tokens.answer(tab.port, message.request, message.token);
      case 'resync': {
        const view = holds.get(message.topic)?.hold.view.get();
        if (view) postTopic(tab, view, true);
        return;
      }
      case 'detach':
        return detach(tab);
      case 'attach':
        return; // once per port
    }
  }

  return {
    /** Serves one port: its first message must be `attach`. */
    connect(port: PortLike): void {
      let tab: Tab | null = null;
      port.addEventListener('message', ({ data }) => {
        const message = data as TabMessage;
        if (tab) return handle(tab, message);
        if (message?.type === 'attach') tab = attach(port, message.tab, message.config);
      });
      port.start?.();
    },
    /** Tabs attached now (for tests and the bench). */
    get tabCount(): number {
      return tabs.size;
    },
    /** The topics held for any tab. */
    get topics(): string[] {
      return [...holds.keys()];
    },
    stop(): void {
      for (const tab of [...tabs.values()]) detach(tab);
      clearTimeout(linger);
      stopClient();
    },
  };
}

export type SharedHub = ReturnType<typeof createSharedHub>;
