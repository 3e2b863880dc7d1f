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
import { actionPoints, demandForecastDatasets, timeWindow } from '../chartData.js';
import { subscribe } from '../events.js';
import { bandCoverage, bandsBy, money, number, percent, sinceTraining, time } from '../format.js';

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

  const load = useCallback(async () => {
    try {
      const { data: resource } = await api.get(`/api/resources/${id}`);
      const { data: stats } = await api.get('/api/dashboard/stats');
      const now = stats.now;
      const step = Math.max(60, Math.floor(range.seconds / 300));
      const [history, forecast, actions] = await Promise.all([
        api.get('/api/dashboard/history', { params: { resource: id, from: now - range.seconds, to: now, step } }),
        api.get('/api/predictions', { params: { resource: id } }).catch(() => ({ data: null })),
        api.get('/api/actions', { params: { resource: id, since: now - range.seconds, limit: 200 } }),
      ]);
      setData({ resource, now, history: history.data.resources[0], forecast: forecast.data, actions: actions.data.actions });
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
          label: (item) =>
            item.raw.reason ? `${item.raw.from} → ${item.raw.to} instances (${item.raw.status}): ${item.raw.reason}` : `${item.dataset.label}: ${number(item.parsed.y, 2)}`,
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
        {notice && <span role="status">{notice}</span>}
      </section>
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
      >
        <Line data={{ datasets }} options={options} aria-label={`demand, forecast and capacity of ${resource.name}`} role="img" />
      </div>
      <section aria-label="actions">
        <h2>Actions</h2>
        <ul className="actions">
          {actions.slice(0, 20).map((a) => (
            <li key={a.id}>
              <time>{time(a.ts, now)}</time> {a.from} → {a.to} <em>{a.status}</em> {money(a.hourly_cost_before)}/h →{' '}
              {money(a.hourly_cost_after)}/h <span className="reason">{a.reason}</span>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
