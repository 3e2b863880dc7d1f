import { useCallback, useEffect, useMemo, useState } from 'react';
import { api, errorMessage } from '../api.js';
import DataTable from '../components/DataTable.jsx';
import Notice from '../components/Notice.jsx';
import Reason from '../components/Reason.jsx';
import { subscribe } from '../events.js';
import { dateTime, money } from '../format.js';
import { isoTime } from '../tableData.js';

const STATUSES = ['open', 'applied', 'dismissed', 'superseded', 'expired', 'closed', 'all'];
// How long a snoozed recommendation stays away (POST .../dismiss {"snooze_minutes"}); docs/ALLOCATION.md.
const SNOOZES = [
  [60, '1 hour'],
  [24 * 60, '1 day'],
  [7 * 24 * 60, '1 week'],
];

// Open recommendations (or those of another status) with paging, a filter by resource, search, CSV export and
// bulk apply, dismiss and snooze. The server lists a status whole (one open recommendation per resource at most),
// so this table pages in the browser.
export default function Recommendations({ canApply }) {
  const [status, setStatus] = useState('open');
  const [items, setItems] = useState([]);
  const [couldSave, setCouldSave] = useState(null);
  const [names, setNames] = useState({});
  const [notice, setNotice] = useState(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    try {
      const [{ data: recs }, { data: res }] = await Promise.all([
        api.get('/api/resources/recommendations', { params: { status } }),
        api.get('/api/resources'),
      ]);
      setItems(recs.recommendations);
      setCouldSave(recs.could_save);
      setNames(Object.fromEntries(res.resources.map((r) => [r.id, r.name])));
    } catch (e) {
      setNotice({ ok: false, text: errorMessage(e) });
    }
  }, [status]);
  useEffect(() => {
    load();
    return subscribe(load);
  }, [load]);

  // One request per recommendation, one after the other (an apply waits for the loop's pass on its resource);
  // says how many went through and the first error.
  async function act(recs, verb, snooze) {
    setBusy(true);
    const done = [];
    let failed = null;
    for (const r of recs) {
      try {
        await api.post(`/api/resources/recommendations/${r.id}/${verb}`, snooze ? { snooze_minutes: snooze } : undefined);
        done.push(r.id);
      } catch (e) {
        failed ??= `recommendation ${r.id}: ${errorMessage(e)}`;
      }
    }
    setBusy(false);
    const word = verb === 'apply' ? 'applied' : snooze ? `snoozed for ${SNOOZES.find(([m]) => m === snooze)?.[1]}` : 'dismissed';
    const what = done.length === 1 ? `recommendation ${done[0]} ${word}` : `${done.length} recommendations ${word}`;
    setNotice(failed ? { ok: false, text: done.length ? `${what}; ${failed}` : failed } : { ok: true, text: what });
    load();
    return done;
  }

  const rows = useMemo(() => items.map((r) => ({ ...r, __label: `recommendation ${r.id}`, resource: names[r.resource_id] ?? String(r.resource_id) })), [items, names]);
  const resourceFilter = useMemo(
    () => ({ key: 'resource', label: 'resource', options: [['', 'every resource'], ...Object.values(names).sort().map((n) => [n, n])] }),
    [names],
  );
  const columns = [
      { key: 'resource', label: 'Resource', render: (r) => <a href={`#/resources/${r.resource_id}`}>{r.resource}</a>, value: (r) => r.resource },
      { key: 'change', label: 'Instances', value: (r) => `${r.from} → ${r.to}` },
      { key: 'cost', label: 'Cost per hour', value: (r) => `${money(r.hourly_cost_before)} → ${money(r.hourly_cost_after)}` },
      {
        key: 'saving',
        label: 'If applied',
        value: (r) => r.hourly_saving,
        render: (r) => (r.hourly_saving >= 0 ? `saves ${money(r.hourly_saving)}/h` : `adds ${money(-r.hourly_saving)}/h`),
      },
      { key: 'created_at', label: 'Proposed', value: (r) => isoTime(r.created_at), render: (r) => <time dateTime={isoTime(r.created_at)}>{dateTime(r.created_at)}</time> },
      { key: 'status', label: 'Status', value: (r) => r.status, render: (r) => <span title={r.status_reason}>{r.status}</span> },
      { key: 'reason', label: 'Why', value: (r) => r.summary || r.reason, render: (r) => <Reason item={r} /> },
      ...(canApply
        ? [
            {
              key: 'act',
              label: 'Act',
              csv: false,
              value: () => '',
              render: (r) =>
                r.status === 'open' ? (
                  <span className="buttons">
                    <button type="button" disabled={busy} onClick={() => act([r], 'apply')} aria-label={`apply recommendation ${r.id}`}>
                      Apply
                    </button>
                    <button type="button" className="secondary" disabled={busy} onClick={() => act([r], 'dismiss')} aria-label={`dismiss recommendation ${r.id}`}>
                      Dismiss
                    </button>
                  </span>
                ) : null,
            },
          ]
        : []),
  ];

  const perHour = couldSave?.per_hour ?? 0;
  const open = status === 'open' ? items.length : null;
  return (
    <>
      <h1>Recommendations</h1>
      <p data-testid="could-save-summary">
        {open ?? '…'} open; {perHour >= 0 ? 'could save' : 'would add'} <strong>{money(Math.abs(perHour))}/h</strong> if applied (not counted as
        saved until applied).
      </p>
      <div className="toolbar">
        <label>
          Status
          <select aria-label="recommendation status" value={status} onChange={(e) => setStatus(e.target.value)}>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
      </div>
      <Notice notice={notice} testId="recommendations-notice" />
      <DataTable
        caption="recommendations"
        testId="recommendations-table"
        columns={columns}
        rows={rows}
        rowProps={() => ({ 'data-testid': 'recommendation' })}
        filters={[resourceFilter]}
        searchLabel="search recommendations"
        csvName={`recommendations-${status}`}
        empty={status === 'open' ? 'No open recommendation: every resource in recommend mode runs at its planned capacity.' : `No ${status} recommendation.`}
        selectable={canApply && status === 'open'}
        bulk={(selected, clear) => (
          <>
            <button type="button" disabled={busy} onClick={async () => (await act(selected, 'apply'), clear())}>
              Apply selected
            </button>
            <button type="button" className="secondary" disabled={busy} onClick={async () => (await act(selected, 'dismiss'), clear())}>
              Dismiss selected
            </button>
            {SNOOZES.map(([minutes, label]) => (
              <button key={minutes} type="button" className="secondary" disabled={busy} onClick={async () => (await act(selected, 'dismiss', minutes), clear())}>
                Snooze {label}
              </button>
            ))}
          </>
        )}
      />
    </>
  );
}
