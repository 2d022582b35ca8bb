import { cleanup, fireEvent, render, screen } from '@solidjs/testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionBadge } from '../../src/dashboard/ConnectionBadge.tsx';
import { THEME_STORAGE_KEY, createTheme } from '../../src/dashboard/theme.ts';
import { ThemeToggle } from '../../src/dashboard/ThemeToggle.tsx';
import { WidgetMenu } from '../../src/dashboard/WidgetMenu.tsx';
import { connectionView } from './connection-view.ts';

/** A prefers-color-scheme query the test can flip. */
function systemPrefers(light: boolean) {
  const listeners: ((event: { matches: boolean }) => void)[] = [];
  const query = {
    matches: light,
    addEventListener: (_: string, fn: (event: { matches: boolean }) => void) => listeners.push(fn),
  };
  vi.stubGlobal('matchMedia', () => query);
  return (next: boolean) => {
    query.matches = next;
    for (const fn of listeners) fn({ matches: next });
  };
}

describe('theme', () => {
  beforeEach(() => localStorage.clear());
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('follows the system preference, live, until the user picks one', () => {
    const flip = systemPrefers(true);
    const theme = createTheme();
    expect(theme.theme()).toBe('light');
    expect(document.documentElement.dataset.theme).toBe('light');
    flip(false);
    expect(theme.theme()).toBe('dark');
    expect(document.documentElement.dataset.theme).toBe('dark');
    theme.toggle();
    expect(theme.theme()).toBe('light');
    flip(true);
    flip(false);
    expect(theme.theme()).toBe('light');
    expect(document.documentElement.dataset.theme).toBe('light');
  });

  it('persists the pick, so a new page starts with it whatever the system says', () => {
    systemPrefers(false);
    createTheme().toggle();
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
    expect(createTheme().theme()).toBe('light');
  });

  it('ignores a stored value it does not know', () => {
    systemPrefers(true);
    localStorage.setItem(THEME_STORAGE_KEY, 'purple');
    expect(createTheme().theme()).toBe('light');
  });

  it('is a pressed "Dark theme" toggle button', () => {
    const onToggle = vi.fn();
    render(() => <ThemeToggle theme="dark" onToggle={onToggle} />);
    const button = screen.getByRole('button', { name: /dark theme/i });
    expect(button.getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(button);
    expect(onToggle).toHaveBeenCalledTimes(1);
  });
});

describe('announcements and keyboard', () => {
  afterEach(cleanup);

  it('announces the connection status word politely, not the round trip', async () => {
    const { createSignal } = await import('solid-js');
    const [current, setCurrent] = createSignal(connectionView({ latencyMs: 12 }));
    render(() => <ConnectionBadge view={current()} onRetry={() => {}} />);
    const region = document.querySelector('[aria-live="polite"]')!;
    expect(region.textContent).toBe('Connection: Live');
    const node = region.firstChild;
    setCurrent(connectionView({ latencyMs: 40 }));
    expect(document.querySelector('.badge')!.textContent).toContain('40 ms');
    expect(region.textContent).toBe('Connection: Live');
    expect(region.firstChild).toBe(node); // untouched, so nothing is re-announced
    setCurrent(connectionView({ status: 'polling', transport: 'polling' }));
    expect(region.textContent).toBe('Connection: Polling');
  });

  it('closes the Widgets menu on Esc and gives focus back to its button', () => {
    render(() => (
      <WidgetMenu
        widgets={[{ id: 'cpu', label: 'CPU chart' }]}
        shown={() => true}
        onToggle={() => {}}
      />
    ));
    const menu = document.querySelector('details')!;
    menu.open = true;
    const checkbox = screen.getByRole('checkbox', { name: 'CPU chart' });
    checkbox.focus();
    fireEvent.keyDown(checkbox, { key: 'Escape' });
    expect(menu.open).toBe(false);
    expect(document.activeElement).toBe(menu.querySelector('summary'));
  });
});
