import { describe, expect, it } from 'vitest';
import { actionMarkers, actionPoints, alertMarkers, costDatasets, demandForecastDatasets, extendHistory, extendSavings, plannedCapacityDataset, simulationDatasets, timeWindow, utilizationDatasets } from './chartData.js';

const history = { step: 300, demand: [[100, 5], [400, 7]], capacity: [[100, 2], [400, 3]], cost_per_hour: [[100, 1], [400, 2]] };
const forecast = { points: [{ ts: 700, p50: 8, p90: 9, p95: 10, p99: 12 }, { ts: 1000, p50: 9, p90: 10.5, p95: 11, p99: 13.5 }] };

describe('demandForecastDatasets', () => {
  it('puts demand in the past, the forecast p50 and three distinct bands ahead, and capacity in load units', () => {
    const [demand, p50, b90, b95, b99, capacity] = demandForecastDatasets(history, forecast, 4);
    expect(demand.data).toEqual([{ x: 100000, y: 5 }, { x: 400000, y: 7 }]);
    expect(p50.data.map((p) => p.y)).toEqual([8, 9]);
    expect([b90.label, b95.label, b99.label]).toEqual(['p50–p90', 'p90–p95', 'p95–p99']);
    // Each band fills down to the one below it, and no two bands share a colour.
    expect([b90.fill, b95.fill, b99.fill]).toEqual(['-1', '-1', '-1']);
    expect(new Set([b90.backgroundColor, b95.backgroundColor, b99.backgroundColor]).size).toBe(3);
    expect(b95.data[1]).toEqual({ x: 1000000, y: 11 });
    expect(b99.data).toEqual([{ x: 700000, y: 12 }, { x: 1000000, y: 13.5 }]);
    expect(capacity.data).toEqual([{ x: 100000, y: 8 }, { x: 400000, y: 12 }]);
    expect(capacity.stepped).toBe('before');
  });
  it('copes with nothing yet', () => {
    const sets = demandForecastDatasets(undefined, undefined, 1);
    expect(sets.every((s) => s.data.length === 0)).toBe(true);
  });
});

describe('markers', () => {
  it('actions in the view carry their action, on the capacity they set', () => {
    const a = { id: 7, ts: 500, from: 2, to: 3, reason: 'forecast p95 9.1 / 0.75', status: 'applied' };
    const m = actionMarkers([{ id: 6, ts: 50, to: 1 }, a], 4, 100000, 1000000);
    expect(m.marker).toBe('action');
    expect(m.data).toEqual([{ x: 500000, y: 12, item: a }]);
  });
  it('alerts mark where they opened and shade while open (to now when still open)', () => {
    const open = { id: 1, opened_at: 600, closed_at: null, value: 40 };
    const closed = { id: 2, opened_at: 200, closed_at: 300, value: 30 };
    const gone = { id: 3, opened_at: 10, closed_at: 20, value: 1 };
    const { dataset, spans } = alertMarkers([open, closed, gone], 100000, 1000000, 900);
    expect(dataset.data.map((p) => p.item.id)).toEqual([1, 2]);
    expect(dataset.data[0]).toMatchObject({ x: 600000, y: 40 });
    expect(spans.map((s) => [s.from, s.to])).toEqual([[600000, 900000], [200000, 300000]]);
  });
});

describe('cost and utilization', () => {
  const savings = { series: [[0, 2, 3], [300, 4, 3]], saved: 0 };
  it('draws what ran against static with the area between them', () => {
    const [ran, fixed, legend] = costDatasets(savings);
    expect(ran.data).toEqual([{ x: 0, y: 2 }, { x: 300000, y: 4 }]);
    expect(fixed.data.map((p) => p.y)).toEqual([3, 3]);
    expect(ran.fill.target).toBe(1);
    expect(ran.fill.below).not.toBe(ran.fill.above);
    expect(legend.label).toBe('saved against static');
  });
  it('utilization in percent per resource', () => {
    const [web] = utilizationDatasets({ resources: [{ name: 'web', utilization: [[60, 0.75]] }] });
    expect(web.label).toBe('web');
    expect(web.data).toEqual([{ x: 60000, y: 75 }]);
  });
  it('live events extend the history and drop what left the range', () => {
    const h = { demand: [[100, 5], [400, 7]], capacity: [[100, 2], [400, 3]], cost_per_hour: [], utilization: [] };
    const next = extendHistory(h, { ts: 460, demand: 8, ready: 3, cost_per_hour: 1.5, utilization: null }, 200);
    expect(next.demand).toEqual([[400, 7], [460, 8]]);
    expect(next.capacity).toEqual([[400, 3], [460, 3]]);
    expect(next.cost_per_hour).toEqual([[460, 1.5]]);
    expect(next.utilization).toEqual([]);
    // An event that repeats the newest sample adds nothing.
    expect(extendHistory(next, { ts: 460, demand: 8 }, 200).demand).toEqual(next.demand);
  });
  it('live events extend the cost line at the static level', () => {
    const next = extendSavings(savings, { now: 600, resources: [{ cost_per_hour: 1 }, { cost_per_hour: 2.5 }, { cost_per_hour: null }] });
    expect(next.series.at(-1)).toEqual([600, 3.5, 3]);
    expect(extendSavings(savings, { now: 200, resources: [{ cost_per_hour: 1 }] })).toBe(savings);
  });
});

describe('actionPoints', () => {
  it('keeps the actions in the window with their reasons', () => {
    const actions = [
      { ts: 50, from: 1, to: 2, reason: 'too early', status: 'applied' },
      { ts: 500, from: 2, to: 3, reason: 'forecast p95 9.1 / 0.75', status: 'applied' },
    ];
    expect(actionPoints(actions, 4, 100000, 1000000)).toEqual([
      { x: 500000, y: 12, reason: 'forecast p95 9.1 / 0.75', from: 2, to: 3, status: 'applied' },
    ]);
  });
});

describe('timeWindow', () => {
  it('spans the past window and the forecast', () => {
    expect(timeWindow(800, 600, forecast)).toEqual({ from: 200000, to: 1000000 });
  });
});

describe('plannedCapacityDataset', () => {
  const planned = { ...forecast, step: 300, planned_quantile: 'p95', planned_capacity: [{ ts: 700, instances: 4 }, { ts: 1000, instances: 5 }] };
  it('draws the server\'s planned instances in demand units from now, stepped and dashed', () => {
    const d = plannedCapacityDataset(planned, 2.5, 800);
    expect(d.data).toEqual([
      { x: 800000, y: 10, instances: 4 },
      { x: 1000000, y: 12.5, instances: 5 },
      { x: 1300000, y: 12.5, instances: 5 },
    ]);
    expect(d.stepped).toBe('after');
    expect(d.borderDash.length).toBe(2);
    expect(d.label).toBe('planned capacity (p95)');
  });
  it('is empty without a stored forecast', () => {
    expect(plannedCapacityDataset(null, 2, 800).data).toEqual([]);
  });
});

describe('simulationDatasets', () => {
  it('draws demand and one step line per policy on the same time axis', () => {
    const series = { ts: [10, 20], demand: [1, 2], policies: { static: { capacity: [4, 4] }, oracle: { capacity: [2, 3] } } };
    const sets = simulationDatasets(series);
    expect(sets.map((s) => s.label)).toEqual(['demand', 'static', 'oracle']);
    expect(sets[2].data).toEqual([{ x: 10000, y: 2 }, { x: 20000, y: 3 }]);
    expect(sets[1].stepped).toBe('before');
  });
});
