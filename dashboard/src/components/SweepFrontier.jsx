// The cost/risk frontier of a sweep (docs/COSTS.md §1): every policy at each of its settings, cost relative to
// static against the share of demand left unmet; one curve per policy through its cheapest settings for
// their unmet, the user's unmet budget as a dashed line, and the cheapest runnable setting within it named. The
// sweep comes from `cloudopt simulate --sweep --json` (a file opened here) or from a sweep job the page ran
// (`sweep` prop): both have the same `points`. `children` are shown under the named setting (the page's Adopt); as a
// function they get {budget}: the unmet budget the field holds (a share; null while it holds none), so what they
// adopt follows a budget typed after the sweep ran.
import { Chart as ChartJS, Legend, LinearScale, LineElement, PointElement, ScatterController, Tooltip } from 'chart.js';
import { useEffect, useState } from 'react';
import { Scatter } from 'react-chartjs-2';
import { cheapestWithin, frontierCurves, settingText } from '../costData.js';
import { percent } from '../format.js';
import DataTable from './DataTable.jsx';
import '../costs.css';

ChartJS.register(ScatterController, PointElement, LineElement, LinearScale, Tooltip, Legend);

const COLORS = { predictive: '#1f77b4', reactive: '#d62728', seasonal: '#b35900', oracle: '#2ca02c', static: '#6c757d' };
const ABOUT = {
  predictive: "cloudopt's planner (quantile × its unmet budget)",
  reactive: 'the Kubernetes HPA rule (target utilization)',
  seasonal: 'AWS-style predictive + target tracking (target)',
  oracle: 'perfect foresight: the bound, not a setting to run',
  static: "the training part's peak: the yardstick (1×)",
};

// A point as "seasonal target=0.8", "static".
const pointName = (p) => [p.policy, settingText(p.setting)].filter(Boolean).join(' ');

// The sweep's own cheapest when the budget is the one it was run with, else the same rule over its points.
function cheapestFor(sweep, budget) {
  if (Math.abs(budget - sweep.unmet_budget) < 1e-12 && sweep.cheapest !== undefined) return sweep.cheapest;
  return cheapestWithin(sweep.points, budget);
}

export default function SweepFrontier({ sweep: given = null, title = 'Cost against risk', allowOpen = true, testId = 'sweep-section', children = null }) {
  const [opened, setOpened] = useState(null);
  const [error, setError] = useState('');
  const sweep = given ?? opened;
  const [budgetPct, setBudgetPct] = useState('');
  useEffect(() => {
    if (sweep) setBudgetPct(String(Math.round(sweep.unmet_budget * 100 * 1000) / 1000));
  }, [sweep]);

  async function open(event) {
    setError('');
    const file = event.target.files[0];
    if (!file) return;
    try {
      const data = JSON.parse(await file.text());
      if (!Array.isArray(data.points)) throw new Error('not the output of cloudopt simulate --sweep --json');
      setOpened(data);
    } catch (e) {
      setError(`${file.name}: ${e.message}`);
    }
  }

  const budget = Number(budgetPct) / 100;
  const budgetOk = sweep && budgetPct !== '' && Number.isFinite(budget) && budget >= 0 && budget <= 1;
  const cheapest = budgetOk ? cheapestFor(sweep, budget) : null;
  const curves = sweep ? frontierCurves(sweep.points) : [];
  const maxCost = Math.max(1.1, ...(sweep?.points ?? []).map((p) => p.cost_rel));
  const datasets = [];
  for (const c of curves) {
    const colour = COLORS[c.policy] ?? '#444';
    const single = c.points.length === 1;
    datasets.push({
      label: c.policy,
      backgroundColor: colour,
      borderColor: colour,
      pointStyle: c.policy === 'oracle' ? 'triangle' : c.policy === 'static' ? 'rect' : 'circle',
      pointRadius: single ? 6 : 4,
      data: c.points.map((p) => ({ x: p.unmet * 100, y: p.cost_rel, setting: settingText(p.setting) })),
    });
    if (!single)
      datasets.push({
        label: `${c.policy} frontier`,
        showLine: true,
        borderColor: colour,
        backgroundColor: colour,
        borderWidth: 2,
        pointRadius: 0,
        data: c.envelope.map((p) => ({ x: p.unmet * 100, y: p.cost_rel, setting: settingText(p.setting) })),
      });
  }
  if (budgetOk)
    datasets.push({ label: `unmet budget ${percent(budget, 2)}`, showLine: true, borderDash: [6, 4], borderColor: '#495057', backgroundColor: '#495057', pointRadius: 0, data: [{ x: budget * 100, y: 0 }, { x: budget * 100, y: maxCost }] });
  if (cheapest)
    datasets.push({ label: 'cheapest within it', pointStyle: 'star', pointRadius: 12, borderWidth: 2, borderColor: '#000', backgroundColor: '#ffd43b', data: [{ x: cheapest.unmet * 100, y: cheapest.cost_rel, setting: pointName(cheapest) }] });

  const columns = [
    { key: 'policy', label: 'Policy', render: (p) => <span title={ABOUT[p.policy]}>{p.policy}</span> },
    { key: 'setting', label: 'Setting', value: (p) => settingText(p.setting) },
    { key: 'cost_rel', label: 'Cost vs static', value: (p) => p.cost_rel, render: (p) => `${p.cost_rel.toFixed(3)}×` },
    { key: 'unmet', label: 'Unmet', value: (p) => p.unmet, render: (p) => percent(p.unmet, 2) },
    { key: 'hot', label: 'Hot', value: (p) => p.hot ?? '', render: (p) => (p.hot !== undefined ? percent(p.hot, 1) : '') },
    { key: 'flaps_per_day', label: 'Flaps a day', value: (p) => p.flaps_per_day ?? '' },
    { key: 'within', label: 'Within the budget', value: (p) => (budgetOk && p.unmet <= budget ? 'yes' : 'no') },
  ];
  return (
    <section aria-labelledby={`${testId}-title`} data-testid={testId}>
      <h2 id={`${testId}-title`}>{title}</h2>
      {allowOpen && (
        <>
          <p className="muted">
            Open the JSON of <code>cloudopt simulate --sweep --json</code>: every policy at each of its settings, cost
            relative to static against the share of demand left unmet.
          </p>
          <label>
            Sweep JSON
            <input aria-label="open a sweep" type="file" accept=".json,application/json" onChange={open} />
          </label>
        </>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      {sweep && (
        <>
          <p className="muted frontier-note">
            {sweep.data ? `${sweep.data}: ` : ''}
            {sweep.series !== undefined ? `${sweep.series} series, ` : ''}
            {sweep.boot_delay_s !== undefined ? `boot delay ${sweep.boot_delay_s} s, ` : ''}
            {sweep.points.length} points. Each curve joins a policy's settings that are cheaper than every setting with less unmet:
            what that policy costs at each level of risk. {curves.map((c) => `${c.policy}: ${ABOUT[c.policy] ?? ''}`).join('; ')}.
          </p>
          <label className="inline-field">
            Your unmet budget (% of demand)
            <input aria-label="unmet budget in percent" type="number" min="0" max="100" step="0.01" value={budgetPct} onChange={(e) => setBudgetPct(e.target.value)} />
          </label>
          <p data-testid="sweep-cheapest" className="cost-summary" data-policy={cheapest?.policy ?? ''} data-setting={cheapest ? settingText(cheapest.setting) : ''}>
            {!budgetOk
              ? 'Give a budget between 0 and 100%.'
              : cheapest
                ? (
                  <>
                    Within {percent(budget, 2)} unmet the cheapest setting is <strong>{pointName(cheapest)}</strong> at{' '}
                    {cheapest.cost_rel.toFixed(3)}× static, {percent(cheapest.unmet, 2)} unmet.
                  </>
                )
                : `No runnable setting keeps unmet within ${percent(budget, 2)}: raise the budget, or sweep higher quantiles.`}
            {budgetOk && sweep.cheapest_predictive && Math.abs(budget - sweep.unmet_budget) < 1e-12 && sweep.cheapest_predictive.policy === 'predictive' && cheapest?.policy !== 'predictive' && (
              <> cloudopt's cheapest: quantile {sweep.cheapest_predictive.setting.quantile}, budget {sweep.cheapest_predictive.setting.unmet_budget} at {sweep.cheapest_predictive.cost_rel.toFixed(3)}×.</>
            )}
          </p>
          {typeof children === 'function' ? children({ budget: budgetOk ? budget : null }) : children /* e.g. adopting the named predictive setting (AdoptSetting, on the page's own sweep) */}
          <div className="chart" data-testid="sweep-chart" data-curves={curves.length} data-points={sweep.points.length}>
            <Scatter
              role="img"
              aria-label={`cost against unmet demand, one curve per policy (${curves.map((c) => c.policy).join(', ')})${cheapest ? `; the cheapest within the budget is ${pointName(cheapest)}` : ''}`}
              data={{ datasets }}
              options={{
                responsive: true,
                maintainAspectRatio: false,
                animation: false,
                // The legend names each policy once (its dots); its frontier line shares the colour.
                plugins: { legend: { labels: { filter: (item) => !item.text.endsWith(' frontier') } }, tooltip: { callbacks: { label: (c) => `${c.dataset.label} ${c.raw.setting ?? ''}: ${c.raw.y.toFixed(3)}×, ${c.raw.x.toFixed(2)}% unmet` } } },
                scales: {
                  x: { type: 'linear', beginAtZero: true, title: { display: true, text: 'unmet demand (% of demand)' } },
                  y: { beginAtZero: true, title: { display: true, text: 'cost vs static (1 = static)' } },
                },
              }}
            />
          </div>
          <DataTable
            caption="sweep points"
            testId="sweep-table"
            columns={columns}
            rows={sweep.points}
            rowKey={(p) => `${p.policy} ${settingText(p.setting)}`}
            sortable
            searchLabel="search settings"
            filters={[{ key: 'policy', label: 'policy filter', options: [['', 'every policy'], ...curves.map((c) => [c.policy, c.policy])] }]}
            csvName="sweep"
            pageSize={10}
          />
        </>
      )}
    </section>
  );
}
