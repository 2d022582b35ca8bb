import { For } from 'solid-js';
import type { WidgetChoice } from './widget-settings.ts';

/** Header menu with one toggle per configured widget; hiding a widget unmounts it and ends its subscription. */
export function WidgetMenu(props: {
  widgets: readonly WidgetChoice[];
  shown: (id: string) => boolean;
  onToggle: (id: string) => void;
}) {
  let summary!: HTMLElement;
  // Esc closes the open menu and gives focus back to its button.
  const closeOnEscape = (event: KeyboardEvent & { currentTarget: HTMLDetailsElement }) => {
    if (event.key !== 'Escape' || !event.currentTarget.open) return;
    event.currentTarget.open = false;
    summary.focus();
  };
  return (
    <details class="menu" onKeyDown={closeOnEscape}>
      <summary class="button" ref={summary}>
        Widgets
      </summary>
      <fieldset class="menu-panel">
        <legend class="muted">Show widgets</legend>
        <For each={props.widgets}>
          {(widget) => (
            <label>
              <input
                type="checkbox"
                checked={props.shown(widget.id)}
                onChange={() => props.onToggle(widget.id)}
              />
              {widget.label}
            </label>
          )}
        </For>
      </fieldset>
    </details>
  );
}
