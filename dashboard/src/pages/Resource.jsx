import {
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  PointElement,
  ScatterController,
  LineController,
  Tooltip,
} from 'chart.js';
import { useCallback, useEffect, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { api, errorMessage } from '../api.js';
import { actionPoints, demandForecastDatasets, plannedCapacityDataset, timeWindow } from '../chartData.js';
import JobsPanel from '../components/JobsPanel.jsx';
import Reason from '../components/Reason.jsx';
import { subscribe } from '../events.js';
import { bandCoverage, bandsBy, jobState, money, number, passSummary, percent, sinceTraining, time } from '../format.js';

ChartJS.register(LineController, ScatterController, LineElement, PointElement, LinearScale, Filler, Tooltip, Legend);

const RANGES = [
  { label: '6 h', seconds: 6 * 3600 },
  { label: '24 h', seconds: 86400 },
  { label: '3 days', seconds: 3 * 86400 },
  { label: '7 days', seconds: 7 * 86400 },
];

export default function ResourcePage({ id, user }) {
  const [range, setRange] = useState(RANGES[1]);
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [forecastNote, setForecastNote] = useState('');
  const [started, setStarted] = useState(null); // the job this page started last: { label, id }
  const [jobsKey, setJobsKey] = useState(0);

  const load = useCallback(async () => {
    try {
      const { data: resource } = await api.get(`/api/resources/${id}`);
      const { data: stats } = await api.get('/api/dashboard/stats');
      const now = stats.now;
      const step = Math.max(60, Math.floor(range.seconds / 300));
      const [history, forecast, actions, providers] = await Promise.all([
        api.get('/api/dashboard/history', { params: { resource: id, from: now - range.seconds, to: now, step } }),
        // The loop's stored forecast; a 409 until the loop has made one (said under the chart).
        api.get('/api/predictions', { params: { resource: id } }).catch((e) => {
          setForecastNote(e?.response?.status === 409 ? errorMessage(e) : '');
          return { data: null };
        }),
        api.get('/api/actions', { params: { resource: id, since: now - range.seconds, limit: 200 } }),
        // Which driver serves the resource's provider: a `keda` one hands its plan to KEDA (docs/KEDA.md).
        api.get('/api/providers').catch(() => ({ data: { providers: [] } })),
      ]);
      if (forecast.data) setForecastNote('');
      const driver = providers.data.providers.find((p) => p.name === resource.provider)?.driver;
      setData({ resource, now, history: history.data.resources[0], forecast: forecast.data, actions: actions.data.actions, driver });
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [id, range]);

  useEffect(() => {
    load();
    return subscribe(load);
  }, [load]);

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
  if (!data) return <p className="loading">Loading…</p>;
  const { resource, history, forecast, actions, now } = data;
  const cpi = resource.capacity_per_instance;
  const window = timeWindow(now, range.seconds, forecast);
  const datasets = demandForecastDatasets(history, forecast, cpi);
  const planned = plannedCapacityDataset(forecast, cpi, now);
  datasets.push(planned);
  datasets.push({
    type: 'scatter',
    label: 'actions',
    data: actionPoints(actions, cpi, window.from, window.to),
    backgroundColor: '#7048e8',
    pointRadius: 5,
    pointHoverRadius: 8,
  });
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    interaction: { mode: 'nearest', intersect: false },
    scales: {
      x: { type: 'linear', min: window.from, max: window.to, ticks: { callback: (v) => time(v / 1000, now), maxTicksLimit: 8 } },
      y: { beginAtZero: true, title: { display: true, text: resource.load_metric } },
    },
    plugins: {
      tooltip: {
        callbacks: {
          title: (items) => time(items[0].parsed.x / 1000, now),
          label: (item) => {
            if (item.raw.reason) return `${item.raw.from} → ${item.raw.to} instances (${item.raw.status}): ${item.raw.reason}`;
            if (item.raw.instances !== undefined) return `${item.dataset.label}: ${item.raw.instances} instances`;
            return `${item.dataset.label}: ${number(item.parsed.y, 2)}`;
          },
        },
      },
    },
  };
  const canOperate = user.role === 'operator' || user.role === 'admin';
  return (
    <>
      <h1>{resource.name}</h1>
      <p className="muted">
        {resource.provider} · {resource.instance_type} · {resource.min_capacity}–{resource.max_capacity} instances · band{' '}
        {percent(resource.target_low)}–{percent(resource.target_high)} · boot delay {resource.boot_delay_s} s
        {data.driver === 'keda' && (
          <>
            {' '}
            · <span className="tag" title="cloudopt plans this resource and serves the plan to KEDA's external scaler; KEDA's HPA sets the replicas (docs/KEDA.md)">scaled by KEDA</span>
          </>
        )}
      </p>
      <section className="toolbar" aria-label="controls">
        <label>
          Range{' '}
          <select aria-label="time range" value={range.label} onChange={(e) => setRange(RANGES.find((r) => r.label === e.target.value))}>
            {RANGES.map((r) => (
              <option key={r.label}>{r.label}</option>
            ))}
          </select>
        </label>
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
      <section aria-label="forecast model" className="cards">
        <div className="card">
          <h2>Model</h2>
          <p data-testid="model">{forecast?.model ?? 'none yet'}</p>
          <p className="muted" data-testid="bands-by">{bandsBy(forecast?.since_training)}</p>
          {forecast?.since_training && (
            <button type="button" className="secondary" onClick={() => downloadModel(resource.name)}>
              Download model
            </button>
          )}
          {canOperate && (
            <label className="secondary">
              Install a model file{' '}
              <input type="file" aria-label="install a model file" onChange={(e) => installModel(e.target.files[0])} />
            </label>
          )}
        </div>
        <div className="card">
          <h2>Backtest accuracy</h2>
          <p className="big" data-testid="accuracy">{percent(forecast?.accuracy, 1)}</p>
        </div>
        <div className="card">
          <h2>Accuracy since training</h2>
          <p className="big" data-testid="live-accuracy">{percent(forecast?.since_training?.live_accuracy, 1)}</p>
          <p className="muted" data-testid="since-training">{sinceTraining(forecast?.since_training)}</p>
          <p className="muted" data-testid="band-coverage">{bandCoverage(forecast?.since_training)}</p>
        </div>
      </section>
      <div
        className="chart"
        data-testid="demand-chart"
        data-demand-points={datasets[0].data.length}
        data-forecast-points={datasets[1].data.length}
        data-action-points={datasets.at(-1).data.length}
        data-planned-points={planned.data.length}
      >
        <Line data={{ datasets }} options={options} aria-label={`demand, forecast and capacity of ${resource.name}`} role="img" />
      </div>
      {forecastNote && <p className="muted" data-testid="forecast-note">{forecastNote}</p>}
      {planned.data.length > 0 && (
        <p className="muted legend-note">
          Dashed green: the capacity the stored forecast needs ahead of now ({forecast.planned_quantile} at{' '}
          {percent(forecast.target_utilization)} utilization, within {resource.min_capacity}–{resource.max_capacity}), as the
          planner sizes it; it changes capacity only when its guards allow.
        </p>
      )}
      <JobsPanel canCancel={canOperate} subjects={[`resource:${resource.id}`, 'all']} names={{ [resource.id]: resource.name }} refreshKey={jobsKey} title="Jobs for this resource" />
      <section aria-label="actions">
        <h2>Actions</h2>
        <ul className="actions">
          {actions.slice(0, 20).map((a) => (
            <li key={a.id}>
              <time>{time(a.ts, now)}</time> {a.from} → {a.to} <em>{a.status}</em> {money(a.hourly_cost_before)}/h →{' '}
              {money(a.hourly_cost_after)}/h <Reason item={a} />
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
