import { describe, expect, it } from 'vitest';
import { cellValue, csvField, csvText, isoTime, searchRows } from './tableData.js';

const columns = [
  { key: 'name', label: 'Name' },
  { key: 'cost', label: 'Cost, $/h', value: (r) => r.cost * 2 },
  { key: 'edit', label: 'Edit', csv: false },
];
const rows = [
  { name: 'web-frontend', cost: 1.5, edit: 'x' },
  { name: 'checkout', cost: 0.25, edit: 'y' },
  { name: 'batch, nightly', cost: 3, edit: 'z' },
];

describe('searchRows', () => {
  it('keeps rows where every word appears in some column, ignoring case', () => {
    expect(searchRows(rows, columns, 'WEB').map((r) => r.name)).toEqual(['web-frontend']);
    expect(searchRows(rows, columns, 'nightly 6').map((r) => r.name)).toEqual(['batch, nightly']);
    expect(searchRows(rows, columns, '0.5')).toHaveLength(1); // the computed value (0.25 * 2)
    expect(searchRows(rows, columns, '  ')).toBe(rows);
    expect(searchRows(rows, columns, 'nothing')).toEqual([]);
  });
});

describe('csv', () => {
  it('quotes commas, quotes and line breaks and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('-1+1')).toBe("'-1+1");
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField(null)).toBe('');
  });
  it('writes a header and one line per row, without the columns left out', () => {
    expect(csvText(columns, rows)).toBe('Name,"Cost, $/h"\r\nweb-frontend,3\r\ncheckout,0.5\r\n"batch, nightly",6\r\n');
    expect(cellValue(columns[0], { name: undefined })).toBe('');
  });
});

describe('isoTime', () => {
  it('writes UTC ISO 8601 for CSV files', () => {
    expect(isoTime(1764943500)).toBe('2025-12-05T14:05:00.000Z');
    expect(isoTime(0)).toBe('');
  });
});
