import './setup.ts';
import { fireEvent, render, screen, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalTetherClient } from '../../src/client/index.ts';
import { App } from '../../src/dashboard/App.tsx';
import type { DashboardConfig } from '../../src/protocol/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { connectClient, tearDownClient } from './client-fixture.ts';
import { manualFrames } from './frames.ts';

// A custom topic appears on the dashboard from config alone: no widget code names it.

const T0 = new Date(2025, 0, 1, 9, 30, 0).getTime();

const CONFIG: DashboardConfig = {
  title: 'shop floor',
  widgets: [
    {
      view: 'series',
      topic: 'orders.perMinute',
      title: 'Orders per minute',
      path: '/samples',
      fields: ['count'],
      unit: '/min',
    },
    {
      view: 'number',
      topic: 'orders.perMinute',
      title: 'Orders now',
      path: '/samples',
      fields: ['count', 'revenue'],
    },
    { view: 'table', topic: 'shop.stock', title: 'Stock', fields: ['sku', 'left'] },
    { view: 'events', topic: 'deploys', title: 'Deploys', path: '/items', limit: 2 },
    { view: 'number', topic: 'no.such.topic', title: 'Broken' },
    { view: 'load' },
  ],
};

let server: ScriptedServer;
let client: LocalTetherClient;
let frames: ReturnType<typeof manualFrames>;

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers({ now: T0 });
  frames = manualFrames();
  server = new ScriptedServer();
  server.topic('orders.perMinute', {
    samples: [
      { t: T0 - 60_000, count: 12, revenue: 340.5 },
      { t: T0, count: 15, revenue: 402.25 },
    ],
  });
  server.topic('shop.stock', [
    { sku: 'A-1', left: 4, warehouse: 'north' },
    { sku: 'B-2', left: 0, warehouse: 'south' },
  ]);
  server.topic('deploys', {
    items: [{ id: 'd1', t: T0 - 5000, level: 'info', message: 'api v41 deployed' }],
  });
  server.topic('host.load', {
    t: T0,
    load1: 0.5,
    load5: 0.4,
    load15: 0.3,
    cores: 2,
    uptimeSec: 3600,
  });
  client = connectClient(server);
});
afterEach(() => tearDownClient(client, server));

async function tick(ms = 20) {
  await vi.advanceTimersByTimeAsync(ms);
  frames.flushFrame();
  frames.flushFrame();
}

const widget = (title: string) => screen.getByRole('region', { name: title });

describe('dashboard config', () => {
  it('renders custom topics with the generic widget, as series, number, table and events, next to built-in widgets', async () => {
    render(() => <App client={client} pollWaitMs={20_000} dashboard={CONFIG} />);
    await tick();

    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('Tether shop floor');
    // Only the configured widgets, in config order; CPU and the rest of the defaults are not there.
    expect(screen.getAllByRole('region').map((r) => r.getAttribute('data-widget'))).toEqual([
      'series:orders.perMinute',
      'number:orders.perMinute',
      'table:shop.stock',
      'events:deploys',
      'number:no.such.topic',
      'load',
    ]);
    expect(screen.queryByRole('region', { name: 'CPU' })).toBeNull();
    expect(client.actor.getSnapshot().children['sub:host.cpu']).toBeUndefined();

    // series: a chart and the newest value of each field
    const series = widget('Orders per minute');
    expect(series.querySelector('[role="figure"]')!.getAttribute('aria-label')).toBe(
      'Orders per minute over time',
    );
    expect(series.querySelector('.summary')!.textContent).toBe('count 15 /min');
    // number: the newest row's chosen fields
    const tiles = () =>
      [...widget('Orders now').querySelectorAll('.tile')].map((t) => t.textContent);
    expect(tiles()).toEqual(['count15', 'revenue402.3']);
    // table: the chosen columns only
    const table = within(widget('Stock')).getByRole('table');
    expect(
      within(table)
        .getAllByRole('columnheader')
        .map((th) => th.textContent),
    ).toEqual(['sku', 'left']);
    expect(
      within(table)
        .getAllByRole('row')
        .map((tr) => tr.textContent),
    ).toEqual(['skuleft', 'A-14', 'B-20']);
    // events: newest first with time, level and message
    expect(within(widget('Deploys')).getByRole('list').textContent).toBe(
      'info09:29:55api v41 deployed',
    );
    // a topic the server does not have says so, in the widget
    expect(widget('Broken').textContent).toContain('No data: no topic "no.such.topic"');
    // a built-in widget from the same config
    expect(widget('Load average').textContent).toContain('0.50');

    // Live updates flow through the same subscription into every view of the topic.
    server.publish('orders.perMinute', [
      { op: 'add', path: '/samples/-', value: { t: T0 + 60_000, count: 21, revenue: 515 } },
      { op: 'remove', path: '/samples/0' },
    ]);
    server.publish('deploys', [
      {
        op: 'add',
        path: '/items/-',
        value: { id: 'd2', t: T0 + 1000, level: 'error', message: 'web v12 rolled back' },
      },
    ]);
    server.publish('deploys', [
      {
        op: 'add',
        path: '/items/-',
        value: { id: 'd3', t: T0 + 2000, message: 'web v13 deployed' },
      },
    ]);
    await tick();
    expect(widget('Orders per minute').querySelector('.summary')!.textContent).toBe(
      'count 21 /min',
    );
    expect(tiles()).toEqual(['count21', 'revenue515']);
    // limit 2: the oldest event is no longer shown
    expect(
      within(widget('Deploys'))
        .getAllByRole('listitem')
        .map((li) => li.textContent),
    ).toEqual(['09:30:02web v13 deployed', 'error09:30:01web v12 rolled back']);
  });

  it('lists configured widgets in the Widgets menu by title, and hiding one releases its topic', async () => {
    render(() => <App client={client} pollWaitMs={20_000} dashboard={CONFIG} />);
    await tick();
    expect(screen.getAllByRole('checkbox').map((c) => c.parentElement!.textContent)).toEqual([
      'Orders per minute',
      'Orders now',
      'Stock',
      'Deploys',
      'Broken',
      'Load average',
    ]);
    fireEvent.click(screen.getByRole('checkbox', { name: 'Stock' }));
    await tick();
    expect(screen.queryByRole('region', { name: 'Stock' })).toBeNull();
    expect(server.framesOfType('unsubscribe')).toEqual([
      { type: 'unsubscribe', topic: 'shop.stock' },
    ]);
  });

  it('says so in the widget when the data does not fit the view', async () => {
    const config: DashboardConfig = {
      widgets: [
        { view: 'series', topic: 'shop.stock', title: 'Stock series', fields: ['left'] },
        { view: 'table', topic: 'deploys', title: 'Deploys table' },
      ],
    };
    render(() => <App client={client} pollWaitMs={20_000} dashboard={config} />);
    await tick();
    // Rows without the time field draw nothing; an object is not a table.
    expect(widget('Stock series').querySelector('.summary')!.textContent).toBe('left —');
    expect(widget('Deploys table').textContent).toContain(
      'Expected a list of objects for a table.',
    );
  });

  it('shows the default host widgets, and a warning toast, when given the fallback with a warning', async () => {
    render(() => (
      <App
        client={client}
        pollWaitMs={20_000}
        configWarning="/dashboard.json is not a valid dashboard config: widgets: Invalid type; showing the default widgets."
      />
    ));
    await tick();
    expect(screen.getByRole('region', { name: 'CPU' })).toBeTruthy();
    expect(screen.getByRole('status').textContent).toContain(
      '/dashboard.json is not a valid dashboard config',
    );
  });
});
