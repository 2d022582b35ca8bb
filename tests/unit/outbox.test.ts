import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createOutboxMachine } from '../../machines/outbox.ts';
import { outboxView } from '../../src/client/views.ts';
import { createTetherClient } from '../../src/client/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { underRecordingParent } from '../model/harness.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

const enqueue = (id: string, payload: unknown = id) => ({
  type: 'ENQUEUE' as const,
  id,
  topic: 'alerts.thresholds',
  payload,
});

describe('outbox', () => {
  let box: ReturnType<typeof start>;
  const start = (ackTimeoutMs = 10_000) =>
    underRecordingParent(createOutboxMachine({ now: Date.now }), { ackTimeoutMs });
  afterEach(() => box.stop());
  const sentIds = () =>
    box.frames.map((frame) => (frame.type === 'action' ? frame.id : frame.type));

  it('has a context of plain data: its persisted snapshot survives JSON', () => {
    box = start();
    box.actor.send(enqueue('a'));
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send({ type: 'NACK', id: 'a', code: 'conflict', message: 'stale version' });
    box.actor.send(enqueue('b'));
    const persisted = box.actor.getPersistedSnapshot();
    expect(JSON.parse(JSON.stringify(persisted))).toEqual(persisted);
    expect(JSON.parse(JSON.stringify(persisted)).context).toEqual(box.actor.getSnapshot().context);
  });

  it('queues actions while there is no link and sends them in order when it comes up', () => {
    box = start();
    box.actor.send(enqueue('a'));
    box.actor.send(enqueue('b'));
    expect(box.frames).toEqual([]);
    expect(outboxView(box.actor.getSnapshot()).pending.map((entry) => entry.state)).toEqual([
      'queued',
      'queued',
    ]);
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send(enqueue('c'));
    expect(box.frames).toEqual([
      { type: 'action', id: 'a', topic: 'alerts.thresholds', payload: 'a' },
      { type: 'action', id: 'b', topic: 'alerts.thresholds', payload: 'b' },
      { type: 'action', id: 'c', topic: 'alerts.thresholds', payload: 'c' },
    ]);
    expect(outboxView(box.actor.getSnapshot()).pending.map((entry) => entry.state)).toEqual([
      'sent',
      'sent',
      'sent',
    ]);
  });

  it('carries a base and fields on the frame, and the conflicts of a refusal to the view', () => {
    box = start();
    const base = { epoch: 'e1', seq: 4 };
    box.actor.send({ ...enqueue('merged', { set: { load1: 5 } }), base, fields: ['/load1'] });
    box.actor.send(enqueue('plain'));
    box.actor.send({ type: 'LINK.UP' });
    expect(box.frames).toEqual([
      {
        type: 'action',
        id: 'merged',
        topic: 'alerts.thresholds',
        payload: { set: { load1: 5 } },
        base,
        fields: ['/load1'],
      },
      { type: 'action', id: 'plain', topic: 'alerts.thresholds', payload: 'plain' },
    ]);
    expect(outboxView(box.actor.getSnapshot()).pending[0]).toMatchObject({
      base,
      fields: ['/load1'],
    });
    const conflicts = [{ path: '/load1', value: 7 }];
    box.actor.send({ type: 'NACK', id: 'merged', code: 'conflict', message: 'changed', conflicts });
    box.actor.send({ type: 'NACK', id: 'plain', code: 'out_of_range', message: 'no' });
    const [merged, plain] = outboxView(box.actor.getSnapshot()).refused;
    expect(merged).toMatchObject({ id: 'merged', base, fields: ['/load1'], conflicts });
    expect(plain).not.toHaveProperty('conflicts');
    expect(plain).not.toHaveProperty('base');
  });

  it('lets a newer merged action replace a queued one whose fields it all sets again, never a sent one', () => {
    box = start();
    const base = { epoch: 'e1', seq: 4 };
    const merged = (id: string, fields: string[]) => ({ ...enqueue(id), base, fields });
    box.actor.send(merged('sent', ['/load1']));
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send({ type: 'LINK.DOWN' });
    box.actor.send(merged('wider', ['/load1', '/cpuPercent']));
    box.actor.send(merged('load-only', ['/load1']));
    box.actor.send({ ...merged('notes', ['/load1']), topic: 'notes' });
    box.actor.send(merged('newest', ['/load1', '/cpuPercent']));
    // 'sent' went out before the link dropped and was requeued: it may have been applied, but it
    // is still the user's older value of /load1, so the newer one replaces it too.
    expect(outboxView(box.actor.getSnapshot()).pending.map((entry) => entry.id)).toEqual([
      'notes',
      'newest',
    ]);
    box.actor.send(enqueue('unmerged'));
    box.actor.send(merged('only-cpu', ['/cpuPercent']));
    expect(outboxView(box.actor.getSnapshot()).pending.map((entry) => entry.id)).toEqual([
      'notes',
      'newest',
      'unmerged',
      'only-cpu',
    ]);
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send(merged('after-send', ['/cpuPercent']));
    expect(outboxView(box.actor.getSnapshot()).pending.map((entry) => entry.id)).toContain(
      'only-cpu',
    );
  });

  it('sends each unacknowledged action exactly once per link, with the same id', () => {
    box = start();
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send(enqueue('a'));
    box.actor.send(enqueue('b'));
    box.actor.send({ type: 'ACK', id: 'a' });
    box.actor.send({ type: 'LINK.DOWN' });
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send({ type: 'LINK.DOWN' });
    box.actor.send({ type: 'LINK.UP' });
    expect(sentIds()).toEqual(['a', 'b', 'b', 'b']);
  });

  it('sends an action again when its ack is overdue, and not before', async () => {
    box = start(10_000);
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send(enqueue('a'));
    await vi.advanceTimersByTimeAsync(4_000);
    box.actor.send(enqueue('b'));
    await vi.advanceTimersByTimeAsync(5_999);
    expect(sentIds()).toEqual(['a', 'b']);
    await vi.advanceTimersByTimeAsync(1); // a is 10 s old
    expect(sentIds()).toEqual(['a', 'b', 'a']);
    await vi.advanceTimersByTimeAsync(4_000); // b is 10 s old
    expect(sentIds()).toEqual(['a', 'b', 'a', 'b']);
    box.actor.send({ type: 'ACK', id: 'a' });
    box.actor.send({ type: 'ACK', id: 'b' });
    expect(box.actor.getSnapshot().matches({ online: 'idle' })).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('removes an acked action and records a refused one with what the UI needs to roll back', async () => {
    box = start();
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send(enqueue('a', { version: 1, set: { cpuPercent: 90 } }));
    box.actor.send(enqueue('b'));
    await vi.advanceTimersByTimeAsync(250);
    box.actor.send({
      type: 'NACK',
      id: 'a',
      code: 'conflict',
      message: 'version 1 is not current',
    });
    box.actor.send({ type: 'ACK', id: 'b' });
    expect(outboxView(box.actor.getSnapshot())).toEqual({
      pending: [],
      refused: [
        {
          id: 'a',
          topic: 'alerts.thresholds',
          payload: { version: 1, set: { cpuPercent: 90 } },
          code: 'conflict',
          message: 'version 1 is not current',
          at: 1_000_250,
        },
      ],
    });
  });

  it('keeps only the last 20 refusals, newest last', () => {
    box = start();
    box.actor.send({ type: 'LINK.UP' });
    for (let i = 0; i < 25; i++) {
      box.actor.send(enqueue(`a${i}`));
      box.actor.send({ type: 'NACK', id: `a${i}`, code: 'out_of_range', message: String(i) });
    }
    const { refused } = outboxView(box.actor.getSnapshot());
    expect(refused.map((entry) => entry.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => `a${i + 5}`),
    );
  });

  it('ignores answers for actions it does not hold, and a repeated id', () => {
    box = start();
    box.actor.send({ type: 'LINK.UP' });
    box.actor.send(enqueue('a'));
    box.actor.send(enqueue('a'));
    box.actor.send({ type: 'NACK', id: 'zzz', code: 'conflict', message: '' });
    expect(sentIds()).toEqual(['a']);
    expect(outboxView(box.actor.getSnapshot())).toMatchObject({
      pending: [{ id: 'a' }],
      refused: [],
    });
  });
});

describe('outbox through the client', () => {
  let server: ScriptedServer;
  beforeEach(() => (server = new ScriptedServer()));
  afterEach(() => server.stop());

  it('flushes actions queued during a reconnect once, in order, and the server applies each once', async () => {
    const client = createTetherClient({
      url: server.httpUrl,
      WebSocket: server.WebSocket,
      fetch: null,
      network: false,
      random: () => 0.5,
    });
    await vi.advanceTimersByTimeAsync(10);
    server.actions = () => null; // the acks of the first connection are lost with it
    client.send('alerts.thresholds', 1);
    await vi.advanceTimersByTimeAsync(10);
    server.drop();
    await vi.advanceTimersByTimeAsync(5);
    expect(client.actor.getSnapshot().matches('reconnecting')).toBe(true);
    client.send('alerts.thresholds', 2);
    client.send('alerts.thresholds', 3);
    server.actions = 'ack';
    await vi.advanceTimersByTimeAsync(1_000);
    const second = server.framesOfType('action', 2).map((frame) => frame.payload);
    expect(server.framesOfType('action', 1).map((frame) => frame.payload)).toEqual([1]);
    expect(second).toEqual([1, 2, 3]);
    const ids = server.framesOfType('action').map((frame) => frame.id);
    expect(ids[0]).toBe(ids[1]); // the resend carries the same id, so the server deduplicates it
    expect(client.actor.getSnapshot().children.outbox!.getSnapshot().context.pending).toEqual([]);
    client.stop();
  });
});
