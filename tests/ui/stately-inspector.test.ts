import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  INSPECTOR_CONNECT_MS,
  INSPECTOR_UNAVAILABLE,
  startInspector,
  type InspectorDeps,
} from '../../src/dashboard/stately-inspector.ts';

const inspect = () => undefined;

function deps(overrides: Partial<InspectorDeps> = {}): InspectorDeps {
  return {
    open: () => Promise.resolve(inspect),
    window,
    online: () => true,
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    ...overrides,
  };
}

describe('startInspector', () => {
  afterEach(() => vi.useRealTimers());

  it('says the inspector is unavailable when its window never connects (offline, blocked pop-up)', async () => {
    vi.useFakeTimers();
    const unavailable = vi.fn();
    expect(await startInspector(deps(), unavailable)).toBe(inspect);
    vi.advanceTimersByTime(INSPECTOR_CONNECT_MS - 1);
    expect(unavailable).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(unavailable).toHaveBeenCalledExactlyOnceWith(INSPECTOR_UNAVAILABLE);
  });

  it('says nothing once the inspector window connects', async () => {
    vi.useFakeTimers();
    const unavailable = vi.fn();
    await startInspector(deps(), unavailable);
    window.dispatchEvent(new MessageEvent('message', { data: { type: 'something.else' } }));
    window.dispatchEvent(new MessageEvent('message', { data: { type: '@statelyai.connected' } }));
    vi.advanceTimersByTime(INSPECTOR_CONNECT_MS * 2);
    expect(unavailable).not.toHaveBeenCalled();
  });

  it('says so at once when the browser is offline or the inspector cannot load', async () => {
    const open = vi.fn(() => Promise.resolve(inspect));
    const offline = vi.fn();
    expect(await startInspector(deps({ online: () => false, open }), offline)).toBeUndefined();
    expect(offline).toHaveBeenCalledExactlyOnceWith(INSPECTOR_UNAVAILABLE);
    expect(open).not.toHaveBeenCalled();

    const failed = vi.fn();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const broken = () => Promise.reject(new Error('chunk failed'));
    expect(await startInspector(deps({ open: broken }), failed)).toBeUndefined();
    expect(failed).toHaveBeenCalledExactlyOnceWith(INSPECTOR_UNAVAILABLE);
    warn.mockRestore();
  });
});
