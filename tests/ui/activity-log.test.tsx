import { cleanup, render, screen } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionView } from '../../src/client/view-types.ts';
import { createActivityLog } from '../../src/dashboard/activity-log.ts';
import { ActivityLog } from '../../src/dashboard/widgets/ActivityLog.tsx';
import { connectionView } from './connection-view.ts';

const base = connectionView({
  status: 'connecting',
  transport: null,
  statePath: 'websocket.connecting',
});

describe('connection activity log', () => {
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('lists transitions newest first with their time, skipping heartbeat churn, bounded', () => {
    vi.useFakeTimers({ now: new Date(2025, 0, 1, 10, 0, 0) });
    const [view, setView] = createSignal(base);
    render(() => {
      const entries = createActivityLog(view, 3);
      return <ActivityLog entries={entries()} />;
    });
    vi.setSystemTime(new Date(2025, 0, 1, 10, 0, 5));
    setView({
      ...base,
      status: 'connected',
      transport: 'websocket',
      statePath: 'websocket.connected.heartbeat.idle',
    });
    setView({
      ...base,
      status: 'connected',
      transport: 'websocket',
      latencyMs: 3,
      statePath: 'websocket.connected.heartbeat.waiting',
    });
    vi.setSystemTime(new Date(2025, 0, 1, 10, 1, 0));
    setView({
      ...base,
      status: 'reconnecting',
      attempt: 1,
      lastError: { code: 'close_1006', message: 'abnormal' },
      statePath: 'reconnecting',
    });

    const rows = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toContain('10:01:00');
    expect(rows[0]).toContain('Reconnecting, attempt 1 of 10 (close_1006: abnormal)');
    expect(rows[1]).toContain('10:00:05');
    expect(rows[1]).toContain('Connected over websocket');
    expect(rows[2]).toContain('Connecting');

    setView({ ...base, status: 'connecting', attempt: 1, statePath: 'websocket.connecting' });
    const bounded = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(bounded).toHaveLength(3);
    expect(bounded[2]).toContain('Connected over websocket');
  });

  it('tells a page that closed its link on purpose from a stopped client', () => {
    const [view, setView] = createSignal<ConnectionView>({
      ...base,
      status: 'connected',
      transport: 'websocket',
      statePath: 'websocket.connected',
    });
    render(() => {
      const entries = createActivityLog(view);
      return <ActivityLog entries={entries()} />;
    });
    setView({ ...base, status: 'suspended', statePath: 'suspended' });
    setView({ ...base, status: 'closed', statePath: 'closed' });
    const rows = screen.getAllByRole('listitem').map((li) => li.textContent);
    expect(rows[1]).toContain('Page hidden: link closed until it shows again');
    expect(rows[0]).toContain('Client stopped');
  });
});
