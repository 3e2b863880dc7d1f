// 1-year, no-upfront commitments (GET /api/costs/commitments; docs/COSTS.md "Commitments"): first what to buy, one
// commitment per pool (the resources of one provider and instance type: a real commitment covers all of them), with
// what pooling gains over per-resource plans; then each resource's own plan and its pool. Both say how many instances
// to commit to, where each pays for itself (the break-even utilization), the instances the forecast's hours stay
// above, the expected saving over the next 30 days with its p10-p90 band, and what the commitment would have saved
// over the recorded past (up to 30 days of what ran). Sortable tables with CSV exports; a row without a
// recommendation says why.
import { useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { dateTime, money, percent } from '../format.js';
import DataTable from './DataTable.jsx';
import '../costs.css';

function Offer({ text }) {
  if (!text) return '';
  const at = text.indexOf(' (');
  if (at < 0) return <span className="offer">{text}</span>;
  return (
    <details className="offer">
      <summary>{text.slice(0, at)}</summary>
      {text.slice(at + 1)}
    </details>
  );
}

const band = (b) => (b ? `${money(b.p50)} (p10 ${money(b.p10)} – p90 ${money(b.p90)})` : '');

// What the commitment would have saved over the recorded capacity, bought at its start; a short record says how short.
function Past({ past }) {
  if (!past) return '';
  if (past.saving === undefined) return <span className="muted">{past.note}</span>;
  return (
    <>
      {money(past.saving)} over {past.days} days ({percent(past.saving_share, 1)} of on demand)
      {past.note && <span className="muted"> — {past.note}</span>}
    </>
  );
}

export default function Commitments() {
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let stopped = false;
    api.get('/api/costs/commitments').then(
      ({ data }) => !stopped && setPlan(data),
      (e) => !stopped && setError(errorMessage(e)),
    );
    return () => {
      stopped = true;
    };
  }, []);

  const has = (r) => r.recommended_instances !== undefined;
  const pastColumn = { key: 'past', label: 'Would have saved (recorded past)', value: (r) => r.past?.saving ?? '', render: (r) => <Past past={r.past} /> };
  // What to buy and what it is worth first: a phone scrolls the rest sideways.
  const poolColumns = [
    { key: 'pool', label: 'Pool', value: (p) => p.pool, render: (p) => `${p.provider} · ${p.instance_type}` },
    { key: 'recommended_instances', label: 'Buy', value: (p) => (has(p) ? p.recommended_instances : ''), render: (p) => (has(p) ? `${p.recommended_instances} instances` : <span className="muted">{p.note}</span>) },
    { key: 'members_committed', label: 'Per-resource plans', value: (p) => p.members_committed ?? '', render: (p) => (p.members_committed !== undefined ? `${p.members_committed} instances` : '') },
    { key: 'members', label: 'Resources', sort: false, value: (p) => (p.members ?? []).join(' '), render: (p) => (p.members ?? []).join(', ') },
    { key: 'saving', label: 'Expected saving, 30 days', value: (p) => p.saving?.p50 ?? '', render: (p) => band(p.saving) },
    { key: 'gain', label: 'Gain over per-resource plans', value: (p) => p.gain?.expected ?? '', render: (p) => (p.gain ? `${money(p.gain.expected)} expected (p10 ${money(p.gain.p10)} – p90 ${money(p.gain.p90)})` : '') },
    pastColumn,
    { key: 'break_even_utilization', label: 'Break-even', value: (p) => p.break_even_utilization ?? '', render: (p) => (p.break_even_utilization !== undefined ? `${percent(p.break_even_utilization, 1)} of hours` : '') },
    { key: 'held', label: 'Forecast stays above', value: (p) => p.stays_above?.p90_of_hours ?? '', render: (p) => (p.stays_above ? `${p.stays_above.p90_of_hours} for 90% of hours; peak ${p.peak}` : '') },
    { key: 'expected_utilization', label: 'Committed hours used', value: (p) => p.expected_utilization ?? '', render: (p) => (p.expected_utilization !== undefined ? percent(p.expected_utilization, 1) : '') },
    { key: 'offer', label: 'Offer and price source', sort: false, render: (p) => <Offer text={p.offer} />, value: (p) => p.offer ?? '' },
  ];
  const columns = [
    { key: 'resource', label: 'Resource' },
    { key: 'in_pool', label: 'Pool', value: (r) => r.pool ?? '' },
    { key: 'provider', label: 'Provider · type', value: (r) => `${r.provider} ${r.instance_type}`, render: (r) => `${r.provider} · ${r.instance_type}` },
    { key: 'recommended_instances', label: 'Commit to', value: (r) => (has(r) ? r.recommended_instances : ''), render: (r) => (has(r) ? `${r.recommended_instances} instances` : <span className="muted">{r.note}</span>) },
    { key: 'break_even_utilization', label: 'Break-even', value: (r) => r.break_even_utilization ?? '', render: (r) => (r.break_even_utilization !== undefined ? `${percent(r.break_even_utilization, 1)} of hours` : '') },
    {
      key: 'held',
      label: 'Forecast stays above',
      value: (r) => r.stays_above?.p90_of_hours ?? '',
      render: (r) => (r.stays_above ? `${r.stays_above.p90_of_hours} for 90% of hours, ${r.stays_above.p50_of_hours} for 50%; peak ${r.peak}` : ''),
    },
    { key: 'expected_utilization', label: 'Committed hours used', value: (r) => r.expected_utilization ?? '', render: (r) => (r.expected_utilization !== undefined ? percent(r.expected_utilization, 1) : '') },
    { key: 'rates', label: 'Rate, on demand → committed', value: (r) => (r.committed_per_hour !== undefined ? `${r.on_demand_per_hour} -> ${r.committed_per_hour}` : ''), render: (r) => (r.committed_per_hour !== undefined ? `${money(r.on_demand_per_hour, 3)}/h → ${money(r.committed_per_hour, 3)}/h` : '') },
    { key: 'saving', label: 'Expected saving, 30 days', value: (r) => r.saving?.p50 ?? '', render: (r) => band(r.saving) },
    { key: 'saving_share_p50', label: 'Share of on-demand', value: (r) => r.saving_share_p50 ?? '', render: (r) => (r.saving_share_p50 !== undefined ? percent(r.saving_share_p50, 1) : '') },
    { key: 'on_demand', label: 'On demand, 30 days', value: (r) => r.on_demand_cost?.p50 ?? '', render: (r) => band(r.on_demand_cost) },
    pastColumn,
    // The offer names the commitment, then (in brackets) where its rate comes from: the name shows, the source opens.
    { key: 'offer', label: 'Offer and price source', sort: false, render: (r) => <Offer text={r.offer} />, value: (r) => r.offer ?? '' },
  ];

  return (
    <section aria-labelledby="commitments-title">
      <h2 id="commitments-title">Commitments</h2>
      <p className="muted">
        {plan?.term ?? '1 year, no upfront'}: Savings Plans or reserved instances (AWS), reservations (Azure), committed use
        discounts (GCP). An instance committed pays for itself when the fleet runs it for more than the break-even share
        of the hours (committed rate ÷ on-demand rate); the recommendation is the highest count the forecast's hours stay
        at or above for longer than that, which maximizes the expected saving. Planned on the forecast of the next 30 days
        through the planner's sizing{plan ? ` (${dateTime(plan.from)} to ${dateTime(plan.to)})` : ''}; check the
        catalog's rates with the cloud before buying.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {!plan && !error && <p className="loading">Planning commitments…</p>}
      {plan && (
        <>
          <p className="cost-summary" data-testid="commitments-total">
            Buying per pool saves an expected <strong>{money(plan.total?.pooled_saving_p50)}</strong> over 30 days;
            committing per resource would save {money(plan.total?.saving_p50)} of {money(plan.total?.on_demand_p50)} on
            demand ({percent(shareOf(plan.total))}).
          </p>
          <h3>What to buy: one commitment per pool</h3>
          <p className="muted">
            A commitment covers every instance of its type in the account (a Savings Plan, a shared-scope reservation,
            a CUD), so the resources of one provider and type are planned as one fleet: their peaks need not coincide,
            so the pool can commit more than its resources' own plans together and saves at least as much.
          </p>
          <DataTable
            caption="commitment pools"
            testId="commitment-pools-table"
            columns={poolColumns}
            rows={plan.pools ?? []}
            rowKey={(p) => p.pool}
            sortable
            rowProps={(p) => ({ 'data-testid': 'commitment-pool-row', 'data-pool': p.pool })}
            searchLabel="search commitment pools"
            csvName="commitment-pools"
            pageSize={10}
            empty="No pool to plan a commitment for."
          />
          <h3>Per resource</h3>
          <DataTable
            caption="commitments"
            testId="commitments-table"
            columns={columns}
            rows={plan.resources}
            rowKey={(r) => r.resource}
            sortable
            rowProps={(r) => ({ 'data-testid': 'commitment-row', 'data-resource': r.resource })}
            searchLabel="search commitments"
            csvName="commitments"
            pageSize={10}
            empty="No resource to plan a commitment for."
          />
          <p className="muted">
            "Would have saved": the recommended commitment bought at the start of the recorded past (the last 30 days of
            the capacity the service recorded, or what exists), priced on what actually ran, hour by hour. On the public
            traces, <code>cloudopt costs commitments --data FILE.csv</code> measures the plan against hindsight
            (docs/COSTS.md).
          </p>
        </>
      )}
    </section>
  );
}

function shareOf(total) {
  return total?.on_demand_p50 > 0 ? total.saving_p50 / total.on_demand_p50 : null;
}
