import { Chart as ChartJS, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { useEffect, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { api, errorMessage } from '../api.js';
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

export default function Simulation({ canRun }) {
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
    if (!job || job.status === 'succeeded' || job.status === 'failed') return undefined;
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
      const policies = POLICIES.map((p) => p.name);
      const { data } = await api.post('/api/simulations', { ...body, policies, boot_delay_s: Number(bootDelay) });
      setJob({ id: data.job_id, status: data.status, progress: 0 });
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  async function pickFile(event) {
    const file = event.target.files[0];
    setCsv(file ? { name: file.name, text: await file.text() } : null);
  }

  const result = job?.status === 'succeeded' ? job.result : null;
  const series = result?.series?.[0];
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
          <button type="submit" disabled={job && !['succeeded', 'failed'].includes(job.status)}>
            Run simulation
          </button>
        </form>
      ) : (
        <p>Running simulations needs the operator role.</p>
      )}
      {error && <p role="alert" className="error">{error}</p>}
      {job && !result && (
        <p role="status">
          job {job.id}: {job.status} {job.progress ? percent(job.progress) : ''} {job.error ?? ''}
        </p>
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
      <SweepFrontier />
    </>
  );
}
