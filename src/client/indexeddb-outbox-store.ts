import { createStore, del, set, values } from 'idb-keyval';
import type { OutboxStore, StoredAction } from './outbox-store.ts';

/**
 * A durable outbox in the browser's IndexedDB (through idb-keyval), one record per action keyed
 * by its id. IndexedDB rather than localStorage: it is asynchronous (a write never blocks a frame),
 * and it exists in workers too, so the same store serves a tab, a leader tab and a SharedWorker.
 * Every tab of an origin opening the same `database` shares the actions kept in it.
 */
export function indexedDbOutboxStore(database = 'tether-outbox'): OutboxStore {
  const actions = createStore(database, 'actions');
  return {
    load: () => values<StoredAction>(actions),
    put: (action) => set(action.id, action, actions),
    delete: (id) => del(id, actions),
  };
}
