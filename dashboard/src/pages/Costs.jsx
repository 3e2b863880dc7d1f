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
import { api, errorMessage } from '../api.js';
import { money } from '../format.js';

ChartJS.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Filler, Tooltip, Legend);

// GET /api/costs (docs/COSTS.md): this month's spend so far and its projection, by resource, provider and in
// total; the chart shows the total per day, actual and forecast with its p10-p90 band.
export default function Costs() {
  const [report, setReport] = useState(null);
  const [error, setError] = useState('');

  // The service computes one report at a time and answers 503 with Retry-After while it has none ready: wait that
  // long and ask again (at most 5 times) instead of showing the error.
  useEffect(() => {
    let stopped = false;
    let timer = null;
    const load = (attempt) =>
      api.get('/api/costs').then(
        ({ data }) => !stopped && setReport(data),
        (e) => {
          if (stopped) return;
          const wait = Number(e?.response?.headers?.['retry-after']);
          if (e?.response?.status === 503 && attempt < 5) {
            setError('');
            timer = setTimeout(() => load(attempt + 1), 1000 * (Number.isFinite(wait) && wait > 0 ? Math.min(wait, 30) : 5));
          } else setError(errorMessage(e));
        },
      );
    load(0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, []);

  async function downloadCsv() {
    try {
      const { data } = await api.get('/api/costs?format=csv', { responseType: 'blob' });
      const url = URL.createObjectURL(data);
      const a = document.createElement('a');
      a.href = url;
      a.download = `cloudopt-costs-${report.month}.csv`;
      a.click();
      URL.revokeObjectURL(url);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  if (error || !report)
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
      </section>
    );
  const total = report.groups.find((g) => g.kind === 'total');
  const labels = total.days.map((d) => d.date.slice(5));
  const today = total.days.findIndex((d) => d.forecast);
  const band = (key) => total.days.map((d) => (d.forecast ? d.forecast[key] : null));
  const datasets = [
    // Spent: the days before today and today so far (today is the first day with a forecast of its rest).
    { label: 'spent', data: total.days.map((d, i) => (!d.forecast || i === today ? d.actual : null)), borderColor: '#1f77b4' },
    { label: 'forecast p90', data: band('p90'), borderColor: 'rgba(255,127,14,0.3)', pointRadius: 0, fill: '+1', backgroundColor: 'rgba(255,127,14,0.15)' },
    { label: 'forecast p50', data: band('p50'), borderColor: '#ff7f0e' },
    { label: 'forecast p10', data: band('p10'), borderColor: 'rgba(255,127,14,0.3)', pointRadius: 0 },
  ];
  const row = (g) => (
    <tr key={`${g.kind}/${g.name}`}>
      <td data-label="kind">{g.kind}</td>
      <td data-label="name">{g.name}</td>
      <td data-label="spent so far">{money(g.actual_to_date)}</td>
      <td data-label="month end p10">{g.month_end ? money(g.month_end.p10) : '–'}</td>
      <td data-label="p50">{g.month_end ? money(g.month_end.p50) : '–'}</td>
      <td data-label="p90">{g.month_end ? money(g.month_end.p90) : '–'}</td>
      <td data-label="note" className="muted">
        {g.note ?? ''}
      </td>
    </tr>
  );
  return (
    <section aria-label="costs">
      <h1>Costs, {report.month}</h1>
      <p className="muted">
        Spent so far from the recorded cost per hour; the month's end projected from each resource's load forecast
        through the planner's sizing and the catalog's prices, with its p10–p90 band (docs/COSTS.md).
      </p>
      <div className="chart" data-testid="costs-chart">
        <Line
          data={{ labels, datasets }}
          options={{ responsive: true, spanGaps: false, scales: { y: { beginAtZero: true, title: { display: true, text: 'USD per day' } } } }}
          aria-label="total spend per day, actual and forecast"
          role="img"
        />
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-label="spend by resource, provider and in total">
        <table className="cards-on-phone">
          <thead>
            <tr>
              <th scope="col">kind</th>
              <th scope="col">name</th>
              <th scope="col">spent so far</th>
              <th scope="col">month end p10</th>
              <th scope="col">p50</th>
              <th scope="col">p90</th>
              <th scope="col">note</th>
            </tr>
          </thead>
          <tbody>{report.groups.map(row)}</tbody>
        </table>
      </div>
      <button type="button" onClick={downloadCsv}>
        Download CSV
      </button>
    </section>
  );
}
