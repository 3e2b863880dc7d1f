import { useCallback, useEffect, useState } from 'react';
import { api, errorMessage } from '../api.js';
import JobsPanel from '../components/JobsPanel.jsx';
import Reason from '../components/Reason.jsx';
import { subscribe } from '../events.js';
import { bandOf, money, number, percent, time } from '../format.js';

// Saved against static per window: the server's figures (GET /api/dashboard/stats `saved`), one definition for
// every card and the table (docs/SAVINGS.md): the static policy replayed on the recorded load minus what ran.
const WINDOWS = [
  { key: 'day', label: 'last 24 h' },
  { key: 'week', label: 'last 7 days' },
  { key: 'month', label: 'last 30 days' },
];

// The rows of the policy comparison, in the order a reader compares them.
const POLICIES = [
  { key: 'actual', label: 'what ran (recorded)' },
  { key: 'static', label: 'static (peak, always)' },
  { key: 'reactive', label: 'reactive (Kubernetes HPA)' },
  { key: 'oracle', label: 'oracle (perfect foresight)' },
];

export default function Overview({ canOperate }) {
  const [stats, setStats] = useState(null);
  const [actions, setActions] = useState([]);
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);

  const load = useCallback(async () => {
    try {
      const [{ data: s }, { data: a }] = await Promise.all([
        api.get('/api/dashboard/stats'),
        api.get('/api/actions', { params: { limit: 10 } }),
      ]);
      setStats(s);
      setActions(a.actions);
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
          <p className="muted">what the resources run now</p>
        </div>
        {WINDOWS.map((w) => {
          const s = stats.saved?.[w.key];
          const known = s && s.saved !== null && s.saved !== undefined;
          return (
            <div className="card" key={w.key}>
              <h2>Saved against static, {w.label}</h2>
              <p className={`big${known && s.saved < 0 ? ' negative' : ''}`} data-testid={`saved-${w.key}`} data-value={known ? s.saved : ''}>
                {known ? money(s.saved) : '–'}
              </p>
              {known ? (
                <p className="muted" data-testid={`saved-${w.key}-terms`}>
                  static {money(s.static_cost)} − ran {money(s.actual_cost)}
                  {s.saved < 0 ? ': what ran cost more' : ''}
                </p>
              ) : (
                <p className="muted">{s?.reason ?? 'not replayed yet'}</p>
              )}
            </div>
          );
        })}
        <div className="card">
          {/* A negative figure: the open recommendations scale out, so applying them adds cost. */}
          <h2>{(stats.could_save?.per_hour ?? 0) < 0 ? 'Would add' : 'Could save'}</h2>
          <p className="big" data-testid="could-save" data-value={stats.could_save?.per_hour ?? 0}>
            {money(Math.abs(stats.could_save?.per_hour ?? 0))}/h
          </p>
          <p className="muted">
            if the {stats.could_save?.open_recommendations ?? 0} open{' '}
            <a href="#/recommendations">recommendations</a> are applied; not counted as saved
          </p>
        </div>
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
            whose load exceeded ready capacity. Saved against static is the static row's cost minus what ran.
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
                    <td data-testid={`policy-${p.key}-cost`} data-value={o.cost}>{money(o.cost)}</td>
                    <td>{percent(o.unmet, 1)}</td>
                    <td>{o.actions}</td>
                  </tr>
                );
              })}
            </tbody>
            {stats.saved?.day?.saved !== null && stats.saved?.day?.saved !== undefined && (
              <tfoot>
                <tr>
                  <th scope="row">saved against static</th>
                  <td data-testid="policy-saved">{money(stats.saved.day.saved)}</td>
                  <td colSpan="2" />
                </tr>
              </tfoot>
            )}
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
              <em>{a.status}</em> <Reason item={a} />
            </li>
          ))}
        </ul>
        <p className="muted">{number(stats.counts.actions_24h, 0)} actions in the last 24 h</p>
      </section>

      <JobsPanel canCancel={canOperate} names={names} title="Jobs (training, simulations, allocation passes)" limit={6} />
    </>
  );
}
