import { useCallback, useEffect, useRef, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { savingsOver } from '../chartData.js';
import { subscribe } from '../events.js';
import { bandOf, money, number, percent, time } from '../format.js';

const WINDOWS = [
  { key: 'day', label: 'Last 24 h', seconds: 86400, step: 300 },
  { key: 'week', label: 'Last 7 days', seconds: 7 * 86400, step: 3600 },
  { key: 'month', label: 'Last 30 days', seconds: 30 * 86400, step: 3600 },
];

// Saved against static allocation over each window, from the recorded cost history of every resource.
async function loadSavings(stats) {
  const staticById = Object.fromEntries(stats.resources.map((r) => [r.id, r.static_cost_per_hour]));
  const out = {};
  for (const w of WINDOWS) {
    const { data } = await api.get('/api/dashboard/history', {
      params: { from: stats.now - w.seconds, to: stats.now, step: w.step },
    });
    out[w.key] = data.resources.reduce(
      (sum, r) => sum + savingsOver({ step: data.step, cost_per_hour: r.cost_per_hour }, staticById[r.id] ?? 0),
      0,
    );
  }
  return out;
}

// The rows of the policy comparison, in the order a reader compares them.
const POLICIES = [
  { key: 'actual', label: 'what ran (recorded)' },
  { key: 'static', label: 'static (peak, always)' },
  { key: 'reactive', label: 'reactive (Kubernetes HPA)' },
  { key: 'oracle', label: 'oracle (perfect foresight)' },
];

export default function Overview() {
  const [stats, setStats] = useState(null);
  const [savings, setSavings] = useState(null);
  const [actions, setActions] = useState([]);
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);
  const savingsLoadedAt = useRef(0);

  const load = useCallback(async () => {
    try {
      const [{ data: s }, { data: a }] = await Promise.all([
        api.get('/api/dashboard/stats'),
        api.get('/api/actions', { params: { limit: 10 } }),
      ]);
      setStats(s);
      setActions(a.actions);
      // The savings integrate up to 30 days of history: refresh them once a minute, not on every pushed event
      // (the demo pushes one a second).
      if (Date.now() - savingsLoadedAt.current > 60000) {
        savingsLoadedAt.current = Date.now();
        setSavings(await loadSavings(s));
      }
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    load();
    return subscribe(() => {
      setLive(true);
      load();
    });
  }, [load]);

  if (error) return <p role="alert" className="error">{error}</p>;
  if (!stats) return <p className="loading">Loading…</p>;
  const names = Object.fromEntries(stats.resources.map((r) => [r.id, r.name]));
  const u = stats.utilization;
  return (
    <>
      <h1>
        Overview <span className={live ? 'live on' : 'live'} title="updates pushed by the service">{live ? 'live' : 'connecting'}</span>
      </h1>
      <section className="cards" aria-label="cost">
        <div className="card">
          <h2>Cost per hour now</h2>
          <p className="big" data-testid="cost-per-hour">{money(stats.cost_per_hour)}</p>
          <p>static allocation: <span data-testid="static-cost-per-hour">{money(stats.static_cost_per_hour)}</span></p>
        </div>
        <div className="card">
          <h2>Saving now</h2>
          <p className="big" data-testid="saving-per-hour">{money(stats.saving_per_hour)}/h</p>
          <p data-testid="saving-fraction">{percent(stats.saving_fraction, 1)} below static</p>
        </div>
        {WINDOWS.map((w) => (
          <div className="card" key={w.key}>
            <h2>Saved, {w.label.toLowerCase()}</h2>
            <p className="big" data-testid={`saved-${w.key}`}>{savings ? money(savings[w.key]) : '…'}</p>
            <p>against static, as recorded</p>
          </div>
        ))}
        <div className="card">
          <h2>Utilization</h2>
          <p className="big" data-testid="mean-utilization">{percent(u.mean)}</p>
          <p>
            band {percent(u.target_low)}–{percent(u.target_high)}: {u.in_band} in, {u.below_band} below, {u.above_band} above
          </p>
        </div>
      </section>

      {stats.comparison && Object.keys(stats.comparison.policies).length > 0 && (
        <section aria-label="policy comparison">
          <h2>Last 24 hours: what each policy would have cost</h2>
          <p>
            Replayed on the load cloudopt recorded, with the simulator's time model; unmet is the share of 5-minute steps
            whose load exceeded ready capacity.
          </p>
          <table data-testid="policy-comparison">
            <thead>
              <tr>
                <th>Policy</th>
                <th>Cost</th>
                <th>Unmet</th>
                <th>Changes</th>
              </tr>
            </thead>
            <tbody>
              {POLICIES.filter((p) => stats.comparison.policies[p.key]).map((p) => {
                const o = stats.comparison.policies[p.key];
                return (
                  <tr key={p.key} data-testid={`policy-${p.key}`}>
                    <td>{p.label}</td>
                    <td>{money(o.cost)}</td>
                    <td>{percent(o.unmet, 1)}</td>
                    <td>{o.actions}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </section>
      )}

      {stats.alerts.length > 0 && (
        <section aria-label="alerts">
          <h2>Alerts</h2>
          <ul className="alerts">
            {stats.alerts.map((a) => (
              <li key={a}>{a}</li>
            ))}
          </ul>
        </section>
      )}

      <section aria-label="resources">
        <h2>Resources against the band</h2>
        <table>
          <thead>
            <tr>
              <th>Resource</th>
              <th>Mode</th>
              <th>Instances</th>
              <th>Utilization</th>
              <th>Cost/h</th>
            </tr>
          </thead>
          <tbody>
            {stats.resources.map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={`#/resources/${r.id}`}>{r.name}</a> <small>{r.provider}</small>
                </td>
                <td>{r.mode}</td>
                <td>{r.ready}</td>
                <td>
                  <span className={`band ${bandOf(r.utilization, u.target_low, u.target_high)}`}>{percent(r.utilization)}</span>
                </td>
                <td>{money(r.cost_per_hour)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <section aria-label="recent actions">
        <h2>Recent actions</h2>
        <ul className="actions">
          {actions.map((a) => (
            <li key={a.id}>
              <time>{time(a.ts, stats.now)}</time> <strong>{names[a.resource_id] ?? a.resource_id}</strong> {a.from} → {a.to}{' '}
              <em>{a.status}</em> <span className="reason">{a.reason}</span>
            </li>
          ))}
        </ul>
        <p className="muted">{number(stats.counts.actions_24h, 0)} actions in the last 24 h</p>
      </section>
    </>
  );
}
