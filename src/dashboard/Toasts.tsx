import { For } from 'solid-js';
import type { ToastStore } from './toasts.ts';

const TONE_LABEL = { info: 'Info', warning: 'Alert', error: 'Refused' } as const;

export function Toasts(props: { store: ToastStore }) {
  return (
    <div class="toasts">
      <For each={props.store.toasts()}>
        {(toast) => (
          <div class="toast" data-tone={toast.tone} role="status">
            <strong class="toast-tone">{TONE_LABEL[toast.tone]}</strong>
            <span class="toast-text">{toast.text}</span>
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
