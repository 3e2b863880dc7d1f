// The Overview: what the fleet costs against static over the chosen range (with the savings area between them),
// utilization of each resource against its band, the month's spend, open alerts and recommendations with their
// value, the next planned changes, and what was done. Every figure is the service's (docs/DASHBOARD.md,
// "Overview"); data is fetched once per range and then extended by the live events.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { costDatasets, extendHistory, extendSavings, palette, utilizationDatasets } from '../chartData.js';
import { createCrosshairGroup } from '../components/charts/setup.js';
import MarkerDetail from '../components/charts/MarkerDetail.jsx';
import TimeChart from '../components/charts/TimeChart.jsx';
import TimeRangePicker from '../components/charts/TimeRangePicker.jsx';
import JobsPanel from '../components/JobsPanel.jsx';
import Reason from '../components/Reason.jsx';
import { subscribe, throttle } from '../events.js';
import { bandOf, dateTime, money, noteServiceNow, number, percent, serviceNow, span, time, zoneLabel } from '../format.js';

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

const stepFor = (seconds) => Math.max(60, Math.floor(seconds / 300));

// GET /api/costs answers 503 with Retry-After while it computes a report (docs/COSTS.md): wait and ask again.
async function monthCosts(tries = 4) {
  for (let i = 0; ; i += 1) {
    try {
      const { data } = await api.get('/api/costs', { params: { kind: 'total' } });
      return data;
    } catch (e) {
      if (e?.response?.status !== 503 || i + 1 >= tries) throw e;
      await new Promise((r) => setTimeout(r, 1000 * Number(e.response.headers?.['retry-after'] ?? 5)));
    }
  }
}

export default function Overview({ canOperate }) {
  const [range, setRange] = useState({ kind: 'last', seconds: 86400 });
  const [zoom, setZoom] = useState(null);
  const [stats, setStats] = useState(null);
  const [savings, setSavings] = useState(null);
  const [history, setHistory] = useState(null);
  const [costs, setCosts] = useState(null);
  const [costsNote, setCostsNote] = useState('');
  const [alerts, setAlerts] = useState([]);
  const [recommendations, setRecommendations] = useState([]);
  const [planned, setPlanned] = useState([]);
  const [actions, setActions] = useState([]);
  const [selected, setSelected] = useState(null);
  const [now, setNow] = useState(serviceNow());
  const [error, setError] = useState('');
  const [live, setLive] = useState(false);
  const group = useMemo(createCrosshairGroup, []);
  const rangeRef = useRef(range);
  rangeRef.current = range;

  const loadStats = useCallback(async () => {
    try {
      const { data } = await api.get('/api/dashboard/stats');
      setStats(data);
      noteServiceNow(data.now);
      setNow((n) => Math.max(n ?? 0, data.now));
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  const params = useCallback(() => {
    const r = rangeRef.current;
    return r.kind === 'abs' ? { from: r.from, to: r.to } : { last: r.seconds };
  }, []);

  const loadSavings = useCallback(async () => {
    try {
      const { data } = await api.get('/api/dashboard/savings', { params: params() });
      setSavings(data);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [params]);

  const loadHistory = useCallback(async () => {
    const r = rangeRef.current;
    const seconds = r.kind === 'abs' ? r.to - r.from : r.seconds;
    try {
      const { data } = await api.get('/api/dashboard/history', { params: { step: stepFor(seconds), ...params() } });
      setHistory(data);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [params]);

  const loadAlerts = useCallback(async () => {
    try {
      const { data } = await api.get('/api/alerts', { params: { limit: 50 } });
      setAlerts(data.alerts);
    } catch {
      setAlerts([]);
    }
  }, []);

  const loadRecommendations = useCallback(async () => {
    try {
      const { data } = await api.get('/api/resources/recommendations', { params: { status: 'open' } });
      setRecommendations(data.recommendations);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  const loadPlanned = useCallback(async () => {
    try {
      const { data } = await api.get('/api/dashboard/planned');
      setPlanned(data.changes);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  // Once: the figures that do not depend on the range.
  useEffect(() => {
    loadStats();
    loadAlerts();
    loadRecommendations();
    loadPlanned();
    api.get('/api/actions', { params: { limit: 10 } }).then(({ data }) => setActions(data.actions), (e) => setError(errorMessage(e)));
    monthCosts().then(setCosts, (e) => setCostsNote(errorMessage(e)));
  }, [loadStats, loadAlerts, loadRecommendations, loadPlanned]);

  // Once per range: the two charts' series.
  useEffect(() => {
    setZoom(null);
    loadSavings();
    loadHistory();
  }, [range, loadSavings, loadHistory]);

  // Live: each event extends the charts and the actions; the rest is asked for again only when the event says it
  // changed (at most every 30 s), and the replayed figures (stats, savings) at most every 30 / 60 s (the server reuses a day's replay
  // for 5 minutes of its clock anyway).
  useEffect(() => {
    const refetchStats = throttle(loadStats, 30000);
    const refetchSavings = throttle(loadSavings, 60000);
    const refetchAlerts = throttle(loadAlerts, 30000);
    const refetchRecommendations = throttle(loadRecommendations, 30000);
    const refetchPlanned = throttle(loadPlanned, 60000);
    let forecasts = null;
    const stop = subscribe((event) => {
      setLive(true);
      setNow((n) => Math.max(n ?? 0, event.now));
      if (rangeRef.current.kind === 'last') {
        const from = event.now - rangeRef.current.seconds;
        setSavings((s) => extendSavings(s, event));
        setHistory((h) =>
          h && {
            ...h,
            from,
            now: event.now,
            resources: h.resources.map((r) => extendHistory(r, event.resources?.find((x) => x.id === r.id), from)),
          },
        );
        refetchSavings();
      }
      if (event.actions?.length) setActions((list) => [...[...event.actions].reverse(), ...list].slice(0, 10));
      refetchStats();
      if (event.alerts_changed) refetchAlerts();
      if (event.recommendations_changed) refetchRecommendations();
      const digest = JSON.stringify(event.forecasts ?? {});
      if (forecasts !== null && digest !== forecasts) refetchPlanned();
      forecasts = digest;
    });
    return () => {
      stop();
      for (const t of [refetchStats, refetchSavings, refetchAlerts, refetchRecommendations, refetchPlanned]) t.cancel();
    };
  }, [loadStats, loadSavings, loadAlerts, loadRecommendations, loadPlanned]);

  if (error && !stats) return <p role="alert" className="error">{error}</p>;
  if (!stats) return <p className="loading">Loading…</p>;
  const c = palette();
  const names = Object.fromEntries(stats.resources.map((r) => [r.id, r.name]));
  const u = stats.utilization;
  const clock = now ?? stats.now;
  const rangeFrom = range.kind === 'abs' ? range.from : clock - range.seconds;
  const rangeTo = range.kind === 'abs' ? range.to : clock;
  const view = zoom ?? { from: rangeFrom * 1000, to: rangeTo * 1000 };
  const onView = (from, to) => setZoom({ from, to });
  const total = costs?.groups?.find((g) => g.kind === 'total');
  const openAlerts = alerts.filter((a) => a.state === 'open');
  const recValue = recommendations.reduce((sum, r) => sum + (r.hourly_saving ?? r.hourly_cost_before - r.hourly_cost_after), 0);
  const savedKnown = savings && savings.saved !== null && savings.saved !== undefined;
  return (
    <>
      <h1>
        Overview <span className={live ? 'live on' : 'live'} title="updates pushed by the service">{live ? 'live' : 'connecting'}</span>
      </h1>
      <p className="clock muted" data-testid="service-clock" data-now={clock}>
        service clock {dateTime(clock)} · times in {zoneLabel(clock)}
      </p>
      {error && <p role="alert" className="error">{error}</p>}
      <section className="cards" aria-label="cost">
        <div className="card">
          <h2>Cost per hour now</h2>
          <p className="big" data-testid="cost-per-hour">{money(stats.cost_per_hour)}</p>
          <p className="muted">what the resources run now</p>
        </div>
        <div className="card">
          <h2>Spend this month so far</h2>
          <p className="big" data-testid="month-spend" data-value={total?.actual_to_date ?? ''}>{total ? money(total.actual_to_date) : '–'}</p>
          <p className="muted">
            {total?.month_end ? (
              <>
                month's end {money(total.month_end.p50, 0)} (p10 {money(total.month_end.p10, 0)} – p90 {money(total.month_end.p90, 0)}) ·{' '}
                <a href="#/costs">costs</a>
              </>
            ) : (
              costsNote || total?.note || 'computing…'
            )}
          </p>
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
        <div className="card">
          <h2>Open alerts</h2>
          <p className={`big${openAlerts.length ? ' negative' : ''}`} data-testid="open-alerts">{openAlerts.length}</p>
          <p className="muted">
            anomalies in the load ·{' '}
            <button type="button" className="linkish" onClick={() => document.getElementById('alerts')?.scrollIntoView()}>
              the list
            </button>
          </p>
        </div>
      </section>

      <section className="toolbar" aria-label="range">
        <TimeRangePicker value={range} onChange={setRange} now={clock} zoomed={!!zoom} onResetZoom={() => setZoom(null)} />
      </section>
      <p className="saved-range" data-testid="saved-range" data-value={savedKnown ? savings.saved : ''} data-static={savings?.static_cost ?? ''} data-ran={savings?.actual_cost ?? ''} data-from={savings?.from ?? ''} data-to={savings?.to ?? ''}>
        {savedKnown ? (
          <>
            Over {range.kind === 'abs' ? `${dateTime(range.from)} – ${dateTime(range.to)}` : `the last ${span(range.seconds)}`}: static{' '}
            {money(savings.static_cost)} − ran {money(savings.actual_cost)} ={' '}
            <strong className={savings.saved < 0 ? 'negative' : ''}>{money(savings.saved)}</strong> saved against static
          </>
        ) : (
          <span className="muted">{savings?.reason ?? 'replaying the range…'}</span>
        )}
      </p>
      <div className="chart-pair">
        <TimeChart
          title="Cost per hour: what ran against static"
          testId="cost-chart"
          label="cost per hour of what ran against the static allocation, the area between them saved"
          datasets={costDatasets(savings)}
          view={view}
          onView={onView}
          yTitle="USD per hour"
          group={group}
          now={clock * 1000}
          tooltipLabel={(item) => `${item.dataset.label}: ${money(item.parsed.y)}`}
          attrs={{ 'data-points': savings?.series?.length ?? 0 }}
        />
        <TimeChart
          title="Utilization against the band"
          testId="utilization-chart"
          label="utilization of each resource against the 70 to 80 percent band"
          datasets={[...utilizationDatasets(history), { label: `target band ${percent(u.target_low)}–${percent(u.target_high)}`, data: [], legendColor: c.band, backgroundColor: c.band }]}
          view={view}
          onView={onView}
          yTitle="% of ready capacity"
          yMax={100}
          group={group}
          bands={[{ from: u.target_low * 100, to: u.target_high * 100, color: c.band }]}
          now={clock * 1000}
          tooltipLabel={(item) => `${item.dataset.label}: ${percent(item.parsed.y / 100)}`}
          attrs={{ 'data-series': history?.resources?.length ?? 0 }}
        />
      </div>

      <div className="two-columns">
        <section aria-label="anomaly alerts" id="alerts">
          <h2>Alerts</h2>
          {alerts.length === 0 ? (
            <p className="muted">No anomaly alerts: the load of every resource stays within what was seen before.</p>
          ) : (
            <ul className="alert-list" data-testid="alert-list">
              {alerts.slice(0, 8).map((a) => (
                <li key={a.id} className={a.state} data-testid="alert" data-state={a.state}>
                  <button type="button" className="linkish" onClick={() => setSelected({ kind: 'alert', item: a })} aria-label={`alert ${a.id} on ${a.resource ?? names[a.resource_id]}: evidence`}>
                    <span className={`tag ${a.state === 'open' ? 'danger' : ''}`}>{a.state}</span> <strong>{a.resource ?? names[a.resource_id]}</strong>{' '}
                    <time>{time(a.opened_at, clock, { zone: true })}</time>
                  </button>
                  <span className="evidence">
                    {number(a.value, 1)} seen, {number(a.expected?.range?.low, 1)}–{number(a.expected?.range?.high, 1)} expected
                  </span>
                </li>
              ))}
            </ul>
          )}
          {selected && <MarkerDetail selected={selected} metric={selected.item.metric} onClose={() => setSelected(null)} />}
        </section>
        <section aria-label="open recommendations">
          <h2>Open recommendations</h2>
          {recommendations.length === 0 ? (
            <p className="muted">None open.</p>
          ) : (
            <>
              <ul className="actions" data-testid="open-recommendations">
                {recommendations.slice(0, 6).map((r) => (
                  <li key={r.id}>
                    <strong>{names[r.resource_id] ?? r.resource_id}</strong> {r.from} → {r.to}:{' '}
                    <span data-testid="recommendation-value" data-value={r.hourly_saving}>
                      {r.hourly_saving >= 0 ? `saves ${money(r.hourly_saving)}/h` : `adds ${money(-r.hourly_saving)}/h`}
                    </span>{' '}
                    <Reason item={r} />
                  </li>
                ))}
              </ul>
              <p className="muted">
                together {recValue >= 0 ? `save ${money(recValue)}/h` : `add ${money(-recValue)}/h`} · <a href="#/recommendations">all recommendations</a>
              </p>
            </>
          )}
        </section>
        <section aria-label="next planned changes">
          <h2>Next planned changes</h2>
          {planned.length === 0 ? (
            <p className="muted">The stored forecasts plan no change ahead.</p>
          ) : (
            <ul className="actions" data-testid="planned-changes">
              {planned.map((p) => (
                <li key={p.resource_id} data-testid="planned-change">
                  <time>{time(p.ts, clock, { zone: true })}</time> <a href={`#/resources/${p.resource_id}`}>{p.resource}</a> {p.from} → {p.to}{' '}
                  <small>({p.quantile} of the forecast)</small>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>

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
        <section aria-label="service warnings">
          <h2>Service warnings</h2>
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
              <time>{time(a.ts, clock, { zone: true })}</time> <strong>{names[a.resource_id] ?? a.resource_id}</strong> {a.from} → {a.to}{' '}
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
