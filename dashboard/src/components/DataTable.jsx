// A table with paging, filters, a search box and CSV export, usable on a phone (below 40rem each row becomes a
// card: tables.css). Two ways to feed it:
//  - `rows`: everything is here already (a short list such as the resources); filters, search and pages are
//    applied in the browser.
//  - `fetchPage({ offset, limit, filters, search })`: the server pages (and filters where it can); the table asks
//    for one row more than a page to know whether a next page exists, and the CSV export pages through the
//    server (at most `exportLimit` rows), never holding more than that.
// Columns: { key, label, value(row) → plain text/number (search, CSV), render(row) → JSX (default: value) }.
// Filters: { key, label, options: [[value, label]...] }, the first option meaning "all"; with `rows`, a filter
// with `match(row, value)` decides itself, otherwise row[key] === value.
// Rows per page: `pageSize` at first, then the user's choice among `pageSizes`.
// Selection (bulk actions): `selectable` shows a checkbox per row; `bulk(selectedRows, clear)` renders the
// bar of bulk actions above the table.
// Sorting (`rows` only): `sortable` makes each column's heading a button that sorts by its value (numbers as
// numbers), again to reverse; a column with `sort: false` keeps a plain heading. The CSV keeps the order shown.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { compareValues } from '../costData.js';
import { cellValue, csvText, downloadText, searchRows } from '../tableData.js';

export default function DataTable({
  caption,
  columns,
  rows,
  fetchPage,
  reloadKey,
  rowKey = (r) => r.id,
  rowProps,
  pageSize: initialPageSize = 20,
  pageSizes = [5, 10, 20, 50, 100],
  filters = [],
  searchLabel = 'search',
  serverSearch = false,
  csvName,
  exportLimit = 5000,
  empty = 'Nothing to show.',
  selectable = false,
  bulk,
  sortable = false,
  testId,
}) {
  const [sort, setSort] = useState(null); // { key, dir: 1 | -1 } once a heading was clicked
  const [page, setPage] = useState(0);
  const [pageSize, setPageSize] = useState(initialPageSize);
  const [search, setSearch] = useState('');
  const [applied, setApplied] = useState(''); // the search in force (server: sent after a pause in typing)
  const [filterValues, setFilterValues] = useState(() => Object.fromEntries(filters.map((f) => [f.key, f.options[0][0]])));
  const [server, setServer] = useState({ rows: [], more: false, loading: Boolean(fetchPage), error: '' });
  const [selected, setSelected] = useState(() => new Set());

  useEffect(() => {
    const t = setTimeout(() => setApplied(search), fetchPage && serverSearch ? 300 : 0);
    return () => clearTimeout(t);
  }, [search, fetchPage, serverSearch]);
  useEffect(() => setPage(0), [applied, filterValues, pageSize]);

  // Server mode: one page (+1 row) per change of page, filter, search or reloadKey.
  const load = useCallback(async () => {
    if (!fetchPage) return;
    setServer((s) => ({ ...s, loading: true }));
    try {
      const got = await fetchPage({ offset: page * pageSize, limit: pageSize + 1, filters: filterValues, search: serverSearch ? applied : '' });
      setServer({ rows: got.slice(0, pageSize), more: got.length > pageSize, loading: false, error: '' });
    } catch (e) {
      setServer({ rows: [], more: false, loading: false, error: e?.response?.data?.error?.message ?? e?.message ?? 'request failed' });
    }
  }, [fetchPage, page, pageSize, filterValues, applied, serverSearch]);
  useEffect(() => {
    load();
  }, [load, reloadKey]);

  // Client mode (or the client-side search over a server page when the server cannot search).
  const filtered = useMemo(() => {
    if (fetchPage) return serverSearch ? server.rows : searchRows(server.rows, columns, applied);
    let out = rows ?? [];
    for (const f of filters) {
      const v = filterValues[f.key];
      if (v === f.options[0][0]) continue;
      out = out.filter((r) => (f.match ? f.match(r, v) : String(r[f.key]) === String(v)));
    }
    out = searchRows(out, columns, applied);
    const column = sort && columns.find((c) => c.key === sort.key);
    return column ? [...out].sort((a, b) => sort.dir * compareValues(cellValue(column, a), cellValue(column, b))) : out;
  }, [fetchPage, serverSearch, server.rows, rows, filters, filterValues, columns, applied, sort]);

  const shown = fetchPage ? filtered : filtered.slice(page * pageSize, (page + 1) * pageSize);
  const pages = fetchPage ? null : Math.max(1, Math.ceil(filtered.length / pageSize));
  const hasNext = fetchPage ? server.more : page + 1 < pages;
  const first = page * pageSize + 1;

  // Selection keeps only rows still listed (a reload may remove applied ones).
  useEffect(() => {
    const keys = new Set((fetchPage ? server.rows : rows ?? []).map(rowKey));
    setSelected((s) => {
      const kept = new Set([...s].filter((k) => keys.has(k)));
      return kept.size === s.size ? s : kept;
    });
  }, [fetchPage, server.rows, rows, rowKey]);
  const toggle = (key) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  const allShown = shown.length > 0 && shown.every((r) => selected.has(rowKey(r)));
  const toggleAll = () =>
    setSelected((s) => {
      const next = new Set(s);
      for (const r of shown) allShown ? next.delete(rowKey(r)) : next.add(rowKey(r));
      return next;
    });
  const selectedRows = (fetchPage ? server.rows : rows ?? []).filter((r) => selected.has(rowKey(r)));

  async function exportCsv() {
    let all = filtered;
    if (fetchPage) {
      all = [];
      for (let offset = 0; offset < exportLimit; offset += 500) {
        const got = await fetchPage({ offset, limit: Math.min(500, exportLimit - offset), filters: filterValues, search: serverSearch ? applied : '' });
        all.push(...got);
        if (got.length < 500) break;
      }
      if (!serverSearch) all = searchRows(all, columns, applied);
    }
    downloadText(`${csvName}.csv`, csvText(columns, all), 'text/csv');
  }

  const id = testId ?? csvName ?? 'table';
  return (
    <div className="data-table" data-testid={testId}>
      <div className="table-tools" role="group" aria-label={`${caption}: filter and export`}>
        <label>
          <span className="visually-hidden">{searchLabel}</span>
          <input type="search" placeholder={searchLabel} aria-label={searchLabel} value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        {filters.map((f) => (
          <label key={f.key}>
            <span className="visually-hidden">{f.label}</span>
            <select aria-label={f.label} value={filterValues[f.key]} onChange={(e) => setFilterValues({ ...filterValues, [f.key]: e.target.value })}>
              {f.options.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
        ))}
        {csvName && (
          <button type="button" className="secondary" onClick={exportCsv} aria-label={`export ${caption} as CSV`}>
            Export CSV
          </button>
        )}
      </div>
      {selectable && bulk && selectedRows.length > 0 && (
        <div className="bulk-bar" role="group" aria-label="bulk actions">
          <span>{selectedRows.length} selected</span>
          {bulk(selectedRows, () => setSelected(new Set()))}
        </div>
      )}
      {server.error && (
        <p role="alert" className="error">
          {server.error}
        </p>
      )}
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`${caption} (scrolls sideways)`}>
        <table className="cards-on-phone" aria-describedby={`${id}-pager`}>
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {selectable && (
                <th scope="col">
                  <input type="checkbox" aria-label="select every row on this page" checked={allShown} onChange={toggleAll} />
                </th>
              )}
              {columns.map((c) =>
                sortable && !fetchPage && c.sort !== false ? (
                  <th key={c.key} scope="col" aria-sort={sort?.key === c.key ? (sort.dir > 0 ? 'ascending' : 'descending') : undefined}>
                    <button
                      type="button"
                      className="sort-button"
                      onClick={() => setSort((s) => ({ key: c.key, dir: s?.key === c.key ? -s.dir : 1 }))}
                    >
                      {c.label}
                      <span aria-hidden="true">{sort?.key === c.key ? (sort.dir > 0 ? ' ▲' : ' ▼') : ' ↕'}</span>
                    </button>
                  </th>
                ) : (
                  <th key={c.key} scope="col">
                    {c.label}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={rowKey(r)} {...(rowProps ? rowProps(r) : {})}>
                {selectable && (
                  <td data-label="select">
                    <input type="checkbox" aria-label={`select ${r.__label ?? rowKey(r)}`} checked={selected.has(rowKey(r))} onChange={() => toggle(rowKey(r))} />
                  </td>
                )}
                {columns.map((c) => (
                  <td key={c.key} data-label={c.label}>
                    {c.render ? c.render(r) : c.value ? c.value(r) : r[c.key]}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {!server.loading && shown.length === 0 && <p className="empty">{applied || Object.values(filterValues).some((v, i) => v !== filters[i]?.options[0][0]) ? 'No row matches the search or filter.' : empty}</p>}
      <nav className="pager" aria-label={`${caption} pages`} id={`${id}-pager`}>
        <button type="button" className="secondary" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous
        </button>
        <span data-testid={`${id}-range`}>
          {shown.length ? `${first}–${first + shown.length - 1}` : '0'}
          {pages ? ` of ${filtered.length}` : hasNext ? ' of more' : ''}
        </span>
        <button type="button" className="secondary" disabled={!hasNext} onClick={() => setPage(page + 1)}>
          Next
        </button>
        <label className="page-size">
          <span className="visually-hidden">rows per page</span>
          <select aria-label={`${caption}: rows per page`} value={pageSize} onChange={(e) => setPageSize(Number(e.target.value))}>
            {[...new Set([...pageSizes, initialPageSize])].sort((a, b) => a - b).map((n) => (
              <option key={n} value={n}>
                {n} a page
              </option>
            ))}
          </select>
        </label>
      </nav>
    </div>
  );
}
