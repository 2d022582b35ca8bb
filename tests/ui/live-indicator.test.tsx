import { cleanup, render } from '@solidjs/testing-library';
import { createSignal } from 'solid-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SubscriptionView } from '../../src/client/view-types.ts';
import { LiveIndicator } from '../../src/dashboard/LiveIndicator.tsx';

const NOW = new Date(2025, 0, 1, 9, 5, 7).getTime(); // local time, as the indicator prints it

type Input = Pick<SubscriptionView, 'status' | 'updatedAt' | 'staleSince' | 'error'>;
const input = (patch: Partial<Input>): Input => ({
  status: 'live',
  updatedAt: null,
  staleSince: null,
  error: null,
  ...patch,
});
const indicator = () => document.querySelector('.indicator') as HTMLElement;

describe('LiveIndicator', () => {
  beforeEach(() => vi.useFakeTimers({ now: NOW }));
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('labels each subscription status in words, with its own state key', () => {
    const cases: [Partial<Input>, string, string][] = [
      [{ status: 'pending' }, 'pending', 'Pending'],
      [{ status: 'subscribing' }, 'subscribing', 'Subscribing…'],
      [{ status: 'live', updatedAt: NOW - 10_000 }, 'live', 'Live'],
      [{ status: 'live', updatedAt: NOW - 200 }, 'updating', 'Updating'],
      [{ status: 'stale', staleSince: NOW - 60_000 }, 'stale', 'Stale since 09:04:07'],
      [{ status: 'resyncing' }, 'resyncing', 'Resyncing…'],
      [
        { status: 'error', error: { code: 'forbidden', message: 'not allowed' } },
        'error',
        'Error: not allowed',
      ],
    ];
    for (const [patch, state, label] of cases) {
      render(() => <LiveIndicator view={input(patch)} />);
      expect(indicator().dataset.indicator).toBe(state);
      expect(indicator().textContent).toBe(label);
      expect(indicator().title).not.toBe('');
      cleanup();
    }
  });

  it('pulses "updating" for about 1.5 s after a change, then settles to "Live"', () => {
    render(() => <LiveIndicator view={input({ updatedAt: NOW })} />);
    expect(indicator().textContent).toBe('Updating');
    vi.advanceTimersByTime(1000);
    expect(indicator().textContent).toBe('Updating');
    vi.advanceTimersByTime(750);
    expect(indicator().textContent).toBe('Live');
  });

  it('reads "Live" on a topic sampled every second (its cadence is faster than the pulse)', () => {
    const [view, setView] = createSignal(input({ updatedAt: NOW }));
    render(() => <LiveIndicator view={view()} />);
    for (let i = 1; i <= 3; i++) {
      vi.advanceTimersByTime(1000);
      setView(input({ updatedAt: NOW + i * 1000 }));
      vi.advanceTimersByTime(250);
      expect(indicator().textContent).toBe('Live');
    }
  });

  it('still says "Updating" after a change on a topic that changes every few seconds', () => {
    const [view, setView] = createSignal(input({ updatedAt: NOW }));
    render(() => <LiveIndicator view={view()} />);
    vi.advanceTimersByTime(5000);
    setView(input({ updatedAt: NOW + 5000 }));
    vi.advanceTimersByTime(250);
    expect(indicator().textContent).toBe('Updating');
    vi.advanceTimersByTime(1500);
    expect(indicator().textContent).toBe('Live');
  });

  it('puts the error code in the tooltip', () => {
    render(() => (
      <LiveIndicator
        view={input({
          status: 'error',
          error: { code: 'unknown_topic', message: 'no such topic' },
        })}
      />
    ));
    expect(indicator().title).toBe('unknown_topic: no such topic');
  });
});
