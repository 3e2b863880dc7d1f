// Shapes API responses into Chart.js datasets. Pure functions, unit-tested (chartData.test.js).

// Colours: CSS custom properties of styles.css (the dark theme overrides them), with these as fallbacks when there
// is no document (unit tests).
const cssVar = (name, fallback) => {
  if (typeof document === 'undefined') return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(`--${name}`).trim() || fallback;
};
export const palette = () => ({
  demand: cssVar('c-demand', '#1f5fbf'),
  capacity: cssVar('c-capacity', '#2b8a3e'),
  p50: cssVar('c-p50', '#d9480f'),
  p90: cssVar('c-p90', 'rgba(247,103,7,0.45)'),
  p95: cssVar('c-p95', 'rgba(250,176,5,0.40)'),
  p99: cssVar('c-p99', 'rgba(174,62,201,0.22)'),
  planned: cssVar('c-planned', '#2b8a3e'),
  action: cssVar('c-action', '#7048e8'),
  alert: cssVar('c-alert', '#c92a2a'),
  alertSpan: cssVar('c-alert-span', 'rgba(201,42,42,0.08)'),
  ran: cssVar('c-ran', '#1f5fbf'),
  static: cssVar('c-static', '#868e96'),
  saved: cssVar('c-saved', 'rgba(43,138,62,0.25)'),
  lost: cssVar('c-lost', 'rgba(201,42,42,0.25)'),
  band: cssVar('c-band', 'rgba(43,138,62,0.12)'),
});

const SERIES_COLORS = ['#1f5fbf', '#d9480f', '#2b8a3e', '#7048e8', '#c2255c', '#0c8599', '#5c940d', '#e67700'];
export const seriesColor = (i) => cssVar(`c-series-${i % SERIES_COLORS.length}`, SERIES_COLORS[i % SERIES_COLORS.length]);

// Demand (the past), then the forecast (the future): its p50 line and three bands between the quantiles, each its
// own colour and legend entry (p50–p90, p90–p95, p95–p99: a wider band is a rarer peak), and capacity in the same
// unit (ready instances x capacity per instance) as a step line.
export function demandForecastDatasets(history, forecast, capacityPerInstance) {
  const c = palette();
  const demand = (history?.demand ?? []).map(([ts, v]) => ({ x: ts * 1000, y: v }));
  const capacity = (history?.capacity ?? []).map(([ts, v]) => ({ x: ts * 1000, y: v * capacityPerInstance }));
  const points = forecast?.points ?? [];
  const q = (key) => points.filter((p) => p[key] != null).map((p) => ({ x: p.ts * 1000, y: p[key] }));
  // Forecasts stored before p99 bands have none: that band is left out rather than drawn at zero.
  return [
    { label: 'demand', data: demand, borderColor: c.demand, backgroundColor: c.demand, pointRadius: 0, borderWidth: 2 },
    { label: 'forecast p50', data: q('p50'), borderColor: c.p50, backgroundColor: c.p50, borderDash: [6, 4], pointRadius: 0, borderWidth: 2 },
    { label: 'p50–p90', data: q('p90'), borderColor: 'transparent', backgroundColor: c.p90, fill: '-1', pointRadius: 0, borderWidth: 0 },
    { label: 'p90–p95', data: q('p95'), borderColor: 'transparent', backgroundColor: c.p95, fill: '-1', pointRadius: 0, borderWidth: 0 },
    { label: 'p95–p99', data: q('p99'), borderColor: 'transparent', backgroundColor: c.p99, fill: '-1', pointRadius: 0, borderWidth: 0 },
    { label: 'capacity', data: capacity, borderColor: c.capacity, backgroundColor: c.capacity, stepped: 'before', pointRadius: 0, borderWidth: 2 },
  ];
}

// Actions as clickable markers on the capacity line: each point carries its action (reason and details).
export function actionMarkers(actions, capacityPerInstance, from, to) {
  const c = palette();
  return {
    type: 'scatter',
    label: 'actions',
    marker: 'action',
    data: (actions ?? [])
      .filter((a) => a.ts * 1000 >= from && a.ts * 1000 <= to)
      .map((a) => ({ x: a.ts * 1000, y: a.to * capacityPerInstance, item: a })),
    backgroundColor: c.action,
    borderColor: c.action,
    pointStyle: 'rectRot',
    pointRadius: 6,
    pointHoverRadius: 9,
  };
}

// Alerts as clickable markers where the value that opened them was seen (times `scale`: 100 for a utilization drawn
// in percent), and the span they were open (shaded).
export function alertMarkers(alerts, from, to, nowSeconds, scale = 1) {
  const c = palette();
  const inView = (alerts ?? []).filter((a) => a.opened_at * 1000 <= to && (a.closed_at ?? nowSeconds) * 1000 >= from);
  return {
    dataset: {
      type: 'scatter',
      label: 'alerts',
      marker: 'alert',
      data: inView.map((a) => ({ x: Math.max(a.opened_at * 1000, from), y: a.value * scale, item: a })),
      backgroundColor: c.alert,
      borderColor: c.alert,
      pointStyle: 'triangle',
      pointRadius: 7,
      pointHoverRadius: 10,
    },
    spans: inView.map((a) => ({ from: a.opened_at * 1000, to: (a.closed_at ?? nowSeconds) * 1000, color: c.alertSpan })),
  };
}

// Cost per hour of what ran against static (GET /api/dashboard/savings' series), with the area between them filled:
// green where static cost more (saved), red where what ran did. The area is the server's `saved`.
export function costDatasets(savings) {
  const c = palette();
  const series = savings?.series ?? [];
  return [
    {
      label: 'what ran ($/h)',
      data: series.map(([ts, ran]) => ({ x: ts * 1000, y: ran })),
      borderColor: c.ran,
      backgroundColor: c.ran,
      stepped: 'after',
      pointRadius: 0,
      borderWidth: 2,
      fill: { target: 1, above: c.lost, below: c.saved },
    },
    { label: 'static ($/h)', data: series.map(([ts, , fixed]) => ({ x: ts * 1000, y: fixed })), borderColor: c.static, backgroundColor: c.static, borderDash: [6, 4], stepped: 'after', pointRadius: 0, borderWidth: 2 },
    { label: 'saved against static', data: [], legendColor: c.saved, backgroundColor: c.saved, borderColor: c.saved },
  ];
}

// Utilization of each resource over time (GET /api/dashboard/history's `utilization`), in percent.
export function utilizationDatasets(history) {
  return (history?.resources ?? []).map((r, i) => ({
    label: r.name,
    data: (r.utilization ?? []).map(([ts, u]) => ({ x: ts * 1000, y: u * 100 })),
    borderColor: seriesColor(i),
    backgroundColor: seriesColor(i),
    pointRadius: 0,
    borderWidth: 1.5,
  }));
}

// A resource's history extended by one live event (GET /api/events' `resources` entry): the sample is appended when
// it is newer than the last point, and points older than `fromSeconds` are dropped. Returns a new object.
export function extendHistory(history, sample, fromSeconds) {
  if (!history || !sample) return history;
  const add = (series, value) => {
    const kept = (series ?? []).filter(([ts]) => ts >= fromSeconds);
    if (value === null || value === undefined) return kept;
    const last = kept.length ? kept[kept.length - 1][0] : -Infinity;
    return sample.ts > last ? [...kept, [sample.ts, value]] : kept;
  };
  return {
    ...history,
    demand: add(history.demand, sample.demand),
    capacity: add(history.capacity, sample.ready),
    cost_per_hour: add(history.cost_per_hour, sample.cost_per_hour),
    utilization: add(history.utilization, sample.utilization),
  };
}

// The savings series extended by a live event: what runs now (the sum of the resources' cost per hour) from the
// event's time, against the static line's last level. Drawn only; the totals stay the server's until it is asked
// again.
export function extendSavings(savings, event) {
  if (!savings?.series?.length || !event?.resources?.length) return savings;
  const known = event.resources.filter((r) => r.cost_per_hour !== null && r.cost_per_hour !== undefined);
  if (!known.length) return savings;
  const ran = known.reduce((sum, r) => sum + r.cost_per_hour, 0);
  const last = savings.series[savings.series.length - 1];
  if (event.now <= last[0]) return savings;
  return { ...savings, series: [...savings.series, [event.now, ran, last[2]]] };
}

// Actions as points on the capacity line, carrying their reason for the tooltip.
export function actionPoints(actions, capacityPerInstance, from, to) {
  return (actions ?? [])
    .filter((a) => a.ts * 1000 >= from && a.ts * 1000 <= to)
    .map((a) => ({ x: a.ts * 1000, y: a.to * capacityPerInstance, reason: a.reason, from: a.from, to: a.to, status: a.status }));
}

// The x range [from, to] in milliseconds that shows the chosen past window and the whole forecast.
export function timeWindow(nowSeconds, pastSeconds, forecast) {
  const last = forecast?.points?.length ? forecast.points[forecast.points.length - 1].ts : nowSeconds;
  return { from: (nowSeconds - pastSeconds) * 1000, to: Math.max(nowSeconds, last) * 1000 };
}

// The capacity the stored forecast plans (GET /api/predictions' planned_capacity, computed by the server with the
// planner's rule), in demand units, as a stepped dashed line from now to the forecast's end. Each step's value holds
// from its start; the first starts at now (the step in progress began before it).
export function plannedCapacityDataset(forecast, capacityPerInstance, nowSeconds) {
  const steps = forecast?.planned_capacity ?? [];
  const data = [];
  for (const s of steps) {
    data.push({ x: Math.max(s.ts, nowSeconds) * 1000, y: s.instances * capacityPerInstance, instances: s.instances });
  }
  // Hold the last step's value to the end of that step, so a one-step forecast still draws a segment.
  if (steps.length) {
    const last = steps[steps.length - 1];
    const end = last.ts + (forecast.step ?? 0);
    if (end * 1000 > data[data.length - 1].x) data.push({ x: end * 1000, y: last.instances * capacityPerInstance, instances: last.instances });
  }
  return {
    label: `planned capacity (${forecast?.planned_quantile ?? 'forecast'})`,
    data,
    borderColor: '#2b8a3e',
    borderDash: [6, 4],
    stepped: 'after', // a step's value holds from its start to the next step
    pointRadius: 0,
    borderWidth: 2,
  };
}

const POLICY_COLORS = { static: '#868e96', reactive: '#f08c00', predictive: '#2b8a3e', oracle: '#7048e8', perfect_forecast: '#c2255c' };

// One simulated series: its demand and each policy's ready capacity (in demand units) as step lines.
export function simulationDatasets(series) {
  const xs = series.ts.map((t) => t * 1000);
  const sets = [{ label: 'demand', data: series.demand.map((y, i) => ({ x: xs[i], y })), borderColor: '#1f5fbf', pointRadius: 0, borderWidth: 1.5 }];
  for (const [name, p] of Object.entries(series.policies)) {
    sets.push({
      label: name,
      data: p.capacity.map((y, i) => ({ x: xs[i], y })),
      borderColor: POLICY_COLORS[name] ?? '#000',
      stepped: 'before',
      pointRadius: 0,
      borderWidth: 1.5,
    });
  }
  return sets;
}
