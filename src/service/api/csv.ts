/**
 * RFC 4180 CSV: CRLF line ends, fields quoted when they hold a comma, quote or line
 * break (quotes doubled). A field starting with = + - @ is prefixed with ' so a
 * spreadsheet does not run a label value as a formula.
 */
function field(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const lines = [header.map((h) => field(h)).join(',')];
  for (const row of rows) lines.push(row.map((v) => field(v as string | number | null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** The answer's media type: an explicit `format` wins over the Accept header. */
export function wantsCsv(format: 'json' | 'csv' | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv';
  return accept !== undefined && /\btext\/csv\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}
