import { Show, createSignal } from 'solid-js';
import type { Layout } from './layout.ts';
import { closeMenuOnEscape } from './menu.ts';

/**
 * Share the arrangement: export it as a dashboard config file (what TETHER_DASHBOARD takes), import
 * one (checked with the same schema; a bad file is refused with the reason and changes nothing),
 * or go back to the server's config.
 */
export function LayoutMenu(props: { layout: Layout }) {
  const [message, setMessage] = createSignal<{ ok: boolean; text: string } | null>(null);
  const exportFile = () => {
    const url = URL.createObjectURL(
      new Blob([props.layout.exportText()], { type: 'application/json' }),
    );
    const link = document.createElement('a');
    link.href = url;
    link.download = 'tether-dashboard.json';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  const importFile = async (input: HTMLInputElement) => {
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const result = props.layout.importText(await file.text());
    setMessage(
      result.ok
        ? { ok: true, text: `Imported ${file.name}.` }
        : { ok: false, text: `${file.name} was not imported. ${result.message}` },
    );
  };
  return (
    <details class="menu" onKeyDown={closeMenuOnEscape}>
      <summary class="button">Layout</summary>
      <div class="menu-panel layout-panel">
        <p class="muted">Drag a widget's ⠿ handle, or focus it and use the arrow keys.</p>
        <button type="button" class="button small" onClick={exportFile}>
          Export layout
        </button>
        <label class="button small file-button">
          Import layout…
          <input
            type="file"
            accept="application/json,.json"
            class="visually-hidden"
            onChange={(event) => void importFile(event.currentTarget)}
          />
        </label>
        <button
          type="button"
          class="button small"
          onClick={() => {
            props.layout.reset();
            setMessage({ ok: true, text: "Back to the server's layout." });
          }}
        >
          Reset layout
        </button>
        <Show when={message()}>
          {(shown) => (
            <p class="layout-message" role={shown().ok ? 'status' : 'alert'} data-ok={shown().ok}>
              {shown().text}
            </p>
          )}
        </Show>
      </div>
    </details>
  );
}
