/**
 * Frame-aligned hand-over for a browser page. A page paints once per display frame, so frames
 * that arrive between two paints can reach the statecharts together at the start of the next
 * frame (a requestAnimationFrame callback) at no cost in latency: one connection step and one
 * step per topic per frame, instead of per WebSocket message.
 */

/** What the hand-over needs from the page (`window` and `document` in a browser, fakes in tests). */
export interface FrameEnvironment {
  requestAnimationFrame(callback: () => void): number;
  cancelAnimationFrame(handle: number): void;
  /** Browsers pause animation frames in hidden pages; the hand-over then uses the next task. */
  isVisible(): boolean;
}

export interface HandoverScheduler {
  schedule(): void;
  close(): void;
}

/**
 * A page hidden after a frame was requested never gets it; the hand-over then happens after
 * this long instead (timers in hidden pages still run, at least once a second).
 */
export const FRAME_FALLBACK_MS = 100;

let frameHandovers = 0;

/**
 * True while a hand-over runs in an animation frame callback. Work that would wait for the next
 * frame (a view coalescing its renders, src/solid/frame.ts) can run now and still make this one.
 */
export const insideFrameHandover = (): boolean => frameHandovers > 0;

/** The page's frames, or null outside a browser page (Node, workers). */
export function browserFrames(): FrameEnvironment | null {
  if (typeof requestAnimationFrame !== 'function' || typeof document === 'undefined') return null;
  return {
    requestAnimationFrame: (callback) => requestAnimationFrame(callback),
    cancelAnimationFrame: (handle) => cancelAnimationFrame(handle),
    isVisible: () => document.visibilityState !== 'hidden',
  };
}

/**
 * Runs `run` at the start of the next frame while the page is visible, else through `nextTask`.
 * Scheduling again before it ran does nothing.
 */
export function nextFrameScheduler(
  run: () => void,
  frames: FrameEnvironment,
  nextTask: HandoverScheduler,
): HandoverScheduler {
  let frame: number | null = null;
  let fallback: ReturnType<typeof setTimeout> | undefined;
  const cancel = () => {
    if (frame !== null) frames.cancelAnimationFrame(frame);
    frame = null;
    clearTimeout(fallback);
  };
  const inFrame = () => {
    cancel();
    frameHandovers++;
    try {
      run();
    } finally {
      frameHandovers--;
    }
  };
  return {
    schedule() {
      if (frame !== null) return;
      if (!frames.isVisible()) return nextTask.schedule();
      frame = frames.requestAnimationFrame(inFrame);
      fallback = setTimeout(() => (cancel(), run()), FRAME_FALLBACK_MS);
    },
    close() {
      cancel();
      nextTask.close();
    },
  };
}
