import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import type { AnyActorRef, AnyMachineSnapshot, EventObject } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.ts';
import type {
  ConnectionContext,
  ConnectionEvent,
  ConnectionInput,
  PollEvent,
  SendEvent,
} from '../../machines/connection.ts';
import { networkStatus } from '../../src/client/network-status.ts';
import { pageLifecycle } from '../../src/client/page-lifecycle.ts';
import { connectionView } from '../../src/client/views.ts';
import { webSocketTransport } from '../../src/client/websocket-transport.ts';
import { isTerminalClose } from '../../src/protocol/index.ts';
import { FakeNetwork } from '../fixtures/scripted-server.ts';
import { activeStates, coverageLine, explore, inventory, transitionKey } from './graph.ts';
import type { ExecutedAction, ModelStep } from './graph.ts';
import { FakeSockets } from './harness.ts';

/**
 * Model-based test of the connection: @xstate/graph generates paths through the statechart from
 * what the environment can do in each state (`events` below: the server, the network, the user,
 * the children, the clock). Each path is replayed against a real connection actor, with the real
 * WebSocket transport on a hand-driven socket, the real network actor on a fake `window`, and a
 * stand-in polling transport. After every step: same state, same UI view, same live children, the
 * frames the model says were sent, the transitions the model says fired. Delayed transitions
 * (`xstate.after.<delay>.<state>`) are replayed by running the clock to the next timer.
 */

/** Two attempts once WebSocket has worked, one before (when polling can take over). */
const MAX_ATTEMPTS = 2;
const timing = {
  heartbeatMs: 1_000,
  heartbeatTimeoutMs: 5_000,
  // Longer than the heartbeat, so a heartbeat due during a check always fires first (see `events`).
  checkTimeoutMs: 2_000,
  backoff: { baseMs: 1_000, capMs: 30_000, maxAttempts: MAX_ATTEMPTS, maxAttemptsUntilOpen: 1 },
  probe: { baseMs: 5_000, capMs: 30_000 },
  ackTimeoutMs: 1e9, // the outbox's own timer is not part of this model
};

/** The polling transport's part is played by the test: it emits what a path says. */
class FakePolling {
  readonly received: unknown[] = [];
  #sendBack: ((event: PollEvent) => void) | undefined;
  readonly logic = fromCallback<SendEvent>(({ sendBack, receive }) => {
    this.#sendBack = sendBack;
    receive((event) => this.received.push(event.frame));
    return () => (this.#sendBack = undefined);
  });
  get running(): boolean {
    return this.#sendBack !== undefined;
  }
  emit(event: PollEvent): void {
    if (!this.#sendBack) throw new Error('no polling transport is running');
    this.#sendBack(event);
  }
}

interface World {
  sockets: FakeSockets;
  network: FakeNetwork;
  polling: FakePolling;
}

/** Which transports exist and how many reconnect attempts are allowed change which branches can fire. */
const configs = [
  { name: 'WebSocket and polling', webSocket: true, polling: true, maxAttempts: MAX_ATTEMPTS },
  { name: 'WebSocket only', webSocket: true, polling: false, maxAttempts: MAX_ATTEMPTS },
  { name: 'WebSocket and polling, no retries', webSocket: true, polling: true, maxAttempts: 0 },
  { name: 'WebSocket only, no retries', webSocket: true, polling: false, maxAttempts: 0 },
  { name: 'polling only', webSocket: false, polling: true, maxAttempts: MAX_ATTEMPTS },
  { name: 'no transport', webSocket: false, polling: false, maxAttempts: MAX_ATTEMPTS },
];
type Config = (typeof configs)[number];

const connectionMachine = createConnectionMachine({
  random: () => 0.5,
  now: () => Date.now(),
  isTerminalClose,
});

function inputFor(config: Config): ConnectionInput {
  return {
    webSocket: config.webSocket,
    polling: config.polling,
    ...timing,
    backoff: { ...timing.backoff, maxAttempts: config.maxAttempts },
  };
}

// What the environment can do, with payloads.
const command = (event: ConnectionEvent): EventObject => event;
const frames = (...list: object[]): EventObject =>
  ({ type: 'SOCKET.FRAMES', frames: list }) as EventObject;
const welcome = frames({ type: 'welcome', heartbeatMs: 1_000 });
const pong = frames({ type: 'pong', t: 0 });
/** The pong of a ping sent just now (its `t` is not older than the check's ping). */
const checkAnswered = frames({ type: 'pong', t: Number.MAX_SAFE_INTEGER });
const unauthorized = frames({ type: 'error', code: 'unauthorized', message: 'bad token' });
const notice = frames({ type: 'error', code: 'rate_limited', message: 'slow down' });
const badFrame = { type: 'SOCKET.BAD_FRAME', message: 'frame is not valid JSON' };
const dropped = { type: 'SOCKET.CLOSED', code: 1006, reason: '' };
const refused = { type: 'SOCKET.CLOSED', code: 4401, reason: 'unauthorized' };
/** What a subscription holding data sends on a new link. */
const resume = {
  type: 'SEND',
  frame: { type: 'subscribe', topic: 'a', since: { epoch: 'E', seq: 1 } },
};
const after = (delay: string, state: string) => ({
  type: `xstate.after.${delay}.connection.${state}`,
});

function events(state: AnyMachineSnapshot): EventObject[] {
  if (state.status !== 'active') return [];
  const context = state.context as ConnectionContext;
  const held = context.refcounts.a ?? 0;
  const list: EventObject[] = [
    { type: 'RETRY' },
    { type: 'STOP' },
    { type: 'NETWORK.OFFLINE' },
    { type: 'NETWORK.ONLINE' },
  ];
  // The page: visible again or awake (LINK.CHECK), unloading or into the back/forward cache, back from it.
  list.push({ type: 'LINK.CHECK' }, { type: 'PAGE.HIDE' }, { type: 'PAGE.SHOW' });
  list.push(command({ type: 'ACTION', id: 'act-1', topic: 'a', payload: 1 }));
  if (held < 2) list.push(command({ type: 'SUBSCRIBE', topic: 'a' }));
  if (held > 0) list.push(command({ type: 'UNSUBSCRIBE', topic: 'a' }));
  if (state.matches('idle')) list.push({ type: 'CONNECT' });
  if (state.matches({ websocket: 'connecting' }))
    list.push({ type: 'SOCKET.OPENED' }, dropped, after('livenessTimeout', 'websocket.connecting'));
  if (state.matches({ websocket: 'handshaking' }))
    list.push(
      welcome,
      notice,
      dropped,
      refused,
      unauthorized,
      badFrame,
      after('livenessTimeout', 'websocket.handshaking'),
    );
  if (state.matches({ websocket: 'connected' })) {
    list.push(pong, notice, dropped, refused, unauthorized, badFrame, resume);
    // Both regions have a timer in `connected`; the heartbeat's is due first unless a ping is out
    // (the silence window runs from the last frame, a pong included, and is longer; so is the check's).
    const liveness = state.matches({ websocket: { connected: { liveness: 'checking' } } })
      ? 'checking'
      : 'watching';
    if (liveness === 'checking') list.push(checkAnswered);
    if (state.matches({ websocket: { connected: { heartbeat: 'idle' } } }))
      list.push(after('heartbeatInterval', 'websocket.connected.heartbeat.idle'));
    else if (liveness === 'watching')
      list.push(after('silenceTimeout', 'websocket.connected.liveness.watching'));
    else list.push(after('checkTimeout', 'websocket.connected.liveness.checking'));
  }
  if (state.matches('reconnecting')) list.push(after('retryDelay', 'reconnecting'));
  if (state.matches('fallbackPolling')) {
    list.push(
      command({ type: 'POLL.ANSWERED' }),
      command({ type: 'POLL.FRAMES', frames: [], topics: [] }),
      command({ type: 'POLL.ERROR', message: 'fetch failed' }),
      command({ type: 'POLL.REFUSED', code: 'forbidden', message: 'HTTP 403' }),
      resume,
    );
    if (state.matches({ fallbackPolling: { probe: 'waiting' } }))
      list.push(after('retryDelay', 'fallbackPolling.probe.waiting'));
    if (state.matches({ fallbackPolling: { probe: 'probing' } }))
      list.push(
        { type: 'SOCKET.OPENED' },
        dropped,
        after('livenessTimeout', 'fallbackPolling.probe.probing'),
      );
  }
  return list;
}

function serialize(state: AnyMachineSnapshot): string {
  const context = state.context as ConnectionContext;
  return JSON.stringify([
    state.value,
    context.attempt,
    context.webSocketWorked,
    context.online,
    context.refcounts.a ?? 0,
    context.transport,
    context.heard,
  ]);
}

/**
 * The transport hands frames over in the next task (setImmediate in Node), which stays real
 * here: advancing the fake clock to run it could also fire a timer the path does not expect.
 */
const nextTask = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Makes the world do what the model's event says. */
async function stimulate(event: EventObject, actor: AnyActorRef, world: World): Promise<void> {
  const socket = () => world.sockets.current;
  switch (event.type) {
    case 'NETWORK.OFFLINE':
      return world.network.go(false);
    case 'NETWORK.ONLINE':
      return world.network.go(true);
    case 'SOCKET.OPENED':
      return socket().open();
    case 'SOCKET.CLOSED': {
      const { code, reason } = event as Extract<ConnectionEvent, { type: 'SOCKET.CLOSED' }>;
      return socket().drop(code, reason);
    }
    case 'SOCKET.FRAMES':
      socket().receive(
        ...(event as Extract<ConnectionEvent, { type: 'SOCKET.FRAMES' }>).frames.map((frame) =>
          JSON.stringify(frame),
        ),
      );
      return nextTask();
    case 'SOCKET.BAD_FRAME':
      socket().receive('not json');
      return nextTask();
    case 'POLL.ANSWERED':
    case 'POLL.FRAMES':
    case 'POLL.ERROR':
    case 'POLL.REFUSED':
      return world.polling.emit(event as PollEvent);
    default:
      if (event.type.startsWith('xstate.after.')) {
        await vi.advanceTimersToNextTimerAsync();
        return;
      }
      actor.send(event); // commands, and SEND as a child would send it
  }
}

/** Frames the children send by themselves (fresh subscribes, actions); the model does not run children. */
const fromChild = (frame: { type?: string; since?: unknown }) =>
  (frame.type === 'subscribe' && frame.since === undefined) || frame.type === 'action';
const normalized = (list: unknown[]) =>
  (list as { type: string; t?: number }[])
    .filter((frame) => !fromChild(frame))
    .map((frame) => (frame.type === 'ping' ? { ...frame, t: 'T' } : frame));
const predictedFrames = (actions: ExecutedAction[], targets: string[]) =>
  actions
    .filter((action) => action.type === 'xstate.sendTo')
    .map(
      (action) => action.params as { targetId?: string; event: { type: string; frame?: unknown } },
    )
    .filter((params) => targets.includes(params.targetId ?? '') && params.event.type === 'SEND')
    .map((params) => params.event.frame);

function uiOf(snapshot: AnyMachineSnapshot) {
  const { nextRetryAt, nextPollAt, lastHeardAt, latencyMs, ...view } = connectionView(
    snapshot as Parameters<typeof connectionView>[0],
  );
  const context = snapshot.context as ConnectionContext;
  return {
    ...view,
    scheduled: nextRetryAt !== null,
    pollScheduled: nextPollAt !== null,
    heard: lastHeardAt !== null,
    measured: latencyMs !== null,
    online: context.online,
    refcounts: context.refcounts,
  };
}
const childIds = (snapshot: AnyMachineSnapshot) => Object.keys(snapshot.children).sort();

describe('connection model', () => {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  const models = configs.map((config) => ({
    config,
    ...explore(connectionMachine, { input: inputFor(config), events, serialize }),
  }));
  const reachable = new Set(models.flatMap((model) => [...model.reachable]));
  const all = inventory(connectionMachine);
  const covered = { states: new Set<string>(), transitions: new Set<string>() };
  const cases = models.flatMap(({ config, paths }) =>
    paths.map(
      (path) =>
        [
          `${config.name}: ${path.map((step) => step.event.type.replace('xstate.after.', 'after ')).join(' → ')}`,
          config,
          path,
        ] as const,
    ),
  );

  it.each(cases)('%s', async (_name, config, path: ModelStep[]) => {
    const world: World = {
      sockets: new FakeSockets(),
      network: new FakeNetwork(),
      polling: new FakePolling(),
    };
    const inspected: string[] = [];
    const logic = connectionMachine.provide({
      actors: {
        // The model sends no topic frames: the connection never sees them either way.
        webSocketTransport: webSocketTransport({
          url: 'ws://model.test/ws',
          WebSocket: world.sockets.WebSocket,
          topics: { receive: () => undefined, handOver: () => undefined, discard: () => undefined },
        }),
        pollingTransport: world.polling.logic,
        networkStatus: networkStatus(world.network.settings),
        pageLifecycle: pageLifecycle(null),
      },
    });
    const actor = createActor(logic, {
      input: inputFor(config),
      inspect: (event) => {
        if (event.type !== '@xstate.microstep' || event.actorRef !== actor) return;
        if (event.event.type === 'SEND' && fromChild((event.event as SendEvent).frame)) return;
        inspected.push(...event._transitions.map(transitionKey));
      },
    }).start();

    for (const step of path) {
      const sent = world.sockets.sent.length;
      const polled = world.polling.received.length;
      inspected.length = 0;
      await stimulate(step.event, actor, world);
      const real = actor.getSnapshot();
      expect(real.value).toEqual(step.state.value);
      expect(uiOf(real)).toEqual(uiOf(step.state));
      expect(childIds(real)).toEqual(childIds(step.state));
      expect(normalized(world.sockets.sent.slice(sent))).toEqual(
        normalized(predictedFrames(step.actions, ['socket', 'probe'])),
      );
      expect(normalized(world.polling.received.slice(polled))).toEqual(
        normalized(predictedFrames(step.actions, ['polling'])),
      );
      expect(inspected).toEqual(step.transitions);
      for (const id of activeStates(real)) covered.states.add(id);
      for (const key of inspected) covered.transitions.add(key);
    }

    // Whatever the path, stopping leaves nothing running.
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot().status).toBe('done');
    expect({
      timers: vi.getTimerCount(),
      sockets: world.sockets.open,
      listeners: world.network.listenerCount,
      polling: world.polling.running,
    }).toEqual({
      timers: 0,
      sockets: 0,
      listeners: 0,
      polling: false,
    });
  });

  it('labels every reachable state configuration with the status this table gives it', () => {
    const labels = new Map<string, string>();
    for (const { paths } of models)
      for (const path of paths)
        for (const { state } of path) {
          const view = connectionView(state as Parameters<typeof connectionView>[0]);
          labels.set(view.statePath, view.status);
        }
    // A configuration missing here is new: decide what the badge must say in it, then add it.
    expect(Object.fromEntries([...labels].sort())).toEqual(LABELS);
  });

  it('covers every state and every transition of the statechart', () => {
    console.log(
      `${coverageLine('connection model', covered, all, reachable)}; ${cases.length} paths over ${configs.length} configurations`,
    );
    expect(all.states.filter((id) => !covered.states.has(id))).toEqual([]);
    expect(all.transitions.filter((key) => !reachable.has(key))).toEqual([]);
    expect(all.transitions.filter((key) => !covered.transitions.has(key))).toEqual([]);
  });
});

/** What the UI calls each reachable configuration (statePath → ConnectionView.status). */
const LABELS = {
  closed: 'closed',
  failed: 'failed',
  'fallbackPolling.link.down, fallbackPolling.probe.probing': 'unreachable',
  'fallbackPolling.link.down, fallbackPolling.probe.unavailable': 'unreachable',
  'fallbackPolling.link.down, fallbackPolling.probe.waiting': 'unreachable',
  'fallbackPolling.link.up, fallbackPolling.probe.probing': 'polling',
  'fallbackPolling.link.up, fallbackPolling.probe.unavailable': 'polling',
  'fallbackPolling.link.up, fallbackPolling.probe.waiting': 'polling',
  idle: 'idle',
  offline: 'offline',
  reconnecting: 'reconnecting',
  suspended: 'suspended',
  'websocket.connected.heartbeat.idle, websocket.connected.liveness.checking': 'connected',
  'websocket.connected.heartbeat.idle, websocket.connected.liveness.watching': 'connected',
  'websocket.connected.heartbeat.waiting, websocket.connected.liveness.checking': 'connected',
  'websocket.connected.heartbeat.waiting, websocket.connected.liveness.watching': 'connected',
  'websocket.connecting': 'connecting',
  'websocket.handshaking': 'connecting',
};
