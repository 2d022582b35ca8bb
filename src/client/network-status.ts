import { fromCallback } from 'xstate';
import type { EventObject } from 'xstate';
import type { NetworkEvent } from '../../machines/connection.ts';

/** Where `online`/`offline` events come from: `window` in a browser, a fake in tests. */
export interface NetworkTarget {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
}

export interface NetworkSettings {
  target: NetworkTarget;
  /** The state before any event (`navigator.onLine`). */
  isOnline: () => boolean;
}

/**
 * Relays the browser's idea of connectivity. `navigator.onLine === false` is reliable (no
 * network at all); `true` only means "maybe", which is why going online triggers an attempt
 * rather than being trusted as a link.
 */
export const networkStatus = (settings: NetworkSettings | null) =>
  fromCallback<EventObject>(({ sendBack }) => {
    if (!settings) return;
    const report = (event: NetworkEvent) => sendBack(event);
    const online = () => report({ type: 'NETWORK.ONLINE' });
    const offline = () => report({ type: 'NETWORK.OFFLINE' });
    if (!settings.isOnline()) offline();
    settings.target.addEventListener('online', online);
    settings.target.addEventListener('offline', offline);
    return () => {
      settings.target.removeEventListener('online', online);
      settings.target.removeEventListener('offline', offline);
    };
  });
