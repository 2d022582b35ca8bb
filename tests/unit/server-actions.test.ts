import { describe, expect, it, vi } from 'vitest';
import type { ActionFrame } from '../../src/protocol/index.ts';
import { ActionDispatcher } from '../../server/actions.ts';
import { Hub } from '../../server/hub.ts';
import type { ActionHandler } from '../../server/hub.ts';
import { applyThresholdsAction } from '../../server/sources/alerts-thresholds.ts';
import type { Thresholds } from '../../server/sources/alerts-thresholds.ts';

const action = (id: string, topic: string, payload: unknown = {}): ActionFrame => ({
  type: 'action',
  id,
  topic,
  payload,
});

function setup(onAction: ActionHandler<{ n: number }>, dedupeSize?: number) {
  const hub = new Hub();
  const topic = hub.defineTopic('counter', { initial: { n: 0 }, onAction });
  hub.defineTopic('readonly', { initial: {} });
  const onError = vi.fn();
  return { hub, topic, onError, actions: new ActionDispatcher(hub, { dedupeSize, onError }) };
}

const increment: ActionHandler<{ n: number }> = (_, { state }) => ({
  ok: true,
  ops: [{ op: 'replace', path: '/n', value: state.n + 1 }],
});

describe('ActionDispatcher', () => {
  it('publishes the ops of an accepted action, then acks', async () => {
    const { actions, topic } = setup(increment);
    await expect(actions.dispatch(action('a1', 'counter'), 'websocket')).resolves.toEqual({
      type: 'ack',
      id: 'a1',
    });
    expect(topic.state).toEqual({ n: 1 });
    expect(topic.seq).toBe(1);
  });

  it('applies a repeated id once and answers it with the same ack', async () => {
    const handler = vi.fn(increment);
    const { actions, topic } = setup(handler);
    const first = await actions.dispatch(action('a1', 'counter'), 'websocket');
    const again = await actions.dispatch(action('a1', 'counter'), 'http');
    expect(again).toEqual(first);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(topic.state).toEqual({ n: 1 });
  });

  it('repeats a nack for a repeated id without running the handler again', async () => {
    const handler = vi.fn<ActionHandler<{ n: number }>>(() => ({
      ok: false,
      code: 'conflict',
      message: 'stale',
    }));
    const { actions } = setup(handler);
    const expected = { type: 'nack', id: 'x', code: 'conflict', message: 'stale' };
    await expect(actions.dispatch(action('x', 'counter'), 'websocket')).resolves.toEqual(expected);
    await expect(actions.dispatch(action('x', 'counter'), 'websocket')).resolves.toEqual(expected);
    expect(handler).toHaveBeenCalledTimes(1);
  });

  it('gives an id repeated while its async handler runs the same answer', async () => {
    let finish!: () => void;
    const handler = vi.fn<ActionHandler<{ n: number }>>(
      () =>
        new Promise(
          (resolve) =>
            (finish = () => resolve({ ok: true, ops: [{ op: 'replace', path: '/n', value: 5 }] })),
        ),
    );
    const { actions, topic } = setup(handler);
    const first = actions.dispatch(action('slow', 'counter'), 'websocket');
    const second = actions.dispatch(action('slow', 'counter'), 'websocket');
    finish();
    expect(await first).toEqual({ type: 'ack', id: 'slow' });
    expect(await second).toEqual({ type: 'ack', id: 'slow' });
    expect(handler).toHaveBeenCalledTimes(1);
    expect(topic.seq).toBe(1);
  });

  it('forgets the least recently used ids beyond its capacity', async () => {
    const { actions, topic } = setup(increment, 2);
    for (const id of ['a', 'b', 'a', 'c'])
      await actions.dispatch(action(id, 'counter'), 'websocket');
    expect(topic.state.n).toBe(3); // a, b, c; the repeat of a was deduplicated
    await actions.dispatch(action('a', 'counter'), 'websocket'); // still remembered (used recently)
    expect(topic.state.n).toBe(3);
    await actions.dispatch(action('b', 'counter'), 'websocket'); // evicted by c, so it runs again
    expect(topic.state.n).toBe(4);
  });

  it('runs a synchronous handler and publishes before returning, so a second action sees the new state', () => {
    const seen: number[] = [];
    const { actions } = setup((payload, ctx) => {
      seen.push(ctx.state.n);
      return increment(payload, ctx);
    });
    void actions.dispatch(action('p', 'counter'), 'websocket');
    void actions.dispatch(action('q', 'counter'), 'websocket');
    expect(seen).toEqual([0, 1]);
  });

  it('nacks unknown topics with unknown_topic and read-only topics with not_writable', async () => {
    const { actions } = setup(increment);
    await expect(actions.dispatch(action('u', 'nope'), 'websocket')).resolves.toMatchObject({
      type: 'nack',
      id: 'u',
      code: 'unknown_topic',
    });
    await expect(actions.dispatch(action('r', 'readonly'), 'websocket')).resolves.toMatchObject({
      type: 'nack',
      id: 'r',
      code: 'not_writable',
    });
  });

  it('nacks with internal, and reports, when the handler throws or its ops do not apply', async () => {
    const { actions: throwing, onError } = setup(() => {
      throw new Error('boom');
    });
    await expect(throwing.dispatch(action('t', 'counter'), 'websocket')).resolves.toEqual({
      type: 'nack',
      id: 't',
      code: 'internal',
      message: 'the action handler failed',
    });
    expect(onError).toHaveBeenCalledOnce();

    const { actions: badOps, topic } = setup(() => ({
      ok: true,
      ops: [{ op: 'remove', path: '/missing' }],
    }));
    const reply = await badOps.dispatch(action('o', 'counter'), 'websocket');
    expect(reply).toMatchObject({
      type: 'nack',
      code: 'internal',
      message: expect.stringContaining('patch refused'),
    });
    expect(topic.seq).toBe(0);
  });

  it('passes payload and context to the handler', async () => {
    const handler = vi.fn<ActionHandler<{ n: number }>>(() => ({ ok: true }));
    const { actions } = setup(handler);
    await actions.dispatch(action('c', 'counter', { hello: 1 }), 'http');
    expect(handler).toHaveBeenCalledWith(
      { hello: 1 },
      {
        id: 'c',
        topic: 'counter',
        state: { n: 0 },
        limits: { maxDepth: 64, maxStateBytes: 1024 * 1024, maxHistoryBytes: 8 * 1024 * 1024 },
        transport: 'http',
      },
    );
  });
});

describe('alerts.thresholds action', () => {
  const state: Thresholds = { version: 3, cpuPercent: 90, memoryPercent: 80, load1: 4 };

  it('sets the given thresholds and bumps the version', () => {
    const result = applyThresholdsAction(
      { version: 3, set: { cpuPercent: 75.5, load1: 0.1 } },
      state,
    );
    expect(result.ok).toBe(true);
    const ops = result.ok ? result.ops! : [];
    expect(ops).toEqual(
      expect.arrayContaining([
        { op: 'replace', path: '/version', value: 4 },
        { op: 'replace', path: '/cpuPercent', value: 75.5 },
        { op: 'replace', path: '/load1', value: 0.1 },
      ]),
    );
    expect(ops).toHaveLength(3);
  });

  it('refuses a stale version with conflict', () => {
    expect(applyThresholdsAction({ version: 2, set: { cpuPercent: 50 } }, state)).toMatchObject({
      ok: false,
      code: 'conflict',
    });
  });

  it.each([
    { cpuPercent: 0 },
    { cpuPercent: 100.5 },
    { memoryPercent: 0.5 },
    { memoryPercent: 101 },
    { load1: 0.09 },
    { load1: 1001 },
  ])('refuses %o with out_of_range', (set) => {
    expect(applyThresholdsAction({ version: 3, set }, state)).toMatchObject({
      ok: false,
      code: 'out_of_range',
    });
  });

  it.each([
    ['a non-object', 'hi'],
    ['no version', { set: { cpuPercent: 50 } }],
    ['a fractional version', { version: 3.5, set: { cpuPercent: 50 } }],
    ['an empty set', { version: 3, set: {} }],
    ['an unknown threshold', { version: 3, set: { cpu: 50 } }],
    ['a string value', { version: 3, set: { cpuPercent: '50' } }],
  ])('refuses %s with bad_frame', (_, payload) => {
    expect(applyThresholdsAction(payload, state)).toMatchObject({ ok: false, code: 'bad_frame' });
  });
});
