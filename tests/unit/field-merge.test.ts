import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteBroker } from '../../server/broker/sqlite-broker.ts';
import { ActionDispatcher } from '../../server/actions.ts';
import { Hub } from '../../server/hub.ts';
import { acceptPatches } from '../../server/patch-actions.ts';
import { applyThresholdsAction } from '../../server/sources/alerts-thresholds.ts';
import type { Thresholds } from '../../server/sources/alerts-thresholds.ts';
import { changedFields, fieldsOverlap, memberField } from '../../src/protocol/index.ts';
import type { ActionFrame, Position } from '../../src/protocol/index.ts';

interface Doc {
  a: number;
  b: number;
  nested: { x: number; y: number };
  list: number[];
}
const initial = (): Doc => ({ a: 1, b: 2, nested: { x: 1, y: 2 }, list: [1, 2, 3] });

function setup(historyLength?: number) {
  const hub = new Hub();
  const topic = hub.defineTopic<Doc>('doc', {
    initial: initial(),
    historyLength,
    onAction: acceptPatches<Doc>(),
  });
  return { hub, topic, actions: new ActionDispatcher(hub, { onError: () => undefined }) };
}

let ids = 0;
const edit = (
  base: Position | undefined,
  fields: string[] | undefined,
  payload: unknown,
): ActionFrame => ({
  type: 'action',
  id: `a${++ids}`,
  topic: 'doc',
  payload,
  ...(base && { base }),
  ...(fields && { fields }),
});
const replace = (path: string, value: unknown) => ({ ops: [{ op: 'replace', path, value }] });

describe('pointers', () => {
  it('overlap when equal or one inside the other, not when siblings or mere prefixes', () => {
    expect(fieldsOverlap('/a', '/a')).toBe(true);
    expect(fieldsOverlap('/a', '/a/b')).toBe(true);
    expect(fieldsOverlap('/a/b', '/a')).toBe(true);
    expect(fieldsOverlap('', '/a')).toBe(true);
    expect(fieldsOverlap('/a', '/ab')).toBe(false);
    expect(fieldsOverlap('/a/b', '/a/c')).toBe(false);
  });

  it('count an array insertion or removal as a change of the whole array', () => {
    expect(
      changedFields([
        { op: 'add', path: '/list/-', value: 4 },
        { op: 'remove', path: '/list/0' },
        { op: 'replace', path: '/list/2', value: 9 },
        { op: 'add', path: '/nested/z', value: 1 },
        { op: 'move', from: '/a', path: '/c' },
        { op: 'test', path: '/b', value: 2 },
      ]),
    ).toEqual(['/list', '/list/2', '/nested/z', '/c', '/a']);
  });

  it('escape member names', () => {
    expect(memberField('a/b~c')).toBe('/a~1b~0c');
  });
});

describe('per-field merge of actions', () => {
  it('applies an edit whose field did not change since its base, whatever else did', async () => {
    const { topic, actions } = setup();
    const base = topic.position;
    await actions.dispatch(edit(base, ['/a'], replace('/a', 10)), 'websocket');
    const reply = await actions.dispatch(edit(base, ['/b'], replace('/b', 20)), 'websocket');
    expect(reply.type).toBe('ack');
    expect(topic.state).toMatchObject({ a: 10, b: 20 });
  });

  it('refuses an edit whose field changed since its base, naming it with its current value', async () => {
    const { topic, actions } = setup();
    const base = topic.position;
    await actions.dispatch(edit(base, ['/nested/x'], replace('/nested/x', 5)), 'websocket');
    const reply = await actions.dispatch(
      edit(base, ['/nested/x'], replace('/nested/x', 7)),
      'websocket',
    );
    expect(reply).toMatchObject({
      type: 'nack',
      code: 'conflict',
      conflicts: [{ path: '/nested/x', value: 5 }],
    });
    expect(topic.state.nested.x).toBe(5);
  });

  it('sees a change of a parent or a child as a change of the field', async () => {
    const { topic, actions } = setup();
    const base = topic.position;
    await actions.dispatch(edit(base, ['/nested'], replace('/nested', { x: 0, y: 0 })), 'http');
    const child = await actions.dispatch(
      edit(base, ['/nested/y'], replace('/nested/y', 3)),
      'http',
    );
    expect(child).toMatchObject({
      code: 'conflict',
      conflicts: [{ path: '/nested/y', value: 0 }],
    });
    const unrelated = await actions.dispatch(
      edit(base, ['/list/1'], replace('/list/1', 3)),
      'http',
    );
    expect(unrelated.type).toBe('ack');
    // An append shifts nothing before it, but counts against the whole array.
    const later = topic.position;
    await actions.dispatch(
      edit(later, ['/list'], { ops: [{ op: 'add', path: '/list/-', value: 9 }] }),
      'http',
    );
    const element = await actions.dispatch(edit(later, ['/list/0'], replace('/list/0', 0)), 'http');
    expect(element).toMatchObject({ code: 'conflict', conflicts: [{ path: '/list/0', value: 1 }] });
  });

  it('counts changes published by anyone, not only by actions', async () => {
    const { hub, topic, actions } = setup();
    const base = topic.position;
    hub.publish('doc', [{ op: 'replace', path: '/a', value: 99 }]);
    const reply = await actions.dispatch(edit(base, ['/a'], replace('/a', 1)), 'websocket');
    expect(reply).toMatchObject({ code: 'conflict', conflicts: [{ path: '/a', value: 99 }] });
  });

  it('reports a field that is gone without a value', async () => {
    const { topic, actions } = setup();
    const base = topic.position;
    await actions.dispatch(edit(base, ['/b'], { ops: [{ op: 'remove', path: '/b' }] }), 'http');
    const reply = await actions.dispatch(edit(base, ['/b'], replace('/b', 1)), 'http');
    expect(reply).toMatchObject({ code: 'conflict', conflicts: [{ path: '/b' }] });
    expect(reply.type === 'nack' && reply.conflicts?.[0]).not.toHaveProperty('value');
  });

  it('answers stale_base when the history no longer reaches the base and the field is unchanged since', async () => {
    const { topic, actions } = setup(2);
    const base = topic.position;
    for (const value of [1, 2, 3])
      await actions.dispatch(edit(topic.position, ['/a'], replace('/a', value * 10)), 'http');
    const unknown = await actions.dispatch(edit(base, ['/b'], replace('/b', 5)), 'http');
    expect(unknown).toMatchObject({
      type: 'nack',
      code: 'stale_base',
      conflicts: [{ path: '/b', value: 2 }],
    });
    expect(unknown.type === 'nack' && unknown.message).toMatch(/history kept starts at seq 2/);
    // A field changed within the history kept is a plain conflict, base or no base.
    const known = await actions.dispatch(edit(base, ['/a'], replace('/a', 5)), 'http');
    expect(known).toMatchObject({ code: 'conflict', conflicts: [{ path: '/a', value: 30 }] });
    expect(topic.state.b).toBe(2);
  });

  it('answers stale_base for a base from another epoch or beyond the current seq', async () => {
    const { topic, actions } = setup();
    const other = await actions.dispatch(
      edit({ epoch: 'gone', seq: 0 }, ['/a'], replace('/a', 5)),
      'http',
    );
    expect(other).toMatchObject({ code: 'stale_base', conflicts: [{ path: '/a', value: 1 }] });
    const ahead = await actions.dispatch(
      edit({ epoch: topic.epoch, seq: 7 }, ['/a'], replace('/a', 5)),
      'http',
    );
    expect(ahead).toMatchObject({ code: 'stale_base' });
    expect(topic.seq).toBe(0);
  });

  it('refuses a base without fields, data with a base, and ops outside the fields', async () => {
    const { topic, actions } = setup();
    const base = topic.position;
    expect(await actions.dispatch(edit(base, undefined, replace('/a', 5)), 'http')).toMatchObject({
      code: 'bad_frame',
      message: expect.stringMatching(/base and fields go together/),
    });
    expect(
      await actions.dispatch(edit(base, ['/a'], { data: { ...initial(), a: 5 } }), 'http'),
    ).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/ops, not data/) });
    expect(await actions.dispatch(edit(base, ['/a'], replace('/b', 5)), 'http')).toMatchObject({
      code: 'bad_frame',
      message: expect.stringMatching(/\/b/),
    });
    expect(topic.seq).toBe(0);
  });

  it('leaves actions without a base as they were', async () => {
    const { topic, actions } = setup();
    await actions.dispatch(edit(undefined, undefined, replace('/a', 5)), 'http');
    await actions.dispatch(edit(undefined, undefined, replace('/a', 6)), 'http');
    expect(topic.state.a).toBe(6);
  });
});

describe('per-field merge across a restart (SQLite broker)', () => {
  it('still knows which fields changed since a base made before the restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-merge-'));
    const start = () => {
      const hub = new Hub({ broker: new SqliteBroker({ dataDir: dir }) });
      const topic = hub.defineTopic<Doc>('doc', {
        initial: initial(),
        onAction: acceptPatches<Doc>(),
      });
      return { hub, topic, actions: new ActionDispatcher(hub) };
    };
    try {
      const before = start();
      await before.hub.broker.ready();
      const base = before.topic.position;
      await before.actions.dispatch(edit(base, ['/a'], replace('/a', 10)), 'http');
      await before.hub.broker.close();

      const after = start();
      await after.hub.broker.ready();
      expect(after.topic.position).toEqual({ epoch: base.epoch, seq: 1 });
      expect(
        await after.actions.dispatch(edit(base, ['/a'], replace('/a', 5)), 'http'),
      ).toMatchObject({ code: 'conflict', conflicts: [{ path: '/a', value: 10 }] });
      expect(
        await after.actions.dispatch(edit(base, ['/b'], replace('/b', 5)), 'http'),
      ).toMatchObject({ type: 'ack' });
      expect(after.topic.state).toMatchObject({ a: 10, b: 5 });
      await after.hub.broker.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('alerts.thresholds with a base', () => {
  const thresholds = (): Thresholds => ({
    version: 1,
    cpuPercent: 90,
    memoryPercent: 90,
    load1: 4,
  });
  function thresholdsHub() {
    const hub = new Hub();
    const topic = hub.defineTopic<Thresholds>('alerts.thresholds', {
      initial: thresholds(),
      onAction: (payload, { state, base }) => applyThresholdsAction(payload, state, base),
    });
    return { topic, actions: new ActionDispatcher(hub) };
  }
  const set = (base: Position, values: Partial<Thresholds>, fields = Object.keys(values)) => ({
    type: 'action' as const,
    id: `t${++ids}`,
    topic: 'alerts.thresholds',
    payload: { set: values },
    base,
    fields: fields.map(memberField),
  });

  it('merges edits of different thresholds made from the same version, bumping it each time', async () => {
    const { topic, actions } = thresholdsHub();
    const base = topic.position;
    expect(await actions.dispatch(set(base, { memoryPercent: 88 }), 'http')).toMatchObject({
      type: 'ack',
    });
    expect(await actions.dispatch(set(base, { load1: 5 }), 'http')).toMatchObject({ type: 'ack' });
    expect(topic.state).toEqual({ version: 3, cpuPercent: 90, memoryPercent: 88, load1: 5 });
  });

  it('refuses the same threshold with its current value, and a set outside the fields', async () => {
    const { topic, actions } = thresholdsHub();
    const base = topic.position;
    await actions.dispatch(set(base, { cpuPercent: 75 }), 'http');
    expect(await actions.dispatch(set(base, { cpuPercent: 70 }), 'http')).toMatchObject({
      code: 'conflict',
      conflicts: [{ path: '/cpuPercent', value: 75 }],
    });
    expect(
      await actions.dispatch(set(topic.position, { cpuPercent: 70 }, ['load1']), 'http'),
    ).toMatchObject({ code: 'bad_frame' });
  });

  it('still answers the old whole-document form by its version', async () => {
    const { actions } = thresholdsHub();
    const old = (version: number, id: string) => ({
      type: 'action' as const,
      id,
      topic: 'alerts.thresholds',
      payload: { version, set: { load1: 6 } },
    });
    expect(await actions.dispatch(old(1, 'o1'), 'http')).toMatchObject({ type: 'ack' });
    expect(await actions.dispatch(old(1, 'o2'), 'http')).toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/version 2, not 1/),
    });
    expect(
      await actions.dispatch({ ...old(1, 'o3'), payload: { set: { load1: 6 } } }, 'http'),
    ).toMatchObject({ code: 'bad_frame', message: expect.stringMatching(/base and fields/) });
  });
});
