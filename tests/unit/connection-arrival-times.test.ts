import { describe, expect, it } from 'vitest';
import { createActor, fromCallback } from 'xstate';
import type { EventObject } from 'xstate';
import { createConnectionMachine } from '../../machines/connection.ts';
import type { SendEvent, SocketEvent } from '../../machines/connection.ts';

/**
 * The connection believes the transport about when frames arrived: a batch handed over late (once
 * per display frame, or after a frozen tab resumes) says the link was heard, and a ping answered,
 * at arrival, so neither the liveness clock nor the round trip includes the wait.
 */
describe('connection: arrival times of a batch', () => {
  function connected() {
    let clock = 1_000;
    let report: ((event: SocketEvent) => void) | undefined;
    const webSocketTransport = fromCallback<SendEvent>(({ sendBack }) => {
      report = sendBack;
    });
    const idle = fromCallback<EventObject>(() => undefined);
    const machine = createConnectionMachine({
      random: () => 0.5,
      now: () => clock,
      isTerminalClose: () => false,
    });
    const actor = createActor(
      machine.provide({
        actors: { webSocketTransport, networkStatus: idle, pageLifecycle: idle },
      }),
      { input: { webSocket: true, polling: false } },
    ).start();
    actor.send({ type: 'CONNECT' });
    report!({ type: 'SOCKET.OPENED' });
    report!({ type: 'SOCKET.FRAMES', frames: [{ type: 'welcome', heartbeatMs: 25_000 }] });
    expect(actor.getSnapshot().matches({ websocket: 'connected' })).toBe(true);
    return { actor, report: report!, advance: (ms: number) => (clock += ms), now: () => clock };
  }

  it('records the link as heard when the batch arrived, not when it was handed over', () => {
    const { actor, report, advance, now } = connected();
    const arrivedAt = advance(500);
    advance(8_000); // handed over much later
    report({
      type: 'SOCKET.FRAMES',
      frames: [{ type: 'pong', t: arrivedAt - 3 }],
      receivedAt: arrivedAt,
      pongAt: arrivedAt,
    });
    expect(actor.getSnapshot().context.lastHeardAt).toBe(arrivedAt);
    expect(actor.getSnapshot().context.latencyMs).toBe(3);
    // Without arrival times (a transport that hands over at once), the hand-over is the arrival.
    report({ type: 'SOCKET.FRAMES', frames: [{ type: 'pong', t: now() - 2 }] });
    expect(actor.getSnapshot().context.lastHeardAt).toBe(now());
    expect(actor.getSnapshot().context.latencyMs).toBe(2);
    actor.stop();
  });
});
