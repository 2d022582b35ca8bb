import { For } from 'solid-js';
import { WIDGETS, type WidgetId } from './widget-settings.ts';

/** Header menu with one toggle per widget; hiding a widget unmounts it and ends its subscription. */
export function WidgetMenu(props: { shown: (id: WidgetId) => boolean; onToggle: (id: WidgetId) => void }) {
  return (
    <details class="menu">
      <summary class="button">Widgets</summary>
      <fieldset class="menu-panel">
        <legend class="muted">Show widgets</legend>
        <For each={WIDGETS}>
          {(widget) => (
            <label>
              <input type="checkbox" checked={props.shown(widget.id)} onChange={() => props.onToggle(widget.id)} />
              {widget.label}
            </label>
          )}
        </For>
      </fieldset>
    </details>
  );
}
