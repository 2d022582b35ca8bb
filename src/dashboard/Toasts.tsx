import { For, Show } from 'solid-js';
import type { ToastStore } from './toasts.ts';
import './toasts.css';

const TONE_LABEL = { info: 'Info', warning: 'Alert', error: 'Refused' } as const;

/**
 * The toast strip. It sits in the page's flow inside the sticky top bar (App), under the header:
 * a toast pushes the page down rather than covering it, so it never hides a control.
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
