import Table from 'cli-table3';

export type Format = 'table' | 'json' | 'csv';
export const FORMATS: readonly Format[] = ['table', 'json', 'csv'];

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
  align?: 'left' | 'right';
}

/** RFC 4180 quoting: quotes only when needed, doubled inner quotes. */
export function csvCell(v: string | number | undefined): string {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as a readable table (right-aligned numbers), CSV, or JSON of the raw rows. */
export function render<T>(rows: readonly T[], columns: readonly Column<T>[], format: Format): string {
  if (format === 'json') return JSON.stringify(rows, null, 2);
  if (format === 'csv')
    return [
      columns.map((c) => csvCell(c.header)).join(','),
      ...rows.map((r) => columns.map((c) => csvCell(c.value(r))).join(',')),
    ].join('\n');
  if (rows.length === 0) return '(none)';
  const table = new Table({
    head: columns.map((c) => c.header),
    style: { head: [], border: [] },
    colAligns: columns.map((c) => c.align ?? 'left'),
  });
  for (const r of rows) table.push(columns.map((c) => String(c.value(r) ?? '')));
  return table.toString();
}

/** USD for people: cents for large sums, more digits for small ones. */
export function usd(value: number | string | undefined): string {
  if (value === undefined) return '';
  const n = typeof value === 'string' ? Number(value) : value;
  if (!Number.isFinite(n)) return String(value);
  const digits = Math.abs(n) >= 100 ? 2 : Math.abs(n) >= 1 ? 4 : 6;
  return `$${n.toFixed(digits)}`;
}

export function percent(ratio: number | undefined): string {
  return ratio === undefined || !Number.isFinite(ratio) ? '' : `${(ratio * 100).toFixed(1)}%`;
}

export function count(n: number | undefined): string {
  return n === undefined ? '' : n.toLocaleString('en-US');
}
