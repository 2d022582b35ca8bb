/** Esc closes an open `<details>` menu and gives focus back to its `<summary>` button. */
export function closeMenuOnEscape(event: KeyboardEvent & { currentTarget: HTMLDetailsElement }) {
  if (event.key !== 'Escape' || !event.currentTarget.open) return;
  event.currentTarget.open = false;
  event.currentTarget.querySelector('summary')?.focus();
}
