import { createEffect, on, untrack, type Accessor } from 'solid-js';
import type { OutboxView } from '../client/index.ts';
import type { ToastStore } from './toasts.ts';

const WHAT: Record<string, string> = { 'alerts.thresholds': 'Threshold change' };

/** One toast per action the server refuses, with its reason; the widget has already rolled back, or shows the conflict. */
export function toastRefusals(outbox: Accessor<OutboxView>, toasts: ToastStore): void {
  // Refusals from before this component mounted were someone else's to report.
  let known = new Set(untrack(outbox).refused.map((r) => r.id));
  createEffect(
    on(outbox, (view) => {
      for (const r of view.refused) {
        if (known.has(r.id)) continue;
        const what = WHAT[r.topic] ?? `Change to ${r.topic}`;
        toasts.push(
          'error',
          r.conflicts?.length
            ? `${what} crossed another edit of the same field (${r.code}); both values are shown to choose from.`
            : `${what} refused (${r.code}): ${r.message}. Showing the server value again.`,
        );
      }
      // The outbox keeps only the last few refusals; tracking exactly those keeps this bounded too.
      known = new Set(view.refused.map((r) => r.id));
    }),
  );
}
