import { Chart as ChartJS, Legend, LinearScale, PointElement, ScatterController, Tooltip } from 'chart.js';
import { useState } from 'react';
import { Scatter } from 'react-chartjs-2';
import { percent } from '../format.js';

ChartJS.register(ScatterController, PointElement, LinearScale, Tooltip, Legend);

const COLORS = { predictive: '#1f77b4', reactive: '#d62728', seasonal: '#ff7f0e', oracle: '#2ca02c', static: '#888888' };

const settingText = (setting) =>
  Object.entries(setting)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

// The cost/risk frontier of `cloudopt simulate --sweep --json` (docs/COSTS.md), opened from its file: cost against
// unmet, one colour per policy, and the cheapest setting within the sweep's unmet budget.
export default function SweepFrontier() {
  const [sweep, setSweep] = useState(null);
  const [error, setError] = useState('');

  async function open(event) {
    setError('');
    const file = event.target.files[0];
    if (!file) return;
    try {
      const data = JSON.parse(await file.text());
      if (!Array.isArray(data.points)) throw new Error('not the output of cloudopt simulate --sweep --json');
      setSweep(data);
    } catch (e) {
      setError(`${file.name}: ${e.message}`);
    }
  }

  const policies = sweep ? [...new Set(sweep.points.map((p) => p.policy))] : [];
  const datasets = policies.map((policy) => ({
    label: policy,
    backgroundColor: COLORS[policy] ?? '#444',
    data: sweep.points
      .filter((p) => p.policy === policy)
      .map((p) => ({ x: p.unmet * 100, y: p.cost_rel, setting: settingText(p.setting) })),
  }));
  return (
    <section aria-label="cost against risk">
      <h2>Cost against risk</h2>
      <p className="muted">
        Open the JSON of <code>cloudopt simulate --sweep --json</code>: every policy at each of its settings, cost
        relative to static against the share of steps with unmet demand.
      </p>
      <label>
        Sweep JSON
        <input aria-label="open a sweep" type="file" accept=".json,application/json" onChange={open} />
      </label>
      {error && <p role="alert" className="error">{error}</p>}
      {sweep && (
        <>
          <p data-testid="sweep-cheapest">
            Unmet budget {percent(sweep.unmet_budget, 2)}:{' '}
            {sweep.cheapest
              ? `cheapest is ${sweep.cheapest.policy} ${settingText(sweep.cheapest.setting)} at ${sweep.cheapest.cost_rel.toFixed(3)}× static, ${percent(sweep.cheapest.unmet, 2)} unmet`
              : 'no setting meets it'}
          </p>
          <div className="chart" data-testid="sweep-chart">
            <Scatter
              role="img"
              aria-label="cost against unmet demand per policy and setting"
              data={{ datasets }}
              options={{
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label} ${c.raw.setting}: ${c.raw.y.toFixed(3)}×, ${c.raw.x.toFixed(2)}%` } } },
                scales: {
                  x: { type: 'linear', beginAtZero: true, title: { display: true, text: 'unmet (% of steps)' } },
                  y: { beginAtZero: true, title: { display: true, text: 'cost vs static' } },
                },
              }}
            />
          </div>
        </>
      )}
    </section>
  );
}
