// Shapes API responses into Chart.js datasets. Pure functions, unit-tested (chartData.test.js).

// Demand (the past), then the forecast (the future) with its p50 line, p90/p95 bands and a dotted p99 line (the
// rare peak a careful risk setting sizes for), and capacity in the same unit (ready instances x capacity per
// instance) as a step line over both.
export function demandForecastDatasets(history, forecast, capacityPerInstance) {
  const demand = (history?.demand ?? []).map(([ts, v]) => ({ x: ts * 1000, y: v }));
  const capacity = (history?.capacity ?? []).map(([ts, v]) => ({ x: ts * 1000, y: v * capacityPerInstance }));
  const points = forecast?.points ?? [];
  const p50 = points.map((p) => ({ x: p.ts * 1000, y: p.p50 }));
  const p90 = points.map((p) => ({ x: p.ts * 1000, y: p.p90 }));
  const p95 = points.map((p) => ({ x: p.ts * 1000, y: p.p95 }));
  // Forecasts stored before p99 bands have none: leave the line out rather than draw it at zero.
  const p99 = points.filter((p) => p.p99 != null).map((p) => ({ x: p.ts * 1000, y: p.p99 }));
  return [
    { label: 'demand', data: demand, borderColor: '#1f5fbf', backgroundColor: '#1f5fbf', pointRadius: 0, borderWidth: 2 },
    { label: 'forecast p50', data: p50, borderColor: '#d9480f', borderDash: [6, 4], pointRadius: 2, borderWidth: 2 },
    { label: 'forecast p90', data: p90, borderColor: 'rgba(217,72,15,0.5)', backgroundColor: 'rgba(217,72,15,0.15)', fill: 1, pointRadius: 0, borderWidth: 1 },
    { label: 'forecast p95', data: p95, borderColor: 'rgba(217,72,15,0.3)', backgroundColor: 'rgba(217,72,15,0.08)', fill: 2, pointRadius: 0, borderWidth: 1 },
    { label: 'forecast p99', data: p99, borderColor: 'rgba(217,72,15,0.45)', borderDash: [2, 3], pointRadius: 0, borderWidth: 1 },
    { label: 'capacity', data: capacity, borderColor: '#2b8a3e', stepped: 'before', pointRadius: 0, borderWidth: 2 },
  ];
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
