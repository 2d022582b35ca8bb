import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createToasts, type ToastStore } from '../../src/dashboard/toasts.ts';
import { Toasts } from '../../src/dashboard/Toasts.tsx';

function mount(options: { max?: number; ttlMs?: number }) {
  let store!: ToastStore;
  render(() => {
    store = createToasts(options);
    return <Toasts store={store} />;
  });
  return store;
}

describe('Toasts', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    cleanup();
    vi.useRealTimers();
  });

  it('announces each toast as a status and dismisses it on its own', () => {
    const store = mount({ ttlMs: 5000 });
    store.push('error', 'Change refused (conflict)');
    expect(screen.getByRole('status').textContent).toContain('Change refused (conflict)');
    vi.advanceTimersByTime(4999);
    expect(screen.queryAllByRole('status')).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(screen.queryAllByRole('status')).toHaveLength(0);
  });

  it('keeps at most `max`, dropping the oldest', () => {
    const store = mount({ max: 3 });
    for (let i = 1; i <= 5; i++) store.push('warning', `alert ${i}`);
    expect(
      screen.getAllByRole('status').map((el) => el.querySelector('.toast-text')!.textContent),
    ).toEqual(['alert 3', 'alert 4', 'alert 5']);
  });

  it('can be dismissed by hand', () => {
    const store = mount({});
    store.push('info', 'hello');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss notification' }));
    expect(screen.queryAllByRole('status')).toHaveLength(0);
  });

  it('collapses a repeat into the toast on screen, counting it and restarting its timer', () => {
    const store = mount({ ttlMs: 5000 });
    store.push('warning', 'CPU 95% is high', 'alert:cpu');
    vi.advanceTimersByTime(4000);
    store.push('warning', 'CPU 97% is high', 'alert:cpu');
    store.push('warning', 'CPU 96% is high', 'alert:cpu');
    store.push('info', 'something else');
    const toasts = screen.getAllByRole('status');
    expect(toasts).toHaveLength(2);
    expect(toasts[0]!.querySelector('.toast-text')!.textContent).toBe('CPU 96% is high');
    expect(toasts[0]!.querySelector('.toast-count')!.textContent).toBe('×3');
    expect(toasts[1]!.querySelector('.toast-count')).toBeNull();
    // The repeat restarted its five seconds.
    vi.advanceTimersByTime(4000);
    expect(screen.getAllByRole('status')).toHaveLength(2);
    vi.advanceTimersByTime(1000);
    expect(screen.queryAllByRole('status')).toHaveLength(0);
  });

  it('collapses identical texts without a key', () => {
    const store = mount({});
    store.push('error', 'Threshold change refused');
    store.push('error', 'Threshold change refused');
    expect(screen.getAllByRole('status')).toHaveLength(1);
    expect(screen.getByLabelText('2 times').textContent).toBe('×2');
  });
});
