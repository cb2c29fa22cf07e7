/**
 * CSV for spreadsheets that will be opened by people: RFC 4180 quoting plus a guard against formula
 * injection (a counterparty or free-text field starting with = + - @ or a control character would
 * otherwise run as a formula in Excel/LibreOffice).
 */
export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]/;

export function csvCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') {
    // Numbers are data, never formulas, so a negative number keeps its sign unprefixed.
    return Number.isFinite(value) ? String(value) : '';
  }
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  if (/[",\r\n]/.test(text) || text !== text.trim() || text.startsWith("'")) {
    text = `"${text.replace(/"/g, '""')}"`;
  }
  return text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const lines = [header.map(csvCell).join(',')];
  for (const row of rows) lines.push(row.map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Offers the text as a download via a Blob URL (works under a strict CSP; no data: navigation). */
export function downloadCsv(filename: string, csv: string): void {
  // A BOM makes Excel read UTF-8 names correctly.
  const blob = new Blob(['\uFEFF', csv], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
