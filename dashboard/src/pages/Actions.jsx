import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../api.js';
import DataTable from '../components/DataTable.jsx';
import Reason from '../components/Reason.jsx';
import { subscribe } from '../events.js';
import { dateTime, money } from '../format.js';
import { isoTime } from '../tableData.js';

const STATUS_OPTIONS = [
  ['', 'every status'],
  ['applied', 'applied'],
  ['planned', 'planned'],
  ['failed', 'failed'],
  ['skipped', 'skipped'],
];

// Every scaling action the loop recorded, newest first. The server pages (GET /api/actions?offset&limit) and
// filters by resource and status; the search looks within the page shown.
export default function Actions() {
  const [resources, setResources] = useState([]);
  const [tick, setTick] = useState(0); // a new loop pass: the first page is fetched again

  useEffect(() => {
    api.get('/api/resources').then(({ data }) => setResources(data.resources), () => {});
    return subscribe(() => setTick((t) => t + 1));
  }, []);
  const names = useMemo(() => Object.fromEntries(resources.map((r) => [r.id, r.name])), [resources]);

  const fetchPage = useCallback(async ({ offset, limit, filters }) => {
    const params = { offset, limit };
    if (filters.resource) params.resource = filters.resource;
    if (filters.status) params.status = filters.status;
    const { data } = await api.get('/api/actions', { params });
    return data.actions;
  }, []);

  const filters = [
    { key: 'resource', label: 'resource', options: [['', 'every resource'], ...resources.map((r) => [String(r.id), r.name])] },
    { key: 'status', label: 'action status', options: STATUS_OPTIONS },
  ];
  const columns = [
    { key: 'ts', label: 'When', value: (a) => isoTime(a.ts), render: (a) => <time dateTime={isoTime(a.ts)}>{dateTime(a.ts)}</time> },
    { key: 'resource', label: 'Resource', value: (a) => names[a.resource_id] ?? a.resource_id, render: (a) => <a href={`#/resources/${a.resource_id}`}>{names[a.resource_id] ?? a.resource_id}</a> },
    { key: 'change', label: 'Instances', value: (a) => `${a.from} → ${a.to}` },
    { key: 'status', label: 'Status', value: (a) => a.status, render: (a) => <span className={`status ${a.status}`}>{a.status}</span> },
    { key: 'cost', label: 'Cost per hour', value: (a) => `${money(a.hourly_cost_before)} → ${money(a.hourly_cost_after)}` },
    { key: 'reason', label: 'Why', value: (a) => [a.summary || a.reason, a.error].filter(Boolean).join(' · '), render: (a) => (
        <>
          <Reason item={a} />
          {a.error && <span className="error">{a.error}</span>}
        </>
      ) },
  ];
  return (
    <>
      <h1>Actions</h1>
      <p className="muted">Every change the control loop made, planned or skipped, with its reason; newest first. Times from the service's clock, shown in your time zone.</p>
      <DataTable
        caption="actions"
        testId="actions-table"
        columns={columns}
        fetchPage={fetchPage}
        reloadKey={tick}
        rowProps={(a) => ({ 'data-testid': 'action-row', 'data-action-id': a.id })}
        filters={filters}
        searchLabel="search this page"
        csvName="actions"
        empty="No action yet: the loop records one when a resource's planned capacity changes."
      />
    </>
  );
}
