import { For } from 'solid-js';
import { closeMenuOnEscape } from './menu.ts';
import type { WidgetChoice } from './widget-settings.ts';

/** Header menu with one toggle per configured widget; hiding a widget unmounts it and ends its subscription. */
export function WidgetMenu(props: {
  widgets: readonly WidgetChoice[];
  shown: (id: string) => boolean;
  onToggle: (id: string) => void;
}) {
  return (
    <details class="menu" onKeyDown={closeMenuOnEscape}>
      <summary class="button">Widgets</summary>
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
