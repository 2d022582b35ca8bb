/**
 * The few browser APIs jsdom lacks and uPlot or the dashboard touch: matchMedia, ResizeObserver,
 * Path2D and a 2D canvas context that draws nothing. Imported by the UI tests that mount charts.
 */

if (!window.matchMedia) {
  window.matchMedia = (query: string) =>
    ({
      matches: false,
      media: query,
      onchange: null,
      addEventListener() {},
      removeEventListener() {},
      addListener() {},
      removeListener() {},
      dispatchEvent: () => false,
    }) as MediaQueryList;
}

if (!('ResizeObserver' in window)) {
  class ResizeObserverStub {
    observe() {}
    unobserve() {}
    disconnect() {}
  }
  Object.assign(window, { ResizeObserver: ResizeObserverStub });
  Object.assign(globalThis, { ResizeObserver: ResizeObserverStub });
}

/** Any method call on it is a no-op, apart from those `target` defines. */
export const inert = <T extends object>(target: T): T =>
  new Proxy(target, {
    get: (t, key) => (key in t ? t[key as keyof T] : () => {}),
    set: () => true,
  });

if (!('Path2D' in globalThis)) {
  Object.assign(globalThis, {
    Path2D: class {
      constructor() {
        return inert(this);
      }
    },
  });
}

// Every method is a no-op and measureText reports a zero width: enough for uPlot's layout maths.
const context2d = inert({ measureText: () => ({ width: 0 }) });
HTMLCanvasElement.prototype.getContext = (() =>
  context2d) as unknown as HTMLCanvasElement['getContext'];
