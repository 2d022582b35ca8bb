import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AnyActorRef } from 'xstate';
import { createTetherClient } from '../../src/client/index.ts';
import type { LocalTetherClient, TetherClientOptions } from '../../src/client/index.ts';
import { FakeNetwork, ScriptedServer } from '../fixtures/scripted-server.ts';

let server: ScriptedServer;
let network: FakeNetwork;
beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
  server.topic('host.cpu', { total: 1 });
  server.topic('host.load', { load1: 1 });
  network = new FakeNetwork();
});
afterEach(() => {
  server.stop();
  vi.useRealTimers();
});

function connect(options: TetherClientOptions = {}): LocalTetherClient {
  return createTetherClient({
    url: server.httpUrl,
    WebSocket: server.WebSocket,
    fetch: server.fetch,
    network: network.settings,
    random: () => 0.5,
    ...options,
  });
}

/** Every actor in the client's tree, so a test can check none is left running. */
function actorsOf(client: LocalTetherClient): AnyActorRef[] {
  const children = Object.values(client.actor.getSnapshot().children).filter(
    (child): child is AnyActorRef => child !== undefined,
  );
  return [client.actor, ...children];
}

/** What must be zero once a client is stopped (mock-socket closes after a 4 ms timer). */
async function leftovers(client: LocalTetherClient, actors: AnyActorRef[]) {
  await vi.advanceTimersByTimeAsync(10);
  return {
    timers: vi.getTimerCount(),
    sockets: server.openSockets(),
    heldPolls: server.heldPolls,
    listeners: network.listenerCount,
    running: actors
      .filter((actor) => actor.getSnapshot().status === 'active')
      .map((actor) => actor.id),
    status: client.actor.getSnapshot().status,
  };
}
const nothingLeft = {
  timers: 0,
  sockets: 0,
  heldPolls: 0,
  listeners: 0,
  running: [],
  status: 'done',
};

describe('stop() leaves nothing behind', () => {
  it('while connected, with subscriptions, pending actions and a heartbeat running', async () => {
    server.actions = () => null;
    const client = connect();
    client.subscribe('host.cpu');
    client.subscribe('host.load');
    await vi.advanceTimersByTimeAsync(30);
    client.send('alerts.thresholds', { version: 1 });
    await vi.advanceTimersByTimeAsync(30);
    expect(network.listenerCount).toBe(2);
    expect(vi.getTimerCount()).toBeGreaterThan(1); // heartbeat, liveness, ack timeout
    const actors = actorsOf(client);
    expect(
      actors
        .slice(1)
        .map((actor) => actor.id)
        .sort(),
    ).toEqual(['network', 'outbox', 'page', 'socket', 'sub:host.cpu', 'sub:host.load']);
    client.stop();
    expect(await leftovers(client, actors)).toEqual(nothingLeft);
  });

  it('while connecting', async () => {
    const client = connect();
    const actors = actorsOf(client);
    client.stop();
    expect(await leftovers(client, actors)).toEqual(nothingLeft);
  });

  it('while waiting to reconnect', async () => {
    const client = connect();
    await vi.advanceTimersByTimeAsync(10);
    server.drop();
    await vi.advanceTimersByTimeAsync(5);
    expect(client.actor.getSnapshot().matches('reconnecting')).toBe(true);
    const actors = actorsOf(client);
    client.stop();
    expect(await leftovers(client, actors)).toEqual(nothingLeft);
  });

  it('while polling with a poll held and a probe scheduled', async () => {
    server.accepting = false;
    const client = connect({ backoff: { maxAttempts: 0 } });
    client.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(300);
    expect(client.actor.getSnapshot().matches('fallbackPolling')).toBe(true);
    expect(server.heldPolls).toBe(1);
    const actors = actorsOf(client);
    client.stop();
    expect(await leftovers(client, actors)).toEqual(nothingLeft);
  });

  it('while probing', async () => {
    server.accepting = false;
    const client = connect({ backoff: { maxAttempts: 0 } });
    await vi.advanceTimersByTimeAsync(5_006); // fell back at 4 ms, probe after 5 s, refused 4 ms later
    expect(client.actor.getSnapshot().matches({ fallbackPolling: { probe: 'probing' } })).toBe(
      true,
    );
    const actors = actorsOf(client);
    client.stop();
    expect(await leftovers(client, actors)).toEqual(nothingLeft);
  });

  it('while offline or failed', async () => {
    const offline = connect();
    network.go(false);
    const offlineActors = actorsOf(offline);
    offline.stop();
    expect(await leftovers(offline, offlineActors)).toEqual(nothingLeft);

    network.go(true);
    const failed = connect();
    await vi.advanceTimersByTimeAsync(10);
    server.drop(4401, 'unauthorized');
    await vi.advanceTimersByTimeAsync(5);
    expect(failed.actor.getSnapshot().matches('failed')).toBe(true);
    const failedActors = actorsOf(failed);
    failed.stop();
    expect(await leftovers(failed, failedActors)).toEqual(nothingLeft);
  });
});

describe('the last release', () => {
  it('stops the subscription actor and tells the server, leaving the connection as it was', async () => {
    const client = connect();
    const cpu = client.subscribe('host.cpu');
    await vi.advanceTimersByTimeAsync(30);
    const timersBefore = vi.getTimerCount();
    cpu.release();
    await vi.advanceTimersByTimeAsync(5);
    expect(cpu.ref.getSnapshot().status).toBe('stopped');
    expect(Object.keys(client.actor.getSnapshot().children).sort()).toEqual([
      'network',
      'outbox',
      'page',
      'socket',
    ]);
    expect(server.framesOfType('unsubscribe')).toEqual([
      { type: 'unsubscribe', topic: 'host.cpu' },
    ]);
    expect(vi.getTimerCount()).toBe(timersBefore);
    client.stop();
  });
});
