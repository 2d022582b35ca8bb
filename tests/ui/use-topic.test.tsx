import { render, screen } from '@solidjs/testing-library';
import { Show, createEffect, createSignal } from 'solid-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Position } from '../../machines/wire.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import { TetherProvider, useConnection, useTopic } from '../../src/solid/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { connectClient, tearDownClient } from './client-fixture.ts';
import { manualFrames } from './frames.ts';
import { onApplied } from '../fixtures/applied.ts';

let server: ScriptedServer;
let client: LocalTetherClient;

beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
  server.topic('counter', { n: 0 });
  client = connectClient(server);
});
afterEach(() => tearDownClient(client, server));

/** mock-socket delivers opens and client sends after 4 ms timers. */
const settle = () => vi.advanceTimersByTimeAsync(20);

describe('useTopic (tether-live/solid)', () => {
  it('renders a burst of updates once, in the next animation frame', async () => {
    const frames = manualFrames();
    let renders = 0;
    let seqSeen = 0;
    function Counter() {
      const topic = useTopic<{ n: number }>('counter');
      createEffect(() => {
        topic.data();
        renders++;
      });
      createEffect(() => topic.seq() !== null && seqSeen++);
      return <output>{topic.data()?.n ?? 'none'}</output>;
    }
    render(() => (
      <TetherProvider client={client}>
        <Counter />
      </TetherProvider>
    ));
    await settle();
    frames.flushFrame();
    expect(screen.getByRole('status').textContent).toBe('0');
    const before = { renders, seqSeen };

    // Ten patches, each in its own task, so the subscription actor changes ten times…
    for (let i = 1; i <= 10; i++) {
      server.publish('counter', [{ op: 'replace', path: '/n', value: i }]);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(seqSeen - before.seqSeen).toBe(10);
    // …but nothing renders until the frame, and the frame renders once, with the latest value.
    expect(renders).toBe(before.renders);
    expect(screen.getByRole('status').textContent).toBe('0');
    frames.flushFrame();
    expect(renders).toBe(before.renders + 1);
    expect(screen.getByRole('status').textContent).toBe('10');
    expect(frames.pending()).toBe(0);
  });

  it('holds the topic while mounted and releases it on unmount, ending the subscription actor', async () => {
    const original = client.subscribe.bind(client);
    const released = vi.fn();
    const subscribe = vi.spyOn(client, 'subscribe').mockImplementation((topic) => {
      const held = original(topic);
      return { ...held, release: () => (released(topic), held.release()) };
    });
    const [shown, setShown] = createSignal(true);
    function Counter() {
      const topic = useTopic<{ n: number }>('counter');
      return <output>{topic.status()}</output>;
    }
    render(() => (
      <TetherProvider client={client}>
        <Show when={shown()}>
          <Counter />
        </Show>
      </TetherProvider>
    ));
    await settle();
    expect(subscribe).toHaveBeenCalledExactlyOnceWith('counter');
    const { ref } = subscribe.mock.results[0]!.value as ReturnType<LocalTetherClient['subscribe']>;
    expect(released).not.toHaveBeenCalled();
    expect(client.actor.getSnapshot().children['sub:counter']).toBe(ref);
    expect(screen.getByRole('status').textContent).toBe('live');

    setShown(false);
    expect(released).toHaveBeenCalledExactlyOnceWith('counter');
    await settle();
    expect(ref.getSnapshot().status).toBe('stopped');
    expect(client.actor.getSnapshot().children['sub:counter']).toBeUndefined();
    expect(server.framesOfType('unsubscribe')).toEqual([{ type: 'unsubscribe', topic: 'counter' }]);
    // Patches published now are not sent to us any more.
    expect(server.subscribed.has('counter')).toBe(false);
  });

  it('gives data, status and seq as accessors that follow the subscription', async () => {
    const frames = manualFrames();
    let topic!: ReturnType<typeof useTopic<{ n: number }>>;
    function Probe() {
      topic = useTopic<{ n: number }>('counter');
      return null;
    }
    render(() => (
      <TetherProvider client={client}>
        <Probe />
      </TetherProvider>
    ));
    expect(topic.status()).toBe('pending');
    expect(topic.seq()).toBeNull();
    expect(topic.data()).toBeUndefined();
    await settle();
    frames.flushFrame();
    expect(topic.status()).toBe('live');
    expect(topic.seq()).toBe(0);
    expect(topic.data()).toEqual({ n: 0 });

    server.publish('counter', [{ op: 'replace', path: '/n', value: 7 }]);
    await settle();
    expect(topic.seq()).toBe(1);
    frames.flushFrame();
    expect(topic.data()).toEqual({ n: 7 });
    expect(topic.view().epoch).toBe(server.epoch);
  });

  it('moves view() with data, once per frame, while status and seq follow each change', async () => {
    const frames = manualFrames();
    let topic!: ReturnType<typeof useTopic<{ n: number }>>;
    let viewUpdates = 0;
    function Probe() {
      topic = useTopic<{ n: number }>('counter');
      createEffect(() => (topic.view(), viewUpdates++));
      return null;
    }
    render(() => (
      <TetherProvider client={client}>
        <Probe />
      </TetherProvider>
    ));
    await settle();
    expect(topic.status()).toBe('live');
    expect(topic.view().status).toBe('pending'); // not painted yet
    frames.flushFrame();
    expect(topic.view()).toMatchObject({ status: 'live', seq: 0 });
    const before = viewUpdates;

    for (let i = 1; i <= 5; i++) {
      server.publish('counter', [{ op: 'replace', path: '/n', value: i }]);
      await vi.advanceTimersByTimeAsync(0);
    }
    expect(topic.seq()).toBe(5);
    expect(viewUpdates).toBe(before);
    frames.flushFrame();
    expect(viewUpdates).toBe(before + 1);
    expect(topic.view()).toMatchObject({ seq: 5, status: 'live' });
    expect(topic.view().updatedAt).not.toBeNull();
  });

  it('useConnection follows the connection through the provider', async () => {
    let status = () => '';
    function Probe() {
      const connection = useConnection();
      status = () => connection().status;
      return null;
    }
    render(() => (
      <TetherProvider client={client}>
        <Probe />
      </TetherProvider>
    ));
    await settle();
    expect(status()).toBe('connected');
    server.accepting = false;
    server.drop();
    await settle();
    expect(status()).toBe('reconnecting');
  });

  it('says what is missing when a hook runs outside a <TetherProvider>', () => {
    function Orphan() {
      useTopic('counter');
      return null;
    }
    expect(() => render(() => <Orphan />)).toThrow(/<TetherProvider client=\{…\}>/);
  });

  describe("with the browser's default hand-over, once per display frame", () => {
    beforeEach(() => {
      client.stop();
      client = connectClient(server, 'frame');
    });

    it('hands a burst to the statecharts once per frame and renders it in that same frame, every patch applied in order', async () => {
      const frames = manualFrames();
      let renders = 0;
      function Counter() {
        const topic = useTopic<{ n: number }>('counter');
        createEffect(() => {
          topic.data();
          renders++;
        });
        return <output>{topic.data()?.n ?? 'none'}</output>;
      }
      render(() => (
        <TetherProvider client={client}>
          <Counter />
        </TetherProvider>
      ));
      // The handshake and the snapshot each need a frame (mock-socket answers after 4 ms timers).
      for (let i = 0; i < 5; i++) {
        await vi.advanceTimersByTimeAsync(5);
        frames.flushFrame();
      }
      expect(screen.getByRole('status').textContent).toBe('0');
      const ref = client.actor.getSnapshot().children['sub:counter']!;
      const applied: Position[] = [];
      onApplied(ref, (positions) => applied.push(...positions));
      const before = { renders, seq: ref.getSnapshot().context.position.seq! };

      // Ten patches, each in its own task: the statecharts do not move until the frame…
      for (let i = 1; i <= 10; i++) {
        server.publish('counter', [{ op: 'replace', path: '/n', value: i }]);
        await vi.advanceTimersByTimeAsync(1);
      }
      expect(ref.getSnapshot().context.position.seq).toBe(before.seq);
      expect(frames.pending()).toBe(1);
      // …and one frame applies all ten and renders the result in that frame, not the next one.
      frames.flushFrame();
      expect(applied.map((position) => position.seq)).toEqual(
        Array.from({ length: 10 }, (_, i) => before.seq + i + 1),
      );
      expect(screen.getByRole('status').textContent).toBe('10');
      expect(renders).toBe(before.renders + 1);
      expect(frames.pending()).toBe(0);
    });

    it('measures the ping round trip to the pong’s arrival, not to the frame that hands it over', async () => {
      const frames = manualFrames();
      server.stop();
      server = new ScriptedServer({ welcome: { heartbeatMs: 1_000 } });
      client.stop();
      client = connectClient(server, 'frame');
      for (let i = 0; i < 3; i++) {
        await vi.advanceTimersByTimeAsync(5);
        frames.flushFrame();
      }
      expect(client.connection.get().status).toBe('connected');
      await vi.advanceTimersByTimeAsync(1_000); // the heartbeat's ping goes out; its pong arrives ~4 ms later
      await vi.advanceTimersByTimeAsync(60); // and waits for a frame
      frames.flushFrame();
      expect(client.connection.get().latencyMs).not.toBeNull();
      expect(client.connection.get().latencyMs).toBeLessThan(20);
    });
  });
});
