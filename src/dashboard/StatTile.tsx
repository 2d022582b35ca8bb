/** "0.23 ms" → ["0.23", "ms"]; a value without a unit after a space stays whole. */
const splitUnit = (value: string): [string, string | null] => {
  const match = /^(.*\d)\s+(\D+)$/.exec(value);
  return match ? [match[1]!, match[2]!] : [value, null];
};

/**
 * One figure in a tile grid (inside a <dl>); `warn` adds a border, and `note` says why in words.
 * A unit after the figure is set smaller, so "0.23 ms" fits a third of a narrow widget on one line.
 */
export function StatTile(props: { label: string; value: string; warn?: boolean; note?: string }) {
  const parts = () => splitUnit(props.value);
  return (
    <div class="tile" data-tone={props.warn ? 'warn' : undefined} title={props.note}>
      <dt>{props.label}</dt>
      <dd>
        {parts()[0]}
        {parts()[1] !== null && (
          <>
            {' '}
            <small class="unit">{parts()[1]}</small>
          </>
        )}
      </dd>
    </div>
  );
}
