import { createContext, createSignal, onCleanup, useContext, type Accessor } from 'solid-js';

export type ToastTone = 'info' | 'warning' | 'error';
export interface Toast {
  id: number;
  tone: ToastTone;
  text: string;
  /** Toasts with the same key collapse into one: the newest text, and how many there were. */
  key: string;
  count: number;
}

export interface ToastStore {
  toasts: Accessor<Toast[]>;
  /** `key` (default: tone and text) names what the toast is about, e.g. one alert's warnings. */
  push(tone: ToastTone, text: string, key?: string): void;
  dismiss(id: number): void;
}

/**
 * Transient notices. A repeat of a toast on screen updates it ("×3") and restarts its timer
 * instead of stacking; the list is bounded (the oldest goes first) so an alert storm cannot fill
 * the screen, and each one dismisses itself; timers die with the owner.
 */
export function createToasts(options: { max?: number; ttlMs?: number } = {}): ToastStore {
  const max = options.max ?? 3;
  const ttlMs = options.ttlMs ?? 6000;
  const [toasts, setToasts] = createSignal<Toast[]>([]);
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;

  const dismiss = (id: number) => {
    clearTimeout(timers.get(id));
    timers.delete(id);
    setToasts((list) => list.filter((t) => t.id !== id));
  };
  const expireLater = (id: number) => {
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => dismiss(id), ttlMs),
    );
  };
  const push = (tone: ToastTone, text: string, key = `${tone}:${text}`) => {
    const same = toasts().find((t) => t.key === key);
    if (same) {
      expireLater(same.id);
      setToasts((list) =>
        list.map((t) => (t === same ? { ...t, tone, text, count: t.count + 1 } : t)),
      );
      return;
    }
    const id = nextId++;
    expireLater(id);
    const next = [...toasts(), { id, tone, text, key, count: 1 }];
    for (const dropped of next.splice(0, Math.max(0, next.length - max))) {
      clearTimeout(timers.get(dropped.id));
      timers.delete(dropped.id);
    }
    setToasts(next);
  };
  onCleanup(() => timers.forEach((timer) => clearTimeout(timer)));
  return { toasts, push, dismiss };
}

export const ToastContext = createContext<ToastStore>();

export function useToasts(): ToastStore {
  const store = useContext(ToastContext);
  if (!store) throw new Error('useToasts() needs a <ToastContext.Provider> above it');
  return store;
}
