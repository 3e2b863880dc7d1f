// What the Simulation page's Adopt sends for its sweep job (docs/COSTS.md §1, "Adopting the setting"), for the unmet
// budget the frontier above it shows (the sweep's own, or one the user typed after the sweep ran).
import { cheapestWithin } from './costData.js';

// POST /api/settings/adopt compares a point's unmet with this slack (api/routes_simulations.cpp): a budget typed as
// a percent (1.2 / 100) may land a hair below the point's unmet it was copied from.
const SLACK = 1e-12;

// {cheapest, request}: the predictive point Adopt would adopt and the body's fields besides job_id. At the sweep's own
// budget, the job's cheapest_predictive and {} (the service takes it from the job); at another, the cheapest
// predictive point within it and {max_unmet}, which the service picks by the same rule over the same points. No
// valid budget, or none of cloudopt's points within it: cheapest null.
export function adoptionFor(sweep, budget) {
  if (!sweep || budget === null || budget === undefined || !Number.isFinite(budget) || budget < 0 || budget > 1) return { cheapest: null, request: null };
  if (Math.abs(budget - sweep.unmet_budget) < SLACK) return { cheapest: sweep.cheapest_predictive ?? null, request: {} };
  const cheapest = cheapestWithin(sweep.points, budget + SLACK, (p) => p.policy === 'predictive');
  return { cheapest, request: cheapest ? { max_unmet: budget } : null };
}
