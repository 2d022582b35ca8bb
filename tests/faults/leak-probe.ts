import { getActiveResourcesInfo } from 'node:process';
import { queryObjects } from 'node:v8';
import type { Server } from 'node:http';
import { WebSocket } from 'ws';
import { Connection } from '../../server/ws-connection.ts';

/**
 * What a leak would leave behind, measured after full garbage collections: heap bytes, live
 * server Connection / ws WebSocket / Set / Timeout objects (v8.queryObjects counts unref'd timers
 * too, which getActiveResourcesInfo does not), active handles, and listeners.
 */
export interface Probe {
  heapUsed: number;
  connections: number;
  /** Server-side ws WebSockets only: the test's own clients live in this process too. */
  serverWebSockets: number;
  sets: number;
  timeouts: number;
  /** getActiveResourcesInfo() without timers, counted by kind: sockets, servers, pipes, requests. */
  resources: Record<string, number>;
  /** Ref'd timers (getActiveResourcesInfo's 'Timeout' entries). */
  refTimers: number;
  processListeners: number;
  httpListeners: number;
  httpConnections: number;
}

type Gc = () => void;
const TimeoutClass = setTimeout(() => undefined, 0).constructor as new () => unknown;

/** global.gc exists only when the worker runs with --expose-gc (see docs/reliability.md). */
export const gc: Gc | undefined = (globalThis as { gc?: Gc }).gc;

/** Several passes with turns of the event loop between them, so weak callbacks and finalizers run too. */
export async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const count = (ctor: new (...args: never[]) => unknown) => queryObjects(ctor, { format: 'count' });

export async function probe(http: Server): Promise<Probe> {
  await collect();
  const resources: Record<string, number> = {};
  let refTimers = 0;
  for (const kind of getActiveResourcesInfo()) {
    if (kind === 'Timeout') refTimers++;
    else resources[kind] = (resources[kind] ?? 0) + 1;
  }
  const httpConnections = await new Promise<number>((resolve) =>
    http.getConnections((_, n) => resolve(n)),
  );
  return {
    heapUsed: process.memoryUsage().heapUsed,
    connections: count(Connection),
    serverWebSockets: queryObjects(WebSocket as never, { format: 'summary' }).filter((text) =>
      text.includes('_isServer: true'),
    ).length,
    sets: count(Set),
    timeouts: count(TimeoutClass),
    resources,
    refTimers,
    processListeners: process
      .eventNames()
      .reduce((sum, name) => sum + process.listenerCount(name), 0),
    httpListeners: http.eventNames().reduce((sum, name) => sum + http.listenerCount(name), 0),
    httpConnections,
  };
}

/**
 * Differences between two probes that mean something was left behind. Timers get a slack of
 * TIMER_SLACK: vitest's worker keeps a few RPC timers of its own (e.g. around console output)
 * that come and go; a leak per connection or subscription would add hundreds.
 */
export const TIMER_SLACK = 3;
export function leftovers(now: Probe, baseline: Probe): string[] {
  const found: string[] = [];
  for (const key of [
    'connections',
    'serverWebSockets',
    'processListeners',
    'httpListeners',
    'httpConnections',
  ] as const) {
    if (now[key] !== baseline[key]) found.push(`${key}: ${baseline[key]} -> ${now[key]}`);
  }
  if (JSON.stringify(now.resources) !== JSON.stringify(baseline.resources))
    found.push(
      `resources: ${JSON.stringify(baseline.resources)} -> ${JSON.stringify(now.resources)}`,
    );
  for (const key of ['timeouts', 'refTimers'] as const) {
    if (now[key] > baseline[key] + TIMER_SLACK)
      found.push(`${key}: ${baseline[key]} -> ${now[key]}`);
  }
  return found;
}
