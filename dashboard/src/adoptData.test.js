import { describe, expect, it } from 'vitest';
import { adoptionFor } from './adoptData.js';

const point = (policy, setting, cost_rel, unmet) => ({ policy, setting, cost_rel, unmet });
const p99 = point('predictive', { quantile: 0.99, unmet_budget: 0.005 }, 0.8, 0.004);
// Run with the default budget of 0.5%: p99 is cloudopt's cheapest within it; a reactive point is cheaper still.
const sweep = {
  sweep: true,
  unmet_budget: 0.005,
  points: [point('predictive', { quantile: 0.5, unmet_budget: 0.005 }, 0.5, 0.03), point('predictive', { quantile: 0.9, unmet_budget: 0.005 }, 0.6, 0.012), p99, point('reactive', { target: 0.5 }, 0.4, 0.001)],
  cheapest_predictive: p99,
};

describe('adoptionFor', () => {
  it("adopts the job's own cheapest at the budget the sweep ran with", () => {
    expect(adoptionFor(sweep, 0.005)).toEqual({ cheapest: p99, request: {} });
  });
  it('sends a budget typed after the sweep as max_unmet, naming the cheapest predictive point within it', () => {
    const within = adoptionFor(sweep, 0.02);
    expect(within.cheapest.setting).toEqual({ quantile: 0.9, unmet_budget: 0.005 });
    expect(within.request).toEqual({ max_unmet: 0.02 });
    expect(adoptionFor(sweep, 1.2 / 100).cheapest.setting.quantile).toBe(0.9); // 0.011999… still takes the 1.2% point
    expect(adoptionFor(sweep, 0.05).cheapest.setting.quantile).toBe(0.5);
  });
  it('names nothing when no predictive point is within the budget, or the budget is not one', () => {
    expect(adoptionFor(sweep, 0.001)).toEqual({ cheapest: null, request: null }); // only the reactive point is
    expect(adoptionFor(sweep, null).cheapest).toBeNull();
    expect(adoptionFor(sweep, NaN).cheapest).toBeNull();
    expect(adoptionFor(sweep, 2).cheapest).toBeNull();
  });
});
