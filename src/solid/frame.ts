import { onCleanup } from 'solid-js';
import { insideFrameHandover } from '../client/frame-handover.ts';

/** How many flushes are running: while one runs, the browser has not painted this frame yet. */
let flushing = 0;

/**
 * Coalesces work to the next animation frame: however often the returned `schedule` is called
 * before the frame, `flush` runs once. A burst of patches therefore costs one render, and a
 * hidden tab (where browsers pause rAF) costs none until it is shown. Cancelled with its owner.
 *
 * Called while another scheduler's flush runs (a chart whose data useTopic just moved), or while
 * the client hands frames over in an animation frame (src/client/frame-handover.ts), `flush` runs
 * at once: it still makes this frame, where waiting for the next would show it a frame late.
 */
export function createFrameScheduler(flush: () => void): () => void {
  let handle: number | null = null;
  let running = false;
  const run = () => {
    flushing++;
    running = true;
    try {
      flush();
    } finally {
      running = false;
      flushing--;
    }
  };
  onCleanup(() => {
    if (handle !== null) cancelAnimationFrame(handle);
  });
  return () => {
    if ((flushing > 0 || insideFrameHandover()) && !running) {
      if (handle !== null) cancelAnimationFrame(handle);
      handle = null;
      return run();
    }
    if (handle !== null) return;
    handle = requestAnimationFrame(() => {
      handle = null;
      run();
    });
  };
}
