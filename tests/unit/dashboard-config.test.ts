import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  atPointer,
  asRows,
  columnsOf,
  formatNumber,
  formatValue,
  numericFields,
} from '../../src/dashboard/generic/read-data.ts';
import { loadDashboardConfig } from '../../src/dashboard/dashboard-config.ts';
import {
  DEFAULT_DASHBOARD_CONFIG,
  validateDashboardConfig,
  widgetId,
} from '../../src/protocol/index.ts';
import { defineConfiguredTopics, readTopicsFile } from '../../server/config-files.ts';
import { readEnv } from '../../server/env.ts';
import { createTetherServer } from '../../server/tether-server.ts';

const scratch = mkdtempSync(join(tmpdir(), 'tether-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const file = (name: string, value: unknown) => {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
};

describe('dashboard config schema', () => {
  it('accepts built-in and topic widgets and names them', () => {
    const checked = validateDashboardConfig({
      widgets: [
        { view: 'cpu' },
        { view: 'series', topic: 'orders.perMinute', title: 'Orders' },
        { view: 'number', topic: 'orders.perMinute', title: 'Now', id: 'orders-now' },
      ],
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(checked.config.widgets.map(widgetId)).toEqual([
      'cpu',
      'series:orders.perMinute',
      'orders-now',
    ]);
  });

  it('the default is the host-metrics dashboard, every built-in widget once', () => {
    expect(validateDashboardConfig(DEFAULT_DASHBOARD_CONFIG)).toEqual({
      ok: true,
      config: DEFAULT_DASHBOARD_CONFIG,
    });
    expect(DEFAULT_DASHBOARD_CONFIG.widgets.map(widgetId)).toEqual([
      'cpu',
      'memory',
      'load',
      'eventloop',
      'clients',
      'alerts',
      'thresholds',
      'activity',
    ]);
  });

  it.each([
    [{}, 'widgets: Invalid key'],
    [{ widgets: [{ view: 'gauge', topic: 'x', title: 'X' }] }, 'widgets.0.view: Invalid type'],
    [{ widgets: [{ view: 'table', topic: 'x' }] }, 'widgets.0.title: Invalid key'],
    [
      { widgets: [{ view: 'table', topic: 'x', title: 'X', colums: ['a'] }] },
      'widgets.0.colums: unknown field (misspelt?)',
    ],
    [
      { widgets: [{ view: 'events', topic: 'x', title: 'X', path: 'items' }] },
      'widgets.0.path: a JSON Pointer is empty or starts with "/"',
    ],
    [{ widgets: [{ view: 'cpu' }, { view: 'cpu' }] }, 'widgets: two widgets have the id "cpu"'],
    [{ widgets: [{ view: 'cpu', title: 'My CPU' }] }, 'widgets.0.title: unknown field'],
  ])('refuses %j: %s', (config, message) => {
    const checked = validateDashboardConfig(config);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.message).toContain(message);
  });
});

describe('loadDashboardConfig', () => {
  const answer = (status: number, body: unknown) => async () => ({
    ok: status < 400,
    status,
    json: async () => body,
  });

  it('uses the server’s config when it is valid', async () => {
    const config = { widgets: [{ view: 'load' }] };
    expect(await loadDashboardConfig(answer(200, config))).toEqual({ config, warning: null });
  });

  it('falls back to the default silently when the server has none (404)', async () => {
    expect(await loadDashboardConfig(answer(404, {}))).toEqual({
      config: DEFAULT_DASHBOARD_CONFIG,
      warning: null,
    });
  });

  it('falls back to the default with a warning when the config is invalid or unreachable', async () => {
    expect(await loadDashboardConfig(answer(200, { widgets: 'all' }))).toEqual({
      config: DEFAULT_DASHBOARD_CONFIG,
      warning:
        '/dashboard.json is not a valid dashboard config: widgets: Invalid type: Expected Array but received "all"; showing the default widgets.',
    });
    expect((await loadDashboardConfig(answer(500, {}))).warning).toBe(
      'Could not load /dashboard.json (HTTP 500); showing the default widgets.',
    );
    const down = async () => Promise.reject(new TypeError('fetch failed'));
    expect((await loadDashboardConfig(down)).warning).toBe(
      'Could not load /dashboard.json (fetch failed); showing the default widgets.',
    );
  });
});

describe('reading unknown topics (generic widgets)', () => {
  it('follows JSON Pointers, with escapes and array indexes, and nothing else', () => {
    const doc = { 'a/b': { '~x': [10, 20] }, items: [{ n: 1 }], proto: {} };
    expect(atPointer(doc, '')).toBe(doc);
    expect(atPointer(doc, '/a~1b/~0x/1')).toBe(20);
    expect(atPointer(doc, '/items/0/n')).toBe(1);
    expect(atPointer(doc, '/items/01')).toBeUndefined();
    expect(atPointer(doc, '/missing/x')).toBeUndefined();
    expect(atPointer(doc, '/proto/constructor')).toBeUndefined();
  });

  it('recognises rows and their numeric fields', () => {
    expect(asRows([{ a: 1 }, { b: 2 }])).toHaveLength(2);
    expect(asRows([{ a: 1 }, 2])).toBeNull();
    expect(asRows({ a: 1 })).toBeNull();
    expect(numericFields({ t: 1, count: 2, name: 'x', bad: Number.NaN, rate: 0.5 }, ['t'])).toEqual(
      ['count', 'rate'],
    );
    expect(columnsOf([{ a: 1 }, { b: 2, a: 3 }])).toEqual(['a', 'b']);
  });

  it('formats values for a cell or a tile, locale-independently', () => {
    expect([42, 12.3456, 1234.5, 0.00123, -3.5].map(formatNumber)).toEqual([
      '42',
      '12.35',
      '1235',
      '0.00123',
      '-3.5',
    ]);
    expect([null, true, 'text', { a: 1 }].map((v) => formatValue(v))).toEqual([
      '—',
      'yes',
      'text',
      '{"a":1}',
    ]);
    expect(formatValue('x'.repeat(10), 5)).toBe('x'.repeat(10));
    expect(formatValue({ long: 'x'.repeat(200) })).toHaveLength(120);
  });
});

describe('CLI configuration files', () => {
  it('reads TETHER_TOPICS, TETHER_DASHBOARD and TETHER_PUBLISH_KEY', () => {
    const topics = file('topics.json', [
      { name: 'orders.perMinute', initial: { samples: [] }, historyLength: 10 },
      { name: 'flags', initial: { beta: false }, writable: true },
    ]);
    const dashboard = file('dashboard.json', {
      widgets: [{ view: 'number', topic: 'flags', title: 'Flags' }],
    });
    const config = readEnv({
      TETHER_TOPICS: topics,
      TETHER_DASHBOARD: dashboard,
      TETHER_PUBLISH_KEY: 'key-one-0123456789abcdef, key-two-0123456789abcdef',
    });
    expect(config.topics).toEqual([
      { name: 'orders.perMinute', initial: { samples: [] }, historyLength: 10 },
      { name: 'flags', initial: { beta: false }, writable: true },
    ]);
    expect(config.server).toMatchObject({
      publishKey: ['key-one-0123456789abcdef', 'key-two-0123456789abcdef'],
      dashboard: { widgets: [{ title: 'Flags' }] },
    });
  });

  it('refuses a topics file that names a topic twice', () => {
    expect(() =>
      readTopicsFile(
        file('twice.json', [
          { name: 'a', initial: 1 },
          { name: 'a', initial: 2 },
        ]),
      ),
    ).toThrow('TETHER_TOPICS: ' + join(scratch, 'twice.json') + ': topic "a" is defined twice');
  });

  it('defines configured topics; a writable one accepts { ops } / { data } actions', async () => {
    const server = createTetherServer({ staticDir: false });
    defineConfiguredTopics(server, [
      { name: 'flags', initial: { beta: false }, writable: true },
      { name: 'orders', initial: [], historyLength: 3 },
    ]);
    expect(server.hub.list().map(({ name, writable }) => ({ name, writable }))).toEqual([
      { name: 'flags', writable: true },
      { name: 'orders', writable: false },
    ]);
    expect(server.hub.topic('orders')!.historyLength).toBe(3);
    const target = server.hub.actionTarget('flags');
    if (typeof target === 'string') throw new Error(target);
    expect(
      await target.onAction(
        { data: { beta: true } },
        { id: 'a', topic: 'flags', state: { beta: false }, transport: 'http' },
      ),
    ).toEqual({
      ok: true,
      ops: [{ op: 'replace', path: '/beta', value: true }],
    });
    await server.close();
  });
});
