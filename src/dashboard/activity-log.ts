import { createEffect, createMemo, createSignal, on, type Accessor } from 'solid-js';
import type { ConnectionStatus, ConnectionView } from '../client/index.ts';

export interface ActivityEntry {
  id: number;
  t: number;
  status: ConnectionStatus;
  text: string;
  statePath: string;
}

function activityText(view: ConnectionView): string {
  const reason = view.lastError ? ` (${view.lastError.code}: ${view.lastError.message})` : '';
  switch (view.status) {
    case 'idle':
      return 'Idle';
    case 'connecting':
      return view.attempt > 0
        ? `Reconnect attempt ${view.attempt} of ${view.maxAttempts}`
        : 'Connecting';
    case 'connected':
      return `Connected over ${view.transport ?? 'websocket'}`;
    case 'reconnecting':
      return `Reconnecting, attempt ${view.attempt} of ${view.maxAttempts}${reason}`;
    case 'polling':
      return 'Realtime link unavailable; updates arrive by HTTP polling';
    case 'unreachable':
      return `Server unreachable: neither WebSocket nor HTTP polling gets an answer${reason}`;
    case 'offline':
      return 'Browser reported no network';
    case 'failed':
      return `Failed${reason}`;
    case 'suspended':
      return 'Page hidden: link closed until it shows again';
    case 'closed':
      return 'Client stopped';
  }
}

/**
 * Records the connection's transitions, newest first, at most `max` of them. Heartbeat sub-states
 * are left out (they would bury the transitions people care about); a new attempt, transport or
 * error is a new entry. Lives in App, so hiding the log widget does not lose its history.
 */
export function createActivityLog(
  view: Accessor<ConnectionView>,
  max = 100,
): Accessor<ActivityEntry[]> {
  const [entries, setEntries] = createSignal<ActivityEntry[]>([]);
  let nextId = 1;
  // A memo, so a view change that leaves the key alone (a pong, a heartbeat step) logs nothing.
  const key = createMemo(() => {
    const v = view();
    return `${v.status}|${v.attempt}|${v.transport}|${v.lastError?.code ?? ''}`;
  });
  createEffect(
    on(key, () => {
      const v = view();
      const entry = {
        id: nextId++,
        t: Date.now(),
        status: v.status,
        text: activityText(v),
        statePath: v.statePath,
      };
      setEntries((list) => [entry, ...list].slice(0, max));
    }),
  );
  return entries;
}
