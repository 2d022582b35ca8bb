import { render, screen } from '@solidjs/testing-library';
import { createEffect } from 'solid-js';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { Position } from '../../machines/wire.ts';
import type { LocalTetherClient } from '../../src/client/index.ts';
import { TetherProvider, useTopic } from '../../src/solid/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { connectClient, tearDownClient } from './client-fixture.ts';
import { manualFrames } from './frames.ts';

let server: ScriptedServer;
let client: LocalTetherClient;

beforeEach(() => {
  vi.useFakeTimers();
  server = new ScriptedServer();
  server.topic('counter', { n: 0 });
  client = connectClient(server, 'frame');
});
afterEach(() => tearDownClient(client, server));

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
  ref.on('applied', (event) => applied.push(...event.positions));
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
  expect(applied.map((position) => position.seq)).toEqual(Array.from({ length: 10 }, (_, i) => before.seq + i + 1));
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
