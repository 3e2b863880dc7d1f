import { describe, expect, it } from 'vitest';
import { actionPoints, demandForecastDatasets, plannedCapacityDataset, simulationDatasets, timeWindow } from './chartData.js';

const history = { step: 300, demand: [[100, 5], [400, 7]], capacity: [[100, 2], [400, 3]], cost_per_hour: [[100, 1], [400, 2]] };
const forecast = { points: [{ ts: 700, p50: 8, p90: 9, p95: 10, p99: 12 }, { ts: 1000, p50: 9, p90: 10.5, p95: 11, p99: 13.5 }] };

describe('demandForecastDatasets', () => {
  it('puts demand in the past, the forecast bands ahead and capacity in load units', () => {
    const [demand, p50, p90, p95, p99, capacity] = demandForecastDatasets(history, forecast, 4);
    expect(demand.data).toEqual([{ x: 100000, y: 5 }, { x: 400000, y: 7 }]);
    expect(p50.data.map((p) => p.y)).toEqual([8, 9]);
    expect(p90.fill).toBe(1);
    expect(p95.data[1]).toEqual({ x: 1000000, y: 11 });
    expect(p99.label).toBe('forecast p99');
    expect(p99.fill).toBeUndefined();
    expect(p99.data).toEqual([{ x: 700000, y: 12 }, { x: 1000000, y: 13.5 }]);
    expect(capacity.data).toEqual([{ x: 100000, y: 8 }, { x: 400000, y: 12 }]);
    expect(capacity.stepped).toBe('before');
  });
  it('copes with nothing yet', () => {
    const sets = demandForecastDatasets(undefined, undefined, 1);
    expect(sets.every((s) => s.data.length === 0)).toBe(true);
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
