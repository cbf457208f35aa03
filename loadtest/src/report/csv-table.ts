// A table (the per-viewer one) as RFC 4180 CSV for a spreadsheet or a pipeline. Records end with
// LF, not the RFC's CRLF: every reader we target accepts it, and the file diffs cleanly. A field
// with a comma, a quote or a line break is quoted, its quotes doubled.

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  // JSON has no NaN or Infinity: a figure nobody measured is an empty cell, as null is.
  if (typeof value === 'number' && !Number.isFinite(value)) return '';
  if (typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

function field(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * A header row, then one record per row. Numbers and booleans are written as JSON, nested objects
 * and arrays as JSON text, null and undefined as empty fields. `columns` defaults to every key of
 * the rows, in the order first seen.
 */
export function csvTable(rows: ReadonlyArray<Record<string, unknown>>, columns: string[] = [...new Set(rows.flatMap(Object.keys))]): string {
  const records = [columns, ...rows.map((row) => columns.map((column) => cell(row[column])))];
  return records.map((record) => record.map(field).join(',')).join('\n') + '\n';
}
