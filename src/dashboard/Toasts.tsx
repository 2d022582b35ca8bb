import { For, Show } from 'solid-js';
import type { ToastStore } from './toasts.ts';
import './toasts.css';

const TONE_LABEL = { info: 'Info', warning: 'Alert', error: 'Refused' } as const;

/**
 * The toast strip, below the page rather than over it (toasts.css): the page scrolls above it,
 * so a toast never hides a control.
 */
export function Toasts(props: { store: ToastStore }) {
  return (
    <div class="toasts">
      <For each={props.store.toasts()}>
        {(toast) => (
          <div class="toast" data-tone={toast.tone} role="status">
            <strong class="toast-tone">{TONE_LABEL[toast.tone]}</strong>
            <span class="toast-text">{toast.text}</span>
            <Show when={toast.count > 1}>
              <span class="toast-count" aria-label={`${toast.count} times`}>
                ×{toast.count}
              </span>
            </Show>
            <button
              type="button"
              class="icon-button"
              aria-label="Dismiss notification"
              onClick={() => props.store.dismiss(toast.id)}
            >
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
