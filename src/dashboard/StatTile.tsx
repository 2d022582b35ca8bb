/** One figure in a tile grid (inside a <dl>); `warn` adds a border, and `note` says why in words. */
export function StatTile(props: { label: string; value: string; warn?: boolean; note?: string }) {
  return (
    <div class="tile" data-tone={props.warn ? 'warn' : undefined} title={props.note}>
      <dt>{props.label}</dt>
      <dd>{props.value}</dd>
    </div>
  );
}
