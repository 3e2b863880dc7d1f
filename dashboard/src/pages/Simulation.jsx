import { Chart as ChartJS, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { useEffect, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { api, errorMessage } from '../api.js';
import AdoptSetting from '../components/AdoptSetting.jsx';
import SweepFrontier from '../components/SweepFrontier.jsx';
import { simulationDatasets } from '../chartData.js';
import { number, percent, time } from '../format.js';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

const POLICIES = [
  { name: 'static', help: 'the peak of the training part, all the time' },
  { name: 'reactive', help: 'the Kubernetes HPA algorithm' },
  { name: 'predictive', help: "cloudopt's planner on its forecasts" },
  { name: 'oracle', help: 'perfect foresight: the floor' },
  { name: 'perfect_forecast', help: "cloudopt's planner fed the load that came: what its rules cost without forecast error" },
];

// A sweep's grid (docs/COSTS.md, "In the service"): the form's texts and boxes as POST /api/simulations's `sweep`.
const SWEEP_POLICIES = ['predictive', 'reactive', 'seasonal', 'oracle'];
const SWEEP_QUANTILES = [0.5, 0.9, 0.95, 0.99, 0.999];
const numbers = (text) => String(text).split(/[\s,]+/).filter(Boolean).map(Number);

export default function Simulation({ canRun, isAdmin = false }) {
  const [kind, setKind] = useState('compare'); // compare | sweep
  const [grid, setGrid] = useState({ policies: SWEEP_POLICIES, quantiles: [0.9, 0.95, 0.99], unmetBudgets: '0.001, 0.005, 0.02', targets: '0.3, 0.5, 0.7, 0.9', budgetPct: '0.5' });
  const [datasets, setDatasets] = useState([]);
  const [source, setSource] = useState('');
  const [csv, setCsv] = useState(null);
  const [bootDelay, setBootDelay] = useState(180);
  const [job, setJob] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    api.get('/api/simulations/datasets').then(({ data }) => {
      setDatasets(data.datasets);
      if (data.datasets.length) setSource(data.datasets[0].name);
    }, (e) => setError(errorMessage(e)));
  }, []);

  // Follows the background job until it finishes (once a second: a job, not a live view).
  useEffect(() => {
    if (!job || ['succeeded', 'failed', 'cancelled'].includes(job.status)) return undefined;
    const timer = setTimeout(async () => {
      try {
        const { data } = await api.get(`/api/jobs/${job.id}`);
        setJob(data);
      } catch (e) {
        setError(errorMessage(e));
      }
    }, 1000);
    return () => clearTimeout(timer);
  }, [job]);

  async function run(event) {
    event.preventDefault();
    setError('');
    try {
      const body = csv ? { csv: csv.text } : { dataset: source };
      const request =
        kind === 'sweep'
          ? {
              ...body,
              boot_delay_s: Number(bootDelay),
              sweep: { policies: grid.policies, quantiles: grid.quantiles, unmet_budgets: numbers(grid.unmetBudgets), targets: numbers(grid.targets), unmet_budget: Number(grid.budgetPct) / 100 },
            }
          : { ...body, policies: POLICIES.map((p) => p.name), boot_delay_s: Number(bootDelay) };
      const { data } = await api.post('/api/simulations', request);
      setJob({ id: data.job_id, status: data.status, progress: 0 });
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function pickFile(event) {
    const file = event.target.files[0];
    setCsv(file ? { name: file.name, text: await file.text() } : null);
  }

  const done = job?.status === 'succeeded' ? job.result : null;
  const swept = done?.sweep === true ? done : null; // a sweep's result (SweepResult), else a comparison's
  const result = swept ? null : done;
  const series = result?.series?.[0];
  const toggle = (list, v) => (list.includes(v) ? list.filter((x) => x !== v) : [...list, v]);
  return (
    <>
      <h1>Simulation</h1>
      <p className="muted">
        Replays a trace against each scaling policy under the same boot delay and billing, and reports cost against static
        allocation and how often demand found too little capacity.
      </p>
      {canRun ? (
        <form className="stack" onSubmit={run} aria-label="run a simulation">
          <label>
            Bundled trace
            <select aria-label="dataset" value={source} disabled={!!csv} onChange={(e) => setSource(e.target.value)}>
              {datasets.map((d) => (
                <option key={d.name}>{d.name}</option>
              ))}
            </select>
          </label>
          <label>
            Or upload a CSV (timestamp,series,value)
            <input aria-label="upload a CSV" type="file" accept=".csv,text/csv" onChange={pickFile} />
          </label>
          <label>
            Boot delay (s)
            <input aria-label="boot delay in seconds" type="number" min="0" max="3600" value={bootDelay} onChange={(e) => setBootDelay(e.target.value)} />
          </label>
          <fieldset className="choice">
            <legend>What to run</legend>
            <label className="inline-choice">
              <input type="radio" name="kind" value="compare" checked={kind === 'compare'} onChange={() => setKind('compare')} />
              Compare the policies once each
            </label>
            <label className="inline-choice">
              <input type="radio" name="kind" value="sweep" checked={kind === 'sweep'} onChange={() => setKind('sweep')} />
              Sweep their settings: the cost/risk frontier
            </label>
          </fieldset>
          {kind === 'sweep' && (
            <fieldset className="sweep-grid" aria-describedby="sweep-help">
              <legend>The sweep's grid</legend>
              <p id="sweep-help" className="muted">
                Each policy at each of its settings, under the service's own engine and models; every combination is a
                replay, so a smaller grid ends sooner.
              </p>
              <div className="checks" role="group" aria-label="policies to sweep">
                {SWEEP_POLICIES.map((p) => (
                  <label key={p} className="inline-choice">
                    <input type="checkbox" checked={grid.policies.includes(p)} onChange={() => setGrid({ ...grid, policies: toggle(grid.policies, p) })} />
                    {p}
                  </label>
                ))}
              </div>
              <div className="checks" role="group" aria-label="forecast quantiles of the predictive policy">
                <span className="muted">predictive quantiles:</span>
                {SWEEP_QUANTILES.map((q) => (
                  <label key={q} className="inline-choice">
                    <input type="checkbox" disabled={!grid.policies.includes('predictive')} checked={grid.quantiles.includes(q)} onChange={() => setGrid({ ...grid, quantiles: toggle(grid.quantiles, q).sort((a, b) => a - b) })} />
                    p{Math.round(q * 1000) / 10}
                  </label>
                ))}
              </div>
              <label>
                Predictive unmet budgets (fractions, comma-separated)
                <input aria-label="predictive unmet budgets" disabled={!grid.policies.includes('predictive')} value={grid.unmetBudgets} onChange={(e) => setGrid({ ...grid, unmetBudgets: e.target.value })} />
              </label>
              <label>
                HPA and seasonal target utilizations (comma-separated)
                <input aria-label="target utilizations" disabled={!grid.policies.includes('reactive') && !grid.policies.includes('seasonal')} value={grid.targets} onChange={(e) => setGrid({ ...grid, targets: e.target.value })} />
              </label>
              <label>
                Your unmet budget (% of demand) the named setting must meet
                <input aria-label="your unmet budget in percent" type="number" min="0" max="50" step="0.01" value={grid.budgetPct} onChange={(e) => setGrid({ ...grid, budgetPct: e.target.value })} />
              </label>
            </fieldset>
          )}
          <button type="submit" disabled={job && !['succeeded', 'failed', 'cancelled'].includes(job.status)}>
            {kind === 'sweep' ? 'Run sweep' : 'Run simulation'}
          </button>
        </form>
      ) : (
        <p>Running simulations needs the operator role.</p>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      {job && !done && (
        <p role="status" data-testid="simulation-job" data-status={job.status}>
          job {job.id}: {job.status} {job.progress ? percent(job.progress) : ''} {job.error ?? ''}
        </p>
      )}
      {swept && (
        <SweepFrontier
          sweep={swept}
          allowOpen={false}
          testId="sweep-run-section"
          title={`Cost against risk: ${swept.source}${swept.seconds !== undefined ? ` (swept in ${number(swept.seconds, 0)} s)` : ''}`}
        >
          {({ budget }) => <AdoptSetting key={job.id} jobId={job.id} sweep={swept} budget={budget} isAdmin={isAdmin} />}
        </SweepFrontier>
      )}
      {result && (
        <section aria-label="simulation result">
          <h2>
            {result.source}: {result.series.length} series, boot delay {result.boot_delay_s} s
          </h2>
          <div className="table-scroll" tabIndex={0} role="region" aria-label="policies compared">
            <table data-testid="simulation-table" className="cards-on-phone">
              <thead>
                <tr>
                  <th scope="col">Policy</th>
                  <th scope="col">Cost vs static</th>
                  <th scope="col">Steps short of capacity</th>
                  <th scope="col">Mean utilization</th>
                  <th scope="col">Scaling actions</th>
                </tr>
              </thead>
              <tbody>
                {POLICIES.filter((p) => result.policies[p.name]).map((p) => (
                  <tr key={p.name}>
                    <td data-label="Policy" title={p.help}>
                      {p.name}
                    </td>
                    <td data-label="Cost vs static">{percent(result.policies[p.name].cost_rel)}</td>
                    <td data-label="Steps short">{percent(result.policies[p.name].unmet, 1)}</td>
                    <td data-label="Mean utilization">{percent(result.policies[p.name].util)}</td>
                    <td data-label="Scaling actions">{number(result.policies[p.name].actions, 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {series && (
            <div className="chart" data-testid="simulation-chart">
              <Line
                role="img"
                aria-label={`demand and each policy's capacity for ${series.id}`}
                data={{ datasets: simulationDatasets(series) }}
                options={{
                  responsive: true,
                  maintainAspectRatio: false,
                  animation: false,
                  parsing: false,
                  scales: {
                    x: { type: 'linear', title: { display: true, text: "the trace's time (your time zone)" }, ticks: { callback: (v) => time(v / 1000), maxTicksLimit: 8 } },
                    y: { beginAtZero: true, title: { display: true, text: 'load, and each policy’s ready capacity (load units)' } },
                  },
                }}
              />
            </div>
          )}
        </section>
      )}
      <SweepFrontier title="Cost against risk, from a file" />
    </>
  );
}
