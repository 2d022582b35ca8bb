import type { ActionRequest } from '../../machines/wire.ts';
import type { TetherClient } from './create-client.ts';

/** An action as a durable outbox keeps it: what `send` was given, and when, to restore the order. */
export interface StoredAction extends ActionRequest {
  /** When it was queued (ms since the Unix epoch), then its place among actions queued in the same ms. */
  at: number;
  n: number;
}

/**
 * Where queued actions outlive the page (src/client/indexeddb-outbox-store.ts in a browser).
 * Calls are made one at a time, in order, so a `delete` never overtakes the `put` it follows.
 */
export interface OutboxStore {
  /** Every action kept, in any order. */
  load(): Promise<StoredAction[]>;
  put(action: StoredAction): Promise<void>;
  delete(id: string): Promise<void>;
}

/**
 * Makes `client`'s outbox durable: every action `send` queues is written to `store` and removed
 * once the server answered it (acked or refused); the actions a previous page left in the store
 * are queued again under their own ids when this one starts. The server applies an id once, so an
 * action that was sent but whose answer was lost is not applied twice, and neither is one that two
 * tabs restore together. A store that fails is reported and the client keeps working in memory.
 */
export function persistOutbox<C extends TetherClient>(
  client: C,
  store: OutboxStore,
  onError: (error: unknown) => void = (error) =>
    console.warn('Tether: the durable outbox failed', error),
): C {
  let chain = Promise.resolve();
  const serially = (write: () => Promise<void>) => {
    chain = chain.then(write).catch(onError);
  };
  /** Ids kept in the store, and whether this page has seen them pending (an answer removes them then). */
  const kept = new Map<string, { seen: boolean }>();
  let count = 0;
  let stopped = false;

  const settle = () => {
    const { pending, refused } = client.outbox.get();
    const waiting = new Set(pending.map((entry) => entry.id));
    const answered = new Set(refused.map((entry) => entry.id));
    for (const [id, entry] of kept) {
      if (waiting.has(id)) entry.seen = true;
      else if (entry.seen || answered.has(id)) {
        kept.delete(id);
        serially(() => store.delete(id));
      }
    }
  };
  const unwatch = client.outbox.subscribe(settle);

  const queue = (action: ActionRequest) => {
    const { id, topic, payload, base, fields } = action;
    client.send(topic, payload, { id, ...(base && fields && { base, fields }) });
    kept.set(id, { seen: false });
    settle();
  };

  serially(async () => {
    const restored = await store.load();
    if (stopped) return;
    restored.sort((a, b) => a.at - b.at || a.n - b.n);
    for (const action of restored) if (!kept.has(action.id)) queue(action);
  });

  return {
    ...client,
    send(topic, payload, options = {}) {
      const id = client.send(topic, payload, options);
      const { base, fields } = options;
      const action: StoredAction = {
        id,
        topic,
        payload,
        ...(base && fields && { base, fields }),
        at: Date.now(),
        n: count++,
      };
      kept.set(id, { seen: false });
      serially(() => store.put(action));
      settle();
      return id;
    },
    stop() {
      stopped = true;
      unwatch();
      client.stop();
    },
  };
}
