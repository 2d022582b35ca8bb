import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionStatus, ConnectionView } from '../../src/client/view-types.ts';
import { ConnectionBadge } from '../../src/dashboard/ConnectionBadge.tsx';
import { connectionView } from './connection-view.ts';

const NOW = Date.UTC(2025, 0, 1, 12, 0, 0);

const badge = () => document.querySelector('.badge') as HTMLElement;

describe('ConnectionBadge', () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW }));
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  const cases: [ConnectionStatus, Partial<ConnectionView>, string][] = [
    ['idle', {}, 'Idle'],
    ['connecting', {}, 'Connecting…'],
    ['connected', { latencyMs: 3.2 }, 'Live · 3 ms'],
    ['reconnecting', { attempt: 3, nextRetryAt: NOW + 4000 }, 'Reconnecting 3/10 · in 4 s'],
    ['polling', { transport: 'polling' }, 'Polling'],
    ['offline', {}, 'Offline'],
    ['failed', { lastError: { code: 'unauthorized', message: 'bad token' } }, 'Failed · bad token'],
    ['suspended', {}, 'Paused'],
    ['closed', {}, 'Closed'],
  ];

  it('gives every status its own text label, colour key and tooltip', () => {
    const seen = new Set<string>();
    for (const [status, patch, label] of cases) {
      render(() => (
        <ConnectionBadge view={connectionView({ status, ...patch })} onRetry={() => {}} />
      ));
      expect(badge().textContent).toBe(label);
      expect(badge().dataset.status).toBe(status);
      expect(badge().title.length).toBeGreaterThan(5);
      seen.add(badge().textContent);
      cleanup();
    }
    expect(seen.size).toBe(cases.length);
  });

  it('shows the round trip when connected, and plain "Live" before the first pong', () => {
    render(() => <ConnectionBadge view={connectionView({ latencyMs: null })} onRetry={() => {}} />);
    expect(badge().textContent).toBe('Live');
    cleanup();
    render(() => <ConnectionBadge view={connectionView({ latencyMs: 0.3 })} onRetry={() => {}} />);
    expect(badge().textContent).toBe('Live · <1 ms');
  });

  it('counts down to the next reconnect attempt live', () => {
    render(() => (
      <ConnectionBadge
        view={connectionView({ status: 'reconnecting', attempt: 2, nextRetryAt: NOW + 5000 })}
        onRetry={() => {}}
      />
    ));
    expect(badge().textContent).toBe('Reconnecting 2/10 · in 5 s');
    vi.advanceTimersByTime(2000);
    expect(badge().textContent).toBe('Reconnecting 2/10 · in 3 s');
    vi.advanceTimersByTime(3000);
    expect(badge().textContent).toBe('Reconnecting 2/10 · now');
    expect(badge().title).toContain('Attempt 2 of 10');
  });

  it('names the failure reason in the tooltip', () => {
    render(() => (
      <ConnectionBadge
        view={connectionView({
          status: 'failed',
          lastError: { code: 'forbidden', message: 'origin not allowed' },
        })}
        onRetry={() => {}}
      />
    ));
    expect(badge().title).toContain('forbidden — origin not allowed');
  });

  it('offers "Retry now" only where retrying helps, and it calls retry', () => {
    const retryable = new Set(['reconnecting', 'polling', 'failed', 'offline']);
    for (const [status, patch] of cases) {
      const onRetry = vi.fn();
      render(() => (
        <ConnectionBadge view={connectionView({ status, ...patch })} onRetry={onRetry} />
      ));
      const button = screen.queryByRole('button', { name: 'Retry now' });
      expect(Boolean(button), status).toBe(retryable.has(status));
      if (button) {
        fireEvent.click(button);
        expect(onRetry).toHaveBeenCalledTimes(1);
      }
      cleanup();
    }
  });
});
