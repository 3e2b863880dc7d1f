// 1-year, no-upfront commitments per resource (GET /api/costs/commitments; docs/COSTS.md "Commitments"): how many
// instances to commit to, where each pays for itself (the break-even utilization), the instances the forecast's
// hours stay above, and the expected saving over the next 30 days with its p10-p90 band. A sortable table with a
// CSV export; a resource without a recommendation says why.
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
  const columns = [
    { key: 'resource', label: 'Resource' },
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
            Committing as recommended saves an expected <strong>{money(plan.total?.saving_p50)}</strong> of{' '}
            {money(plan.total?.on_demand_p50)} on demand over 30 days ({percent(shareOf(plan.total))}).
          </p>
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
            What the plan would have saved in the past is measured per trace by{' '}
            <code>cloudopt costs commitments --data FILE.csv</code> (docs/COSTS.md: 9.8–36.1% of the on-demand cost
            against 15.4–36.1% in hindsight); the service does not replay it per resource yet.
          </p>
        </>
      )}
    </section>
  );
}

function shareOf(total) {
  return total?.on_demand_p50 > 0 ? total.saving_p50 / total.on_demand_p50 : null;
}
