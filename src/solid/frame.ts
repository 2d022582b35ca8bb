import { onCleanup } from 'solid-js';

/**
 * Coalesces work to the next animation frame: however often the returned `schedule` is called
 * before the frame, `flush` runs once. A burst of patches therefore costs one render, and a
 * hidden tab (where browsers pause rAF) costs none until it is shown. Cancelled with its owner.
 */
export function createFrameScheduler(flush: () => void): () => void {
  let handle: number | null = null;
  onCleanup(() => {
    if (handle !== null) cancelAnimationFrame(handle);
  });
  return () => {
    if (handle !== null) return;
    handle = requestAnimationFrame(() => {
      handle = null;
      flush();
    });
  };
}
