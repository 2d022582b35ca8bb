import './setup.ts';
import { cleanup, fireEvent, render, screen, within } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTetherClient, type LocalTetherClient } from '../../src/client/index.ts';
import { App } from '../../src/dashboard/App.tsx';
import { WIDGETS_STORAGE_KEY } from '../../src/dashboard/widget-settings.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { connectClient, tearDownClient } from './client-fixture.ts';
import { manualFrames } from './frames.ts';

const T0 = new Date(2025, 0, 1, 9, 30, 0).getTime();
const GiB = 1024 ** 3;

function seedTopics(server: ScriptedServer) {
  server.topic('host.cpu', {
    cores: 2,
    model: 'Test CPU',
    intervalMs: 1000,
    samples: [{ t: T0, total: 42, perCore: [40, 44] }],
  });
  server.topic('host.memory', {
    totalBytes: 8 * GiB,
    intervalMs: 1000,
    samples: [{ t: T0, usedBytes: 2 * GiB, serverRssBytes: 80 * 1024 ** 2 }],
  });
  server.topic('host.load', {
    t: T0,
    load1: 0.5,
    load5: 0.4,
    load15: 0.3,
    cores: 2,
    uptimeSec: 3600,
  });
  server.topic('server.eventloop', { t: T0, meanMs: 1.2, p50Ms: 1.1, p99Ms: 4.2, maxMs: 9.9 });
  server.topic('server.clients', { t: T0, websocket: 1, polling: 0, total: 1 });
  server.topic('alerts.thresholds', { version: 1, cpuPercent: 90, memoryPercent: 90, load1: 4 });
  server.topic('alerts.feed', { items: [] });
}

let server: ScriptedServer;
let client: LocalTetherClient;
let frames: ReturnType<typeof manualFrames>;

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers({ now: T0 });
  frames = manualFrames();
  server = new ScriptedServer();
  seedTopics(server);
  client = connectClient(server);
});
afterEach(() => tearDownClient(client, server));

/** Lets mock-socket's 4 ms deliveries happen, then runs the frames that render them. */
async function tick(ms = 20) {
  await vi.advanceTimersByTimeAsync(ms);
  frames.flushFrame();
  frames.flushFrame(); // charts apply their data one frame after the topic delivers it
}

const badge = () => document.querySelector('.badge')!.textContent;
const widget = (title: string) => screen.getByRole('region', { name: title });
const indicatorOf = (title: string) => widget(title).querySelector('.indicator')!.textContent;
const cpuInput = () =>
  within(widget('Alert thresholds')).getByLabelText<HTMLInputElement>('CPU', { exact: false });
/** Types a value, saves it with Enter and leaves the field. */
const editCpu = (value: string) => {
  cpuInput().focus();
  cpuInput().value = value;
  fireEvent.input(cpuInput());
  fireEvent.keyDown(cpuInput(), { key: 'Enter' });
  cpuInput().blur();
};

describe('App with a real client', () => {
  it('shows live data from every default topic, then tells the truth when the link drops', async () => {
    render(() => <App client={client} pollWaitMs={20_000} />);
    expect(badge()).toBe('Connecting…');
    await tick();

    // The ping sent on welcome has been answered: the badge shows the round trip at once.
    expect(badge()).toMatch(/^Live · \d+ ms$/);
    expect(widget('CPU').textContent).toContain('Total 42% · 2 cores · Test CPU');
    expect(widget('Memory').textContent).toContain('Used 2.0 GiB of 8.0 GiB (25%)');
    expect(widget('Load average').textContent).toContain('0.50');
    expect(widget('Server event-loop delay').textContent).toContain('4.2 ms');
    expect(
      within(widget('Connected clients')).getByText('WebSocket').nextSibling!.textContent,
    ).toBe('1');
    expect(cpuInput().value).toBe('90');
    expect(indicatorOf('Load average')).toBe('Updating');
    await tick(2000);
    expect(indicatorOf('Load average')).toBe('Live');
    expect(screen.queryByRole('alert')).toBeNull();

    // The heartbeat's round trip shows up in the badge.
    await tick(25_000);
    expect(badge()).toMatch(/^Live · (<1|\d+) ms$/);

    // A new alert lands in the feed and raises a toast.
    server.publish('alerts.feed', [
      {
        op: 'add',
        path: '/items/-',
        value: {
          id: 'a1',
          t: Date.now(),
          metric: 'cpu',
          level: 'warning',
          value: 95,
          threshold: 90,
          message: 'CPU at 95% (threshold 90%)',
        },
      },
    ]);
    await tick();
    expect(widget('Alerts').textContent).toContain('CPU at 95% (threshold 90%)');
    expect(screen.getByRole('status').textContent).toContain('Warning: CPU at 95% (threshold 90%)');

    // The link drops and the server refuses to come back for now.
    server.accepting = false;
    server.drop();
    await tick(5);
    expect(badge()).toMatch(/^Reconnecting 1\/10 · in \d s$/);
    expect(screen.getByRole('alert').textContent).toContain('Connection lost.');
    expect(indicatorOf('Load average')).toMatch(/^Stale since \d\d:\d\d:\d\d$/);
    // The last data stays on screen.
    expect(widget('Load average').textContent).toContain('0.50');
  });

  it('queues a threshold edit offline, sends it on reconnect, and rolls back with a toast when refused', async () => {
    server.actions = (frame) => {
      const payload = frame.payload as { version: number; set: { cpuPercent?: number } };
      if ((payload.set.cpuPercent ?? 0) > 100)
        return {
          type: 'nack',
          id: frame.id,
          code: 'out_of_range',
          message: 'cpuPercent must be 1–100',
        };
      server.publish('alerts.thresholds', [
        { op: 'replace', path: '/cpuPercent', value: payload.set.cpuPercent },
        { op: 'replace', path: '/version', value: payload.version + 1 },
      ]);
      return { type: 'ack', id: frame.id };
    };
    render(() => <App client={client} pollWaitMs={20_000} />);
    await tick();

    // Accepted edit: shown at once, then saved.
    editCpu('80');
    expect(cpuInput().value).toBe('80');
    await tick();
    expect(server.framesOfType('action').map((f) => f.payload)).toEqual([
      { version: 1, set: { cpuPercent: 80 } },
    ]);
    expect(widget('Alert thresholds').textContent).toContain('Saved');
    expect(cpuInput().value).toBe('80');

    // Offline: the edit is queued and still shown.
    server.accepting = false;
    server.drop();
    await tick(5);
    editCpu('150');
    expect(cpuInput().value).toBe('150');
    expect(widget('Alert thresholds').textContent).toContain('Queued (offline)');
    expect(widget('Alert thresholds').textContent).toContain('Unconfirmed — server has 80');

    // Back online via "Retry now": the action goes out, is refused, and the value rolls back.
    server.accepting = true;
    fireEvent.click(within(screen.getByRole('alert')).getByRole('button', { name: 'Retry now' }));
    await tick();
    expect(badge()).toMatch(/^Live/);
    expect(server.framesOfType('action').at(-1)!.payload).toEqual({
      version: 2,
      set: { cpuPercent: 150 },
    });
    expect(cpuInput().value).toBe('80');
    expect(widget('Alert thresholds').textContent).toContain(
      'Refused (out_of_range): cpuPercent must be 1–100',
    );
    expect(screen.getByRole('status').textContent).toContain(
      'refused (out_of_range): cpuPercent must be 1–100',
    );
  });

  it('removes a widget from the Widgets menu, ending its subscription, and remembers the choice', async () => {
    render(() => <App client={client} pollWaitMs={20_000} />);
    await tick();
    expect(client.actor.getSnapshot().children['sub:host.load']).toBeDefined();

    fireEvent.click(screen.getByRole('checkbox', { name: 'Load average' }));
    await tick();
    expect(screen.queryByRole('region', { name: 'Load average' })).toBeNull();
    expect(client.actor.getSnapshot().children['sub:host.load']).toBeUndefined();
    expect(server.framesOfType('unsubscribe')).toEqual([
      { type: 'unsubscribe', topic: 'host.load' },
    ]);
    expect(JSON.parse(localStorage.getItem(WIDGETS_STORAGE_KEY)!)).toEqual(['load']);

    // A new page load keeps it hidden.
    cleanup();
    render(() => <App client={client} pollWaitMs={20_000} />);
    await tick();
    expect(screen.queryByRole('region', { name: 'Load average' })).toBeNull();
    expect(screen.getByRole('region', { name: 'CPU' })).toBeTruthy();
  });

  it('shows the actor tree in the State panel', async () => {
    render(() => <App client={client} pollWaitMs={20_000} />);
    await tick();
    fireEvent.click(screen.getByRole('button', { name: 'State' }));
    const panel = await screen.findByRole('region', { name: 'State' });
    expect(panel.textContent).toContain('websocket.connected');
    const cells = () =>
      [...within(panel).getByText('host.load').closest('tr')!.cells].map((c) => c.textContent);
    expect(cells()).toEqual(['host.load', 'live', 'live', '0']);
    server.publish('host.load', [{ op: 'replace', path: '/load1', value: 0.7 }]);
    await tick();
    expect(cells()).toEqual(['host.load', 'live', 'live', '1']);
  });

  it('lists the connection and the tab subscriptions when the statecharts run in another tab', async () => {
    // A shared client has no actor in this tab: the panel reads the views alone.
    const shared = { ...client, actor: null };
    render(() => <App client={shared} pollWaitMs={20_000} />);
    await tick();
    fireEvent.click(screen.getByRole('button', { name: 'State' }));
    const panel = await screen.findByRole('region', { name: 'State' });
    expect(panel.textContent).toContain('websocket.connected');
    expect(panel.textContent).not.toContain('another tab');
    expect(within(panel).getByText('host.load').closest('tr')!.textContent).toContain('live');
  });
});

describe('App on fallback polling', () => {
  it('says softly that updates come by polling, and keeps showing live data', async () => {
    // One WebSocket attempt, refused; then HTTP long polling answered from the scripted topics.
    client.stop();
    server.accepting = false;
    const polls: string[] = [];
    const fetch = vi.fn(async (url: string, init: { signal?: AbortSignal }) => {
      const { pathname, searchParams } = new URL(url);
      if (pathname !== '/api/poll') return { status: 404, ok: false, json: async () => ({}) };
      polls.push(url);
      const topics = searchParams.getAll('topic');
      const since = searchParams.getAll('since');
      if (since.length === topics.length) {
        // Everything is up to date: hold the request like the server does, until aborted.
        await new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      }
      const frames = topics.flatMap((topic) => server.framesSince(topic));
      return { status: 200, ok: true, json: async () => ({ frames }) };
    });
    client = createTetherClient({
      url: server.httpUrl,
      WebSocket: server.WebSocket,
      fetch,
      network: false,
      random: () => 0.5,
      backoff: { maxAttempts: 0 },
      handover: 'task',
    });
    render(() => <App client={client} pollWaitMs={20_000} />);
    await tick(50);

    expect(badge()).toBe('Polling');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('status').textContent).toMatch(
      /^Realtime link unavailable — updates arrive by HTTP polling \(last answer (just now|\d+ s ago), each poll held up to 20 s\); trying the realtime link again in \d+ s\.Retry now$/,
    );
    expect(polls.length).toBeGreaterThan(0);
    expect(widget('Load average').textContent).toContain('0.50');
    expect(indicatorOf('Load average')).toMatch(/^(Live|Updating)$/);
  });
});
