// A resource's page: its demand, capacity and forecast over a chosen range, utilization against the band, the
// actions and alerts as markers that open their reasons and evidence, and the model. Data is fetched once per range
// and then extended by the live events (docs/DASHBOARD.md, "Resource"); the forecast, actions and alerts are asked
// for again only when an event says they changed.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, errorMessage } from '../api.js';
import { actionMarkers, alertMarkers, demandForecastDatasets, extendHistory, palette, plannedCapacityDataset } from '../chartData.js';
import { createCrosshairGroup } from '../components/charts/setup.js';
import MarkerDetail from '../components/charts/MarkerDetail.jsx';
import TimeChart from '../components/charts/TimeChart.jsx';
import TimeRangePicker, { rangeOf } from '../components/charts/TimeRangePicker.jsx';
import JobsPanel from '../components/JobsPanel.jsx';
import { LabelEditor, LabelTags } from '../components/Labels.jsx';
import Reason from '../components/Reason.jsx';
import { subscribe, throttle } from '../events.js';
import { bandCoverage, bandsBy, dateTime, jobState, money, noteServiceNow, number, passSummary, percent, serviceNow, sinceTraining, time, zoneLabel } from '../format.js';

// A model name breaks only after its separators ("combination(naive=0.35,seasonal_naive=0.15)"), never mid-word.
function ModelName({ text }) {
  const parts = String(text).split(/(?<=[+,(/:])/);
  return parts.map((p, i) => (
    <span key={i}>
      {p}
      {i < parts.length - 1 && <wbr />}
    </span>
  ));
}

const stepFor = (seconds) => Math.max(60, Math.floor(seconds / 300));

export default function ResourcePage({ id, user }) {
  const [range, setRange] = useState({ kind: 'last', seconds: 86400 });
  const [zoom, setZoom] = useState(null); // { from, to } in ms while zoomed or panned, else the range
  const [resource, setResource] = useState(null);
  const [driver, setDriver] = useState(undefined);
  const [history, setHistory] = useState(null);
  const [bounds, setBounds] = useState(null); // [from, to] unix seconds the history covers
  const [forecast, setForecast] = useState(undefined);
  const [actions, setActions] = useState([]);
  const [alerts, setAlerts] = useState([]);
  const [now, setNow] = useState(serviceNow());
  const [selected, setSelected] = useState(null); // { kind: 'action' | 'alert', item }
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [forecastNote, setForecastNote] = useState('');
  const [started, setStarted] = useState(null); // the job this page started last: { label, id }
  const [jobsKey, setJobsKey] = useState(0);
  const [editingLabels, setEditingLabels] = useState(false);
  const group = useMemo(createCrosshairGroup, []);
  const rangeRef = useRef(range);
  rangeRef.current = range;
  const boundsRef = useRef(bounds);
  boundsRef.current = bounds;
  const forecastRef = useRef(forecast);
  forecastRef.current = forecast;

  const loadResource = useCallback(async () => {
    try {
      const [{ data: r }, providers] = await Promise.all([
        api.get(`/api/resources/${id}`),
        // Which driver serves the resource's provider: a `keda` one hands its plan to KEDA (docs/KEDA.md).
        api.get('/api/providers').catch(() => ({ data: { providers: [] } })),
      ]);
      setResource(r);
      setDriver(providers.data.providers.find((p) => p.name === r.provider)?.driver);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [id]);

  const loadForecast = useCallback(async () => {
    try {
      const { data } = await api.get('/api/predictions', { params: { resource: id } });
      setForecast(data);
      setForecastNote('');
    } catch (e) {
      // The loop's stored forecast; a 409 until the loop has made one (said under the chart).
      setForecastNote(e?.response?.status === 409 ? errorMessage(e) : '');
      setForecast(null);
    }
  }, [id]);

  const loadAlerts = useCallback(async () => {
    try {
      const { data } = await api.get('/api/alerts', { params: { resource: id, limit: 200 } });
      setAlerts(data.alerts);
    } catch {
      setAlerts([]); // a store without alerts: no markers
    }
  }, [id]);

  // The range's history and actions: once per range (the live events extend them).
  const loadRange = useCallback(async () => {
    try {
      const seconds = range.kind === 'abs' ? range.to - range.from : range.seconds;
      const params = range.kind === 'abs' ? { from: range.from, to: range.to } : { last: range.seconds };
      const { data: h } = await api.get('/api/dashboard/history', { params: { resource: id, step: stepFor(seconds), ...params } });
      const to = range.kind === 'abs' ? h.to : h.now;
      const { data: a } = await api.get('/api/actions', { params: { resource: id, since: h.from, limit: 1000 } });
      setHistory(h.resources[0]);
      setBounds([h.from, to]);
      noteServiceNow(h.now);
      setNow((n) => Math.max(n ?? 0, h.now));
      setActions(a.actions.filter((x) => x.ts <= to));
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [id, range]);

  useEffect(() => {
    loadResource();
    loadForecast();
    loadAlerts();
  }, [loadResource, loadForecast, loadAlerts]);

  useEffect(() => {
    setZoom(null);
    setSelected(null);
    loadRange();
  }, [loadRange]);

  // Live: each event moves the clock and carries this resource's newest sample and any new action; the forecast
  // and the alerts are fetched again only when the event says they changed (and at most every 30 s / 15 s).
  useEffect(() => {
    const refetchForecast = throttle(loadForecast, 30000);
    const refetchAlerts = throttle(loadAlerts, 15000);
    const stop = subscribe((event) => {
      setNow((n) => Math.max(n ?? 0, event.now));
      if (rangeRef.current.kind !== 'last' || !boundsRef.current) {
        // An absolute range does not move; only its markers' details may change.
      } else {
        const from = event.now - rangeRef.current.seconds;
        const sample = event.resources?.find((r) => r.id === id);
        if (sample) setHistory((h) => extendHistory(h, sample, from));
        setBounds([from, event.now]);
        const mine = (event.actions ?? []).filter((a) => a.resource_id === id);
        if (mine.length) setActions((list) => [...mine.reverse(), ...list].filter((a) => a.ts >= from));
      }
      const generated = event.forecasts?.[id];
      const current = forecastRef.current;
      if (generated !== undefined && generated !== current?.generated_at) refetchForecast();
      if (event.alerts_changed) refetchAlerts();
    });
    return () => {
      stop();
      refetchForecast.cancel();
      refetchAlerts.cancel();
    };
  }, [id, loadForecast, loadAlerts]);

  const load = useCallback(() => {
    loadResource();
    loadForecast();
  }, [loadResource, loadForecast]);

  async function setMode(mode) {
    try {
      await api.put(`/api/resources/${id}/mode`, { mode });
      setNotice(`mode set to ${mode}`);
      load();
    } catch (e) {
      setNotice(errorMessage(e));
    }
  }

  // Follows a job this page started until it ends, then says what it did and reloads the page's data.
  const follow = useCallback(
    async (label, id0) => {
      setStarted({ label, id: id0, status: 'queued' });
      setJobsKey((k) => k + 1);
      for (;;) {
        let job;
        try {
          ({ data: job } = await api.get(`/api/jobs/${id0}`));
        } catch (e) {
          setStarted({ label, id: id0, status: 'unknown', text: errorMessage(e) });
          return;
        }
        const ended = job.status !== 'queued' && job.status !== 'running';
        let text = jobState(job);
        if (job.status === 'succeeded' && job.kind === 'allocate') text = `done: ${passSummary(job.result?.results)}`;
        if (job.status === 'succeeded' && job.kind === 'train') {
          const t = job.result?.trained?.find((r) => r.resource_id === id);
          text = t?.error ? `failed: ${t.error}` : `done: ${t?.model ?? 'trained'}`;
        }
        setStarted({ label, id: id0, status: job.status, text });
        if (ended) {
          setJobsKey((k) => k + 1);
          load();
          return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
    [id, load],
  );

  // One control-loop pass for this resource now, as a job (POST /api/resources/allocate answers 202 at once).
  async function allocateNow() {
    try {
      const { data: job } = await api.post('/api/resources/allocate', { resource: id });
      follow('Allocation pass', job.job_id);
    } catch (e) {
      setNotice(errorMessage(e));
    }
  }

  // Trains this resource's model in the background (POST /api/predictions/train).
  async function retrain() {
    try {
      const { data: job } = await api.post('/api/predictions/train', { resource: id });
      follow('Training', job.job_id);
    } catch (e) {
      setNotice(errorMessage(e));
    }
  }

  // The trained model as a model file (cloudopt forecast --model-file reads it; PUT it to another resource).
  async function downloadModel(name) {
    try {
      const { data: bytes } = await api.get(`/api/resources/${id}/model`, { responseType: 'blob' });
      const url = URL.createObjectURL(bytes);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${name}.model`;
      link.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setNotice(errorMessage(e));
    }
  }

  // A model file (cloudopt train --out, or another resource's download) installed as this resource's model.
  async function installModel(file) {
    if (!file) return;
    try {
      const { data: installed } = await api.put(`/api/resources/${id}/model`, file, {
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      setNotice(`model installed: ${installed.model}`);
      load();
    } catch (e) {
      setNotice(errorMessage(e));
    }
  }


  if (error) return <p role="alert" className="error">{error}</p>;
  if (!resource || !history || !bounds || forecast === undefined) return <p className="loading">Loading…</p>;
  const c = palette();
  const cpi = resource.capacity_per_instance;
  const nowMs = (now ?? bounds[1]) * 1000;
  const lastForecast = forecast?.points?.length ? forecast.points[forecast.points.length - 1].ts + (forecast.step ?? 0) : bounds[1];
  // The range's view runs to the forecast's end when the range ends now, so what is planned shows beside the past.
  const rangeView = { from: bounds[0] * 1000, to: (range.kind === 'last' ? Math.max(bounds[1], lastForecast) : bounds[1]) * 1000 };
  const view = zoom ?? rangeView;
  const sets = demandForecastDatasets(history, forecast, cpi);
  const planned = plannedCapacityDataset(forecast, cpi, now ?? bounds[1]);
  planned.borderColor = c.planned;
  planned.backgroundColor = c.planned;
  const actionSet = actionMarkers(actions, cpi, view.from, view.to);
  const alertSet = alertMarkers(alerts.filter((a) => a.metric === resource.load_metric), view.from, view.to, now ?? bounds[1]);
  const demandSets = [...sets, planned, actionSet, alertSet.dataset];
  // Alerts on cpu_utilization belong on the utilization chart (in percent), those on the load metric above.
  const utilizationAlerts = alertMarkers(alerts.filter((a) => a.metric === 'cpu_utilization'), view.from, view.to, now ?? bounds[1], 100);
  const utilizationSet = [
    {
      label: 'utilization',
      data: (history.utilization ?? []).map(([ts, u]) => ({ x: ts * 1000, y: u * 100 })),
      borderColor: c.demand,
      backgroundColor: c.demand,
      pointRadius: 0,
      borderWidth: 1.5,
    },
    { label: `target band ${percent(resource.target_low)}–${percent(resource.target_high)}`, data: [], legendColor: c.band, backgroundColor: c.band },
    utilizationAlerts.dataset,
  ];
  // The forecast ahead, large: from a little before now to the forecast's end.
  const horizon = Math.max(3600, lastForecast - (now ?? bounds[1]));
  const aheadView = { from: ((now ?? bounds[1]) - horizon) * 1000, to: lastForecast * 1000 };
  const aheadSets = [...sets, planned, actionMarkers(actions, cpi, aheadView.from, aheadView.to)];
  const onView = (from, to) => setZoom({ from, to });
  const tooltipLabel = (item) => {
    const raw = item.raw;
    if (raw.item?.reason !== undefined) return `action ${raw.item.from} → ${raw.item.to} (${raw.item.status}): click for the reason`;
    if (raw.item?.message !== undefined) return `alert (${raw.item.state}): ${raw.item.message}`;
    if (raw.instances !== undefined) return `${item.dataset.label}: ${raw.instances} instances`;
    return `${item.dataset.label}: ${number(item.parsed.y, 2)}`;
  };
  const canOperate = user.role === 'operator' || user.role === 'admin';
  const openAlerts = alerts.filter((a) => a.state === 'open');
  return (
    <>
      <h1>{resource.name}</h1>
      <p className="muted">
        {resource.provider} · {resource.instance_type} · {resource.min_capacity}–{resource.max_capacity} instances · band{' '}
        {percent(resource.target_low)}–{percent(resource.target_high)} · boot delay {resource.boot_delay_s} s
        {driver === 'keda' && (
          <>
            {' '}
            · <span className="tag" title="cloudopt plans this resource and serves the plan to KEDA's external scaler; KEDA's HPA sets the replicas (docs/KEDA.md)">scaled by KEDA</span>
          </>
        )}
      </p>
      {/* Labels (docs/COSTS.md): costs and budgets group by them. Changing them is PUT /api/resources/{id}, which
          needs an admin; everyone else reads them. */}
      <div className="labels-line" data-testid="resource-labels">
        <span className="muted">Labels:</span> <LabelTags labels={resource.labels} empty="none yet" />
        {user.role === 'admin' && !editingLabels && (
          <button type="button" className="secondary" onClick={() => setEditingLabels(true)}>
            Edit labels
          </button>
        )}
      </div>
      {editingLabels && <LabelEditor resource={resource} onSaved={(r) => setResource(r)} onCancel={() => setEditingLabels(false)} />}
      <p className="clock muted" data-testid="service-clock" data-now={now ?? ''}>
        service clock {dateTime(now)} · times in {zoneLabel(now)}
      </p>
      <section className="toolbar" aria-label="controls">
        <TimeRangePicker value={range} onChange={setRange} now={now ?? bounds[1]} zoomed={!!zoom} onResetZoom={() => setZoom(null)} />
        <label>
          Mode{' '}
          <select aria-label="mode" value={resource.mode} disabled={!canOperate} onChange={(e) => setMode(e.target.value)}>
            <option value="off">off</option>
            <option value="recommend">recommend</option>
            <option value="auto">auto</option>
          </select>
        </label>
        {canOperate && (
          <span className="buttons">
            <button type="button" onClick={allocateNow} disabled={started && ['queued', 'running'].includes(started.status) && started.label === 'Allocation pass'}>
              Allocate now
            </button>
            <button type="button" onClick={retrain} disabled={started && ['queued', 'running'].includes(started.status) && started.label === 'Training'}>
              Retrain
            </button>
          </span>
        )}
        {notice && <span role="status">{notice}</span>}
      </section>
      {started && (
        <p className={`job-progress ${started.status}`} data-testid="started-job" data-status={started.status} role="status">
          {started.label} (job #{started.id}): {started.text ?? started.status}
        </p>
      )}
      <TimeChart
        title="Demand, capacity and forecast"
        testId="demand-chart"
        label={`demand, forecast and capacity of ${resource.name}`}
        datasets={demandSets}
        view={view}
        onView={onView}
        yTitle={resource.load_metric}
        group={group}
        spans={alertSet.spans}
        now={nowMs}
        onMarker={(kind, item) => setSelected({ kind, item })}
        tooltipLabel={tooltipLabel}
        attrs={{
          'data-demand-points': sets[0].data.length,
          'data-forecast-points': sets[1].data.length,
          'data-action-points': actionSet.data.length,
          'data-alert-points': alertSet.dataset.data.length,
          'data-planned-points': planned.data.length,
          'data-view-from': Math.round(view.from / 1000),
          'data-view-to': Math.round(view.to / 1000),
        }}
      />
      {selected && <MarkerDetail selected={selected} metric={resource.load_metric} cpi={cpi} onClose={() => setSelected(null)} />}
      {forecastNote && <p className="muted" data-testid="forecast-note">{forecastNote}</p>}
      <div className="chart-pair">
        <TimeChart
          title="Ahead of now: forecast and planned capacity"
          testId="forecast-chart"
          label={`forecast bands and planned capacity of ${resource.name}`}
          datasets={aheadSets}
          view={aheadView}
          yTitle={resource.load_metric}
          group={group}
          now={nowMs}
          onMarker={(kind, item) => setSelected({ kind, item })}
          tooltipLabel={tooltipLabel}
        />
        <TimeChart
          title="Utilization against the band"
          testId="utilization-chart"
          label={`utilization of ${resource.name} against its band`}
          datasets={utilizationSet}
          view={view}
          onView={onView}
          yTitle="% of ready capacity"
          yMax={100}
          group={group}
          bands={[{ from: resource.target_low * 100, to: resource.target_high * 100, color: c.band }]}
          spans={utilizationAlerts.spans}
          now={nowMs}
          onMarker={(kind, item) => setSelected({ kind, item })}
          tooltipLabel={tooltipLabel}
        />
      </div>
      {planned.data.length > 0 && (
        <p className="muted legend-note">
          Planned capacity (dashed): what the stored forecast needs ahead of now ({forecast.planned_quantile} at{' '}
          {percent(forecast.target_utilization)} utilization, within {resource.min_capacity}–{resource.max_capacity}), as the planner
          sizes it; it changes capacity only when its guards allow. Drag across a chart to zoom, shift+drag to pan; click a
          ◆ action or ▲ alert for its reason.
        </p>
      )}
      <section aria-label="forecast model" className="cards model-cards">
        <div className="card">
          <h2>Model</h2>
          <p data-testid="model" className="model-name">{forecast?.model ? <ModelName text={forecast.model} /> : 'none yet'}</p>
          <p className="muted" data-testid="bands-by">{bandsBy(forecast?.since_training)}</p>
          <div className="model-buttons">
            {forecast?.since_training && (
              <button type="button" className="secondary" onClick={() => downloadModel(resource.name)}>
                Download model
              </button>
            )}
            {canOperate && (
              <label className="file-button">
                <input type="file" className="visually-hidden" aria-label="install a model file" onChange={(e) => installModel(e.target.files[0])} />
                <span aria-hidden="true">Install a model file…</span>
              </label>
            )}
          </div>
        </div>
        <div className="card">
          <h2>Backtest accuracy</h2>
          <p className="big" data-testid="accuracy">{percent(forecast?.accuracy, 1)}</p>
          <p className="muted">1 − WAPE of the model on the series' recent history</p>
        </div>
        <div className="card">
          <h2>Accuracy since training</h2>
          <p className="big" data-testid="live-accuracy">{percent(forecast?.since_training?.live_accuracy, 1)}</p>
          <p className="muted" data-testid="since-training">{sinceTraining(forecast?.since_training)}</p>
          <p className="muted" data-testid="band-coverage">{bandCoverage(forecast?.since_training)}</p>
        </div>
      </section>
      <section aria-label="alerts">
        <h2>Alerts {openAlerts.length > 0 && <span className="tag danger">{openAlerts.length} open</span>}</h2>
        {alerts.length === 0 ? (
          <p className="muted">No anomaly alerts on this resource.</p>
        ) : (
          <ul className="actions" data-testid="resource-alerts">
            {alerts.slice(0, 10).map((a) => (
              <li key={a.id}>
                <button type="button" className="linkish" onClick={() => setSelected({ kind: 'alert', item: a })}>
                  <time>{time(a.opened_at, now, { zone: true })}</time> {a.state} · {a.severity}
                </button>{' '}
                {a.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      <JobsPanel canCancel={canOperate} subjects={[`resource:${resource.id}`, 'all']} names={{ [resource.id]: resource.name }} refreshKey={jobsKey} title="Jobs for this resource" />
      <section aria-label="actions">
        <h2>Actions</h2>
        <ul className="actions">
          {actions.slice(0, 20).map((a) => (
            <li key={a.id}>
              <time>{time(a.ts, now, { zone: true })}</time> {a.from} → {a.to} <em>{a.status}</em> {money(a.hourly_cost_before)}/h →{' '}
              {money(a.hourly_cost_after)}/h <Reason item={a} />
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
