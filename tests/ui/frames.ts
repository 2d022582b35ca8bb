import { vi } from 'vitest';

/**
 * A hand-cranked requestAnimationFrame: callbacks wait until the test calls `flushFrame()`, so a
 * test can put many updates "in one frame" and count what the frame renders.
 */
export function manualFrames() {
  let queue = new Map<number, FrameRequestCallback>();
  let nextHandle = 1;
  vi.stubGlobal('requestAnimationFrame', (cb: FrameRequestCallback) => {
    queue.set(nextHandle, cb);
    return nextHandle++;
  });
  vi.stubGlobal('cancelAnimationFrame', (handle: number) => queue.delete(handle));
  return {
    pending: () => queue.size,
    flushFrame() {
      const callbacks = [...queue.values()];
      queue = new Map();
      for (const cb of callbacks) cb(performance.now());
    },
  };
}
