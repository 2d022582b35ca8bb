/**
 * Reading topics the dashboard knows nothing about (generic widgets): pure and defensive, since
 * a config can point any view at any data.
 */

export type Row = Record<string, unknown>;

const unescapeToken = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');
const isObject = (value: unknown): value is Row =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The value at an RFC 6901 JSON Pointer (`''` is the whole document); undefined when absent. */
export function atPointer(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let node: unknown = doc;
  for (const raw of pointer.slice(1).split('/')) {
    const token = unescapeToken(raw);
    if (Array.isArray(node) && /^(0|[1-9]\d*)$/.test(token)) node = node[Number(token)];
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token];
    else return undefined;
  }
  return node;
}

/** An array of objects (rows), or null for anything else. */
export function asRows(value: unknown): Row[] | null {
  return Array.isArray(value) && value.every(isObject) ? value : null;
}

/** The fields of `row` holding finite numbers, in key order, except `exclude`. */
export function numericFields(row: Row | undefined, exclude: readonly string[] = []): string[] {
  if (!row) return [];
  return Object.keys(row).filter(
    (key) => !exclude.includes(key) && typeof row[key] === 'number' && Number.isFinite(row[key]),
  );
}

/** The union of the first rows' keys, in first-seen order: table columns when the config names none. */
export function columnsOf(rows: readonly Row[], max = 8, sample = 20): string[] {
  const columns: string[] = [];
  for (const row of rows.slice(0, sample)) {
    for (const key of Object.keys(row))
      if (!columns.includes(key) && columns.length < max) columns.push(key);
  }
  return columns;
}

/** 42 → "42", 12.3456 → "12.35", 1234.5 → "1235", 0.00123 → "0.00123". Locale-independent. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Number.isInteger(value)) return String(value);
  if (Math.abs(value) >= 1000) return String(Math.round(value));
  return String(Number(value.toPrecision(4)));
}

/** Any JSON value as one short line of text. */
export function formatValue(value: unknown, maxLength = 120): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  const text = JSON.stringify(value);
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** A time field as ms since the Unix epoch: a number as is, an ISO string parsed; null otherwise. */
export function asTime(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}
