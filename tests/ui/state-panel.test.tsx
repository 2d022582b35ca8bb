import { cleanup, render, screen, waitFor } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { afterEach, describe, expect, it } from 'vitest';
import { connectionDefinition } from '../../src/client/connection-definition.ts';
import type { OutboxView, SubscriptionView } from '../../src/client/view-types.ts';
import type { ViewSource } from '../../src/client/view-source.ts';
import { StatePanel } from '../../src/dashboard/StatePanel.tsx';
import type { ActivityEntry } from '../../src/dashboard/activity-log.ts';
import { activeStatePaths, statechartGraph } from '../../src/dashboard/statechart-graph.ts';
import type { LayoutChart } from '../../src/dashboard/statechart-layout.ts';
import { connectionView } from './connection-view.ts';

const connectionRoot = connectionDefinition().root;

const view = connectionView();
const outbox: OutboxView = { pending: [], refused: [] };

function staticSource<V>(value: V): ViewSource<V> {
  return { get: () => value, subscribe: () => () => undefined };
}

describe('statechartGraph', () => {
  it('has every state of the connection machine and its transitions, events merged per edge', () => {
    const graph = statechartGraph(connectionRoot);
    const paths = graph.nodes.map((n) => n.path);
    expect(paths).toContain('reconnecting');
    expect(paths).toContain('websocket.connected.liveness.checking');
    expect(paths).toContain('fallbackPolling.probe.probing');
    expect(paths).not.toContain('');
    const connected = graph.nodes.find((n) => n.path === 'websocket.connected')!;
    expect(connected).toMatchObject({ kind: 'parallel', parent: 'connection.websocket' });
    const retry = graph.edges.find((e) => e.id === 'connection.reconnecting->connection.websocket');
    expect(retry?.events).toEqual(['RETRY', 'LINK.CHECK', 'NETWORK.ONLINE', 'after retryDelay']);
    const always = graph.edges.find(
      (e) => e.source === 'connection.fallbackPolling.probe.unavailable',
    );
    expect(always).toMatchObject({
      target: 'connection.fallbackPolling.probe.waiting',
      events: ['always'],
    });
    expect(graph.fromAnyState.map((e) => [e.events[0], e.target])).toEqual([
      ['NETWORK.OFFLINE', 'connection.offline'],
      ['PAGE.HIDE', 'connection.suspended'],
      ['STOP', 'connection.closed'],
    ]);
    // Every edge joins two drawn states.
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const edge of graph.edges) expect(ids.has(edge.source) && ids.has(edge.target)).toBe(true);
  });

  it('activeStatePaths holds each active leaf and its ancestors', () => {
    expect([...activeStatePaths(view.statePath)].sort()).toEqual([
      'websocket',
      'websocket.connected',
      'websocket.connected.heartbeat',
      'websocket.connected.heartbeat.idle',
      'websocket.connected.liveness',
      'websocket.connected.liveness.watching',
    ]);
  });
});

describe('StatePanel', () => {
  afterEach(cleanup);

  it('draws every state with ELK and highlights the active configuration as it changes', async () => {
    const [connection, setConnection] = createSignal(view);
    const activity: ActivityEntry[] = [
      {
        id: 2,
        t: Date.UTC(2025, 0, 1, 10, 0, 5),
        status: 'connected',
        text: 'Connected over websocket',
        statePath: view.statePath,
      },
      {
        id: 1,
        t: Date.UTC(2025, 0, 1, 10, 0, 0),
        status: 'connecting',
        text: 'Connecting',
        statePath: 'websocket.connecting',
      },
    ];
    const { container } = render(() => (
      <StatePanel connection={connection()} outbox={outbox} activity={activity} held={[]} />
    ));
    const chart = await screen.findByRole('img', {}, { timeout: 10_000 });
    const states = [...chart.querySelectorAll('[data-state]')].map((g) =>
      g.getAttribute('data-state'),
    );
    expect(states).toHaveLength(statechartGraph(connectionRoot).nodes.length);
    expect(chart.querySelectorAll('.statechart-edge polyline').length).toBe(
      statechartGraph(connectionRoot).edges.length,
    );
    const node = (path: string) => container.querySelector(`[data-state="${path}"]`)!;
    expect(node('websocket.connected').getAttribute('data-active')).toBe('true');
    expect(node('reconnecting').getAttribute('data-active')).toBe('false');
    // Laid out: boxes have a size.
    expect(
      Number(node('reconnecting').querySelector('rect')!.getAttribute('width')),
    ).toBeGreaterThan(0);

    // Each line starts on its source state's box and ends on its target's, in one coordinate space.
    const box = (id: string) => {
      const rect = container.querySelector(
        `[data-state="${id.slice('connection.'.length)}"] rect`,
      )!;
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(rect.getAttribute(a)));
      return { x: x!, y: y!, w: w!, h: h! };
    };
    const touches = (b: ReturnType<typeof box>, [px, py]: number[]) =>
      px! >= b.x - 2 && px! <= b.x + b.w + 2 && py! >= b.y - 2 && py! <= b.y + b.h + 2;
    for (const edge of statechartGraph(connectionRoot).edges) {
      const line = chart.querySelector(`[data-edge="${edge.id}"] polyline`)!;
      const points = line
        .getAttribute('points')!
        .split(' ')
        .map((pair) => pair.split(',').map(Number));
      expect(touches(box(edge.source), points[0]!), `${edge.id} starts at its source`).toBe(true);
      expect(touches(box(edge.target), points.at(-1)!), `${edge.id} ends at its target`).toBe(true);
    }

    setConnection({ ...view, status: 'reconnecting', statePath: 'reconnecting' });
    expect(node('reconnecting').getAttribute('data-active')).toBe('true');
    expect(node('websocket.connected').getAttribute('data-active')).toBe('false');
    expect(chart.getAttribute('aria-label')).toBe('Connection statechart; active: reconnecting');

    expect(screen.getByText(/Connected over websocket/)).toBeTruthy();
    expect(screen.getByText(/From any state: NETWORK.OFFLINE → offline/)).toBeTruthy();
  }, 20_000);

  it('lists the subscriptions this tab holds from their views, with no actor', async () => {
    const layout: LayoutChart = () =>
      Promise.resolve({ width: 10, height: 10, nodes: [], edges: [] });
    const cpu = staticSource({
      topic: 'cpu',
      status: 'live',
      statePath: 'active.live',
      seq: 42,
      epoch: 'e1',
    } as SubscriptionView);
    render(() => (
      <StatePanel
        connection={view}
        outbox={outbox}
        activity={[]}
        held={[{ topic: 'cpu', view: cpu }]}
        layout={layout}
      />
    ));
    const row = screen.getByText('cpu').closest('tr')!;
    expect(row.textContent).toContain('live');
    expect(row.textContent).toContain('active.live');
    expect(row.textContent).toContain('42');
    expect(screen.queryByText(/another tab/)).toBeNull();
    await waitFor(() => expect(screen.getByRole('img')).toBeTruthy());
  });

  it('says when the chart cannot be laid out', async () => {
    const layout: LayoutChart = () => Promise.reject(new Error('no'));
    render(() => (
      <StatePanel connection={view} outbox={outbox} activity={[]} held={[]} layout={layout} />
    ));
    expect(await screen.findByText('The chart could not be laid out.')).toBeTruthy();
  });
});
