import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionView } from '../../src/client/view-types.ts';
import { OfflineBanner } from '../../src/dashboard/OfflineBanner.tsx';
import { connectionView } from './connection-view.ts';

const NOW = Date.UTC(2025, 0, 1);
const view = (patch: Partial<ConnectionView>) => connectionView({ latencyMs: 2, ...patch });

describe('OfflineBanner', () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW }));
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('says nothing while the link is live or still starting', () => {
    for (const status of ['connected', 'connecting', 'idle', 'closed'] as const) {
      render(() => (
        <OfflineBanner view={view({ status })} pollWaitMs={20_000} onRetry={() => {}} />
      ));
      expect(screen.queryByRole('alert'), status).toBeNull();
      expect(screen.queryByRole('status'), status).toBeNull();
      cleanup();
    }
  });

  it('raises an alert with a retry while the link is down', () => {
    const cases = [
      [
        view({ status: 'reconnecting', attempt: 2, nextRetryAt: NOW + 3000 }),
        'Reconnecting (attempt 2 of 10, next try in 3 s)',
      ],
      [view({ status: 'connecting', attempt: 4 }), 'Reconnecting (attempt 4 of 10, trying now)'],
      [view({ status: 'offline' }), 'You are offline.'],
      [
        view({ status: 'failed', lastError: { code: 'forbidden', message: 'origin not allowed' } }),
        'Connection failed: origin not allowed',
      ],
      [
        view({
          status: 'failed',
          lastError: { code: 'unauthorized', message: 'the token has expired' },
        }),
        'Not signed in: the token has expired. Sign in again, then retry.',
      ],
    ] as const;
    for (const [v, text] of cases) {
      const onRetry = vi.fn();
      render(() => <OfflineBanner view={v} pollWaitMs={20_000} onRetry={onRetry} />);
      expect(screen.getByRole('alert').textContent).toContain(text);
      fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
      expect(onRetry).toHaveBeenCalledOnce();
      cleanup();
    }
  });

  it('says how to sign in when the server refuses the credential', () => {
    const hint =
      'Open the login link printed by npm start (http://HOST:PORT/#token=…) in this browser, then Retry.';
    render(() => (
      <OfflineBanner
        view={view({
          status: 'failed',
          lastError: { code: 'unauthorized', message: 'a token is required' },
        })}
        pollWaitMs={20_000}
        onRetry={() => {}}
        signInHint={hint}
      />
    ));
    expect(screen.getByRole('alert').textContent).toContain(
      `Not signed in: a token is required. ${hint}`,
    );
  });

  it('shows a softer notice, not an alert, while polls are answered, with the last answer’s age', () => {
    render(() => (
      <OfflineBanner
        view={view({
          status: 'polling',
          transport: 'polling',
          nextRetryAt: NOW + 12_000,
          lastHeardAt: NOW - 3_000,
        })}
        pollWaitMs={20_000}
        onRetry={() => {}}
      />
    ));
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByRole('status').textContent).toContain(
      'Realtime link unavailable — updates arrive by HTTP polling (last answer 3 s ago, each poll held up to 20 s); trying the realtime link again in 12 s',
    );
  });

  it('raises an alert, not the polling notice, while no poll is answered', () => {
    const onRetry = vi.fn();
    render(() => (
      <OfflineBanner
        view={view({
          status: 'unreachable',
          transport: null,
          nextPollAt: NOW + 4_000,
          nextRetryAt: NOW + 21_000,
          lastError: { code: 'network', message: 'fetch failed' },
        })}
        pollWaitMs={20_000}
        onRetry={onRetry}
      />
    ));
    expect(screen.queryByRole('status')).toBeNull();
    const text = screen.getByRole('alert').textContent;
    expect(text).toContain('Server unreachable.');
    expect(text).toContain('(fetch failed). Next poll in 4 s, next realtime try in 21 s.');
    expect(text).not.toMatch(/polling every|updates arrive/);
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(onRetry).toHaveBeenCalledOnce();
  });
});
