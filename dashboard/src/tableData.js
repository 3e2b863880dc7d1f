// Pure helpers of the dashboard's tables (components/DataTable.jsx): search, CSV, download. Unit-tested in
// tableData.test.js.

// The plain value of a column for a row: its `value` function, else the field of the same key.
export function cellValue(column, row) {
  const v = column.value ? column.value(row) : row[column.key];
  return v === null || v === undefined ? '' : v;
}

// Rows where any column's value contains every word of `query` (case-insensitive); all rows for an empty query.
export function searchRows(rows, columns, query) {
  const words = String(query ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return rows;
  return rows.filter((row) => {
    const text = columns.map((c) => String(cellValue(c, row))).join(' ').toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A text starting with = + - @ or a
// tab is prefixed with ' so that a spreadsheet shows it instead of running it as a formula (numbers stay numbers).
export function csvField(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = String(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

// A header line of the columns' labels, then one line per row (columns with `csv: false` left out).
export function csvText(columns, rows) {
  const cols = columns.filter((c) => c.csv !== false);
  const lines = [cols.map((c) => csvField(c.label)).join(',')];
  for (const row of rows) lines.push(cols.map((c) => csvField(cellValue(c, row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

// Saves `text` as a file through a temporary link (no server round trip).
export function downloadText(name, text, type = 'text/plain') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// An instant as ISO 8601 UTC text, for CSV files (sortable, no zone to guess); '' for none.
export function isoTime(unixSeconds) {
  return unixSeconds ? new Date(unixSeconds * 1000).toISOString() : '';
}
