import {
  CategoryScale,
  Chart as ChartJS,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useState } from 'react';
import { Line } from 'react-chartjs-2';
import { errorMessage } from '../api.js';
import Budgets from '../components/Budgets.jsx';
import { color } from '../components/charts/setup.js';
import Commitments from '../components/Commitments.jsx';
import { blobErrorMessage, getWhenReady } from '../costApi.js';
import { groupsBy, labelKeys } from '../costData.js';
import { dateTime, money } from '../format.js';
import '../costs.css';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip, Legend);

const GROUPINGS = [
  ['resource', 'resource'],
  ['provider', 'provider'],
];

// The Costs page (docs/DASHBOARD.md "Costs"; the figures are GET /api/costs's, docs/COSTS.md): this month's spend so
// far and its projection by resource, provider, label and in total; the chart shows one group per day, actual and
// forecast with its p10-p90 band; then the budgets and the commitments.
export default function Costs({ isAdmin = false }) {
  const [report, setReport] = useState(null);
  const [error, setError] = useState('');
  const [by, setBy] = useState('resource'); // resource | provider | label:KEY
  const [chartOf, setChartOf] = useState('total/total'); // kind/name of the group drawn

  useEffect(() => {
    let stopped = false;
    getWhenReady('/api/costs', {}, () => stopped).then(
      ({ data }) => !stopped && setReport(data),
      (e) => !stopped && setError(errorMessage(e)),
    );
    return () => {
      stopped = true;
    };
  }, []);

  // The CSV of the grouping shown (one row per group and day, and one per group for the month), from the server.
  async function downloadCsv() {
    try {
      const { data } = await getWhenReady(`/api/costs?format=csv&group_by=${encodeURIComponent(by)}`, { responseType: 'blob' });
      const url = URL.createObjectURL(data);
      const a = document.createElement('a');
      a.href = url;
      a.download = `cloudopt-costs-${report.month}-by-${by.replace(':', '-')}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    } catch (e) {
      setError(await blobErrorMessage(e));
    }
  }

  if (!report)
    return (
      <section aria-label="costs">
        <h1>Costs</h1>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : (
          <p className="loading">Computing this month's costs…</p>
        )}
        {/* After the report, not beside it: each of these computes forecasts on the pool the report uses. */}
        {error && (
          <>
            <Budgets isAdmin={isAdmin} />
            <Commitments />
          </>
        )}
      </section>
    );

  const keys = labelKeys(report.groups);
  const shown = groupsBy(report.groups, by);
  const drawn = report.groups.find((g) => `${g.kind}/${g.name}` === chartOf) ?? report.groups.find((g) => g.kind === 'total');
  const labels = drawn.days.map((d) => d.date.slice(5));
  const today = drawn.days.findIndex((d) => d.forecast);
  // A day's projection: the forecast of the days ahead; today's is the rest of today (docs/COSTS.md), so the spend
  // so far is added to it to draw the whole day's projection beside its actual so far.
  const band = (key) => drawn.days.map((d, i) => (d.forecast ? d.forecast[key] + (i === today ? d.actual : 0) : null));
  const spent = drawn.days.map((d, i) => (!d.forecast || i === today ? d.actual : null));
  const of = drawn.kind === 'total' ? '' : `: ${drawn.name}`;
  const ink = color('chart-text', '#495057');
  const datasets = [
    // Spent: the days before today and today so far (today is the first day with a forecast of its rest).
    { label: 'spent', data: spent, borderColor: color('c-ran', '#1f5fbf'), backgroundColor: color('c-ran', '#1f5fbf') },
    { label: 'forecast p50', data: band('p50'), borderColor: color('c-p50', '#d9480f'), backgroundColor: color('c-p50', '#d9480f'), borderDash: [6, 4] },
    // The band: p90 filled down to p10 (the next dataset).
    { label: 'forecast p10–p90', data: band('p90'), borderColor: color('c-p90', 'rgba(247,103,7,0.45)'), backgroundColor: color('c-p90', 'rgba(247,103,7,0.45)'), pointRadius: 0, fill: '+1' },
    { label: 'p10', data: band('p10'), borderColor: color('c-p90', 'rgba(247,103,7,0.45)'), pointRadius: 0 },
  ];
  const row = (g) => (
    <tr key={`${g.kind}/${g.name}`} data-testid="cost-group" data-kind={g.kind} data-name={g.name}>
      <td data-label={by.startsWith('label:') ? 'label' : by}>{g.kind === 'total' ? <strong>total</strong> : g.name}</td>
      <td data-label="spent so far">{money(g.actual_to_date)}</td>
      <td data-label="month end p10">{g.month_end ? money(g.month_end.p10) : '–'}</td>
      <td data-label="p50">{g.month_end ? money(g.month_end.p50) : '–'}</td>
      <td data-label="p90">{g.month_end ? money(g.month_end.p90) : '–'}</td>
      <td data-label="note" className="muted">
        {g.note ?? ''}
      </td>
      <td data-label="chart">
        <button type="button" className="secondary" aria-pressed={drawn === g} aria-label={`draw ${g.name} on the chart`} onClick={() => setChartOf(`${g.kind}/${g.name}`)}>
          {drawn === g ? 'Drawn' : 'Draw'}
        </button>
      </td>
    </tr>
  );
  return (
    <section aria-label="costs">
      <h1>Costs, {report.month}</h1>
      <p className="muted">
        Spent so far from the recorded cost per hour; the month's end projected from each resource's load forecast through
        the planner's sizing and the catalog's prices, with its p10–p90 band (docs/COSTS.md). As of {dateTime(report.now)}.
      </p>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="cards">
        <div className="card">
          <h2>Spent so far{of}</h2>
          <p className="big" data-testid="costs-spent">
            {money(drawn.actual_to_date)}
          </p>
        </div>
        <div className="card">
          <h2>Month's end, p50{of}</h2>
          <p className="big" data-testid="costs-month-end">
            {drawn.month_end ? money(drawn.month_end.p50) : '–'}
          </p>
          <p className="muted">{drawn.month_end ? `p10 ${money(drawn.month_end.p10)} – p90 ${money(drawn.month_end.p90)}` : drawn.note ?? 'no projection yet'}</p>
        </div>
      </div>
      <div className="chart" data-testid="costs-chart" data-group={`${drawn.kind}/${drawn.name}`} data-spent-points={spent.filter((v) => v !== null).length} data-band-points={band('p90').filter((v) => v !== null).length}>
        <Line
          data={{ labels, datasets }}
          options={{
            responsive: true,
            maintainAspectRatio: false,
            animation: false,
            spanGaps: false,
            plugins: {
              legend: { labels: { color: ink, filter: (item) => item.text !== 'p10' } },
              tooltip: { callbacks: { label: (c) => `${c.dataset.label === 'forecast p10–p90' ? 'forecast p90' : c.dataset.label}: ${money(c.parsed.y)}` } },
            },
            scales: {
              x: { ticks: { color: ink }, title: { display: true, color: ink, text: `day of ${report.month} (UTC)` } },
              y: { beginAtZero: true, ticks: { color: ink }, title: { display: true, color: ink, text: 'USD per day' } },
            },
          }}
          aria-label={`${drawn.kind === 'total' ? 'total' : drawn.name} spend per day of ${report.month}: spent, and the forecast's p50 with its p10–p90 band`}
          role="img"
        />
      </div>
      <div className="costs-tools">
        <label>
          Group by
          <select aria-label="group costs by" value={by} onChange={(e) => setBy(e.target.value)}>
            {GROUPINGS.map(([v, text]) => (
              <option key={v} value={v}>
                {text}
              </option>
            ))}
            {keys.map((k) => (
              <option key={k} value={`label:${k}`}>
                label {k}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" onClick={downloadCsv}>
          Download CSV
        </button>
        {keys.length === 0 && <span className="muted">Label resources (team, env) to group their costs by label.</span>}
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label={`spend by ${by.replace(':', ' ')} and in total`}>
        <table className="cards-on-phone" data-testid="costs-table">
          <thead>
            <tr>
              <th scope="col">{by.startsWith('label:') ? `label ${by.slice(6)}` : by}</th>
              <th scope="col">spent so far</th>
              <th scope="col">month end p10</th>
              <th scope="col">p50</th>
              <th scope="col">p90</th>
              <th scope="col">note</th>
              <th scope="col">chart</th>
            </tr>
          </thead>
          <tbody>{shown.map(row)}</tbody>
        </table>
      </div>
      {by.startsWith('label:') && (
        <p className="muted">Resources without the label {by.slice(6)} are in the total, not in a group of it.</p>
      )}
      <Budgets isAdmin={isAdmin} groups={report.groups} />
      <Commitments />
    </section>
  );
}
