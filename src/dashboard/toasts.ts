import { createContext, createSignal, onCleanup, useContext, type Accessor } from 'solid-js';

export type ToastTone = 'info' | 'warning' | 'error';
export interface Toast {
  id: number;
  tone: ToastTone;
  text: string;
}

export interface ToastStore {
  toasts: Accessor<Toast[]>;
  push(tone: ToastTone, text: string): void;
  dismiss(id: number): void;
}

/**
 * Transient notices. Bounded (the oldest goes first) so an alert storm cannot cover the screen,
 * and each one dismisses itself; timers die with the owner.
 */
export function createToasts(options: { max?: number; ttlMs?: number } = {}): ToastStore {
  const max = options.max ?? 4;
  const ttlMs = options.ttlMs ?? 6000;
  const [toasts, setToasts] = createSignal<Toast[]>([]);
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;

  const dismiss = (id: number) => {
    clearTimeout(timers.get(id));
    timers.delete(id);
    setToasts((list) => list.filter((t) => t.id !== id));
  };
  const push = (tone: ToastTone, text: string) => {
    const id = nextId++;
    timers.set(
      id,
      setTimeout(() => dismiss(id), ttlMs),
    );
    const next = [...toasts(), { id, tone, text }];
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
