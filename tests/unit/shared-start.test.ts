import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSharedHub } from '../../src/client/shared/hub.ts';
import type { SharedHub } from '../../src/client/shared/hub.ts';
import { createSharedTetherClient } from '../../src/client/shared/share.ts';
import { createTetherClient } from '../../src/client/index.ts';
import type { TetherClient } from '../../src/client/index.ts';
import { FakeMessageChannel, portPair } from '../fixtures/fake-ports.ts';
import type { FakePort } from '../fixtures/fake-ports.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';

/**
 * createSharedTetherClient when the SharedWorker does not start: the constructor throws, the
 * worker reports an error, or (Chromium, now and then) it says nothing at all. The tab must then
 * run the hub itself and connect, not wait for views that never come; a worker that answers keeps
 * the connection. The globals a browser has are stood in for: SharedWorker (below),
 * MessageChannel (in-memory ports), WebSocket and fetch (the scripted server).
 */

type WorkerBehaviour = 'throws' | 'errors' | 'silent' | 'serves';

let server: ScriptedServer;
let workerHub: SharedHub;
let behaviour: WorkerBehaviour;
let workersMade: number;
let clients: TetherClient[];

class FakeSharedWorker {
  readonly port: FakePort;
  private readonly errorListeners = new Set<() => void>();
  constructor() {
    workersMade++;
    if (behaviour === 'throws') throw new DOMException('worker-src blocked', 'SecurityError');
    const [tabEnd, workerEnd] = portPair();
    this.port = tabEnd;
    if (behaviour === 'serves') workerHub.connect(workerEnd);
    if (behaviour === 'errors')
      setTimeout(() => this.errorListeners.forEach((listener) => listener()), 50);
  }
  addEventListener(_type: 'error', listener: () => void): void {
    this.errorListeners.add(listener);
  }
}

beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
  server.topic('t', { n: 1 });
  workersMade = 0;
  clients = [];
  workerHub = createSharedHub({
    createClient: (config, getToken) =>
      createTetherClient({
        ...config,
        getToken,
        WebSocket: server.WebSocket,
        fetch: server.fetch,
        network: false,
        page: false,
      }),
  });
  vi.stubGlobal('SharedWorker', FakeSharedWorker);
  vi.stubGlobal('MessageChannel', FakeMessageChannel);
  vi.stubGlobal('WebSocket', server.WebSocket);
  vi.stubGlobal('fetch', server.fetch);
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => {
  for (const client of clients) client.stop();
  workerHub.stop();
  server.stop();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});

function openTab(): TetherClient {
  const client = createSharedTetherClient({
    url: server.httpUrl,
    heartbeatMs: 1_000,
    heartbeatTimeoutMs: 5_000,
    polling: false,
  });
  clients.push(client);
  return client;
}

describe('createSharedTetherClient when the shared worker cannot start', () => {
  it('uses a worker that answers: one connection, made by the worker, and no warning', async () => {
    behaviour = 'serves';
    const view = openTab().subscribe('t').view;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(view.get()).toMatchObject({ status: 'live', data: { n: 1 } });
    expect(workerHub.tabCount).toBe(1);
    expect(server.connections).toBe(1);
    expect(console.warn).not.toHaveBeenCalled();
  });

  it.each([
    ['throws when constructed', 'throws', 0],
    ['reports an error', 'errors', 100],
    ['says nothing at all (the tab waits 4 s for it)', 'silent', 4_000],
  ] as const)('connects by itself when the worker %s', async (_what, how, startsWithinMs) => {
    behaviour = how;
    const client = openTab();
    const view = client.subscribe('t').view;
    if (how === 'silent') {
      await vi.advanceTimersByTimeAsync(3_900);
      expect(server.connections).toBe(0); // still waiting for the worker
    }
    await vi.advanceTimersByTimeAsync(startsWithinMs + 100);
    expect(view.get()).toMatchObject({ status: 'live', data: { n: 1 } });
    expect(client.connection.get().status).toBe('connected');
    expect(server.connections).toBe(1);
    expect(workersMade).toBe(1);
    expect(console.warn).toHaveBeenCalledWith(
      expect.stringContaining('this tab connects by itself'),
    );
    server.publish('t', [{ op: 'replace', path: '/n', value: 2 }]);
    await vi.advanceTimersByTimeAsync(20);
    expect(view.get().data).toEqual({ n: 2 });
  });
});
