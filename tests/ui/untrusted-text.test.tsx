import './setup.ts';
import { render, screen } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalTetherClient } from '../../src/client/index.ts';
import { App } from '../../src/dashboard/App.tsx';
import type { DashboardConfig } from '../../src/protocol/index.ts';
import { ScriptedServer } from '../fixtures/scripted-server.ts';
import { connectClient, tearDownClient } from './client-fixture.ts';
import { manualFrames } from './frames.ts';

// Every value from the server reaches the page as text: markup in topic data, error messages,
// nack reasons or the config is shown literally and never becomes elements or runs.

const PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
const T0 = new Date(2025, 0, 1, 9, 30, 0).getTime();

const CONFIG: DashboardConfig = {
  title: PAYLOAD,
  widgets: [
    { view: 'events', topic: 'deploys', title: 'Deploys', path: '/items' },
    { view: 'table', topic: 'stock', title: 'Stock', fields: ['sku', 'left'] },
    { view: 'number', topic: 'status', title: 'Status', fields: ['state'] },
    { view: 'alerts' },
    { view: 'thresholds' },
  ],
};

let server: ScriptedServer;
let client: LocalTetherClient;
let frames: ReturnType<typeof manualFrames>;

beforeEach(() => {
  localStorage.clear();
  vi.useFakeTimers({ now: T0 });
  frames = manualFrames();
  server = new ScriptedServer({
    actions: (frame) => ({ type: 'nack', id: frame.id, code: 'conflict', message: PAYLOAD }),
  });
  server.topic('deploys', { items: [{ id: 'd1', t: T0, level: PAYLOAD, message: PAYLOAD }] });
  server.topic('stock', [{ sku: PAYLOAD, left: PAYLOAD }]);
  server.topic('status', [{ t: T0, state: PAYLOAD }]);
  server.topic('alerts.feed', {
    items: [
      {
        id: 'a1',
        t: T0,
        metric: 'cpu',
        level: 'warning',
        value: 99,
        threshold: 80,
        message: PAYLOAD,
      },
    ],
  });
  server.topic('alerts.thresholds', { version: 1, cpuPercent: 80, memoryPercent: 90, load1: 4 });
  client = connectClient(server);
});
afterEach(() => tearDownClient(client, server));

async function tick(ms = 20) {
  await vi.advanceTimersByTimeAsync(ms);
  frames.flushFrame();
  frames.flushFrame();
}

/** No element was made from the payload, nothing ran, and the payload is there as text. */
function expectInert(container: HTMLElement, times: number) {
  expect(container.querySelectorAll('img[src="x"], script').length).toBe(0);
  expect((window as { __pwned?: number }).__pwned).toBeUndefined();
  expect(container.textContent.split(PAYLOAD).length - 1).toBeGreaterThanOrEqual(times);
}

describe('untrusted text on the dashboard', () => {
  it('renders topic values containing markup as text', async () => {
    const { container } = render(() => (
      <App client={client} pollWaitMs={20_000} dashboard={CONFIG} />
    ));
    await tick();
    expect(screen.getByRole('region', { name: 'Deploys' }).textContent).toContain(PAYLOAD);
    expect(screen.getByRole('region', { name: 'Stock' }).textContent).toContain(PAYLOAD);
    expect(screen.getByRole('region', { name: 'Status' }).textContent).toContain(PAYLOAD);
    // title, events (level and message), table (two cells), number, alert feed
    expectInert(container, 7);
  });

  it('renders server error messages and nack reasons containing markup as text', async () => {
    const { container } = render(() => (
      <App client={client} pollWaitMs={20_000} dashboard={CONFIG} />
    ));
    await tick();
    client.send('alerts.thresholds', { version: 1, set: { cpuPercent: 70 } });
    await tick();
    expect(screen.getByRole('status').textContent).toContain(PAYLOAD); // the refusal toast

    server.send({ type: 'error', code: 'forbidden', message: PAYLOAD });
    await tick();
    expect(screen.getByRole('alert').textContent).toContain(PAYLOAD); // the failed banner
    expect(container.querySelector('.badge')!.textContent).toContain(PAYLOAD);
    expectInert(container, 10);
  });
});
