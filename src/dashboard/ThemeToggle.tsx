import type { Theme } from './theme.ts';

/** A pressed "Dark theme" button: pressing it switches between the light and dark palettes. */
export function ThemeToggle(props: { theme: Theme; onToggle: () => void }) {
  return (
    <button
      type="button"
      class="button theme-toggle"
      aria-pressed={props.theme === 'dark'}
      title={props.theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}
      onClick={() => props.onToggle()}
    >
      <span aria-hidden="true">{props.theme === 'dark' ? '☾' : '☀'}</span> Dark theme
    </button>
  );
}
