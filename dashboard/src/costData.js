// Pure helpers of the cost pages (labels on resources, budgets, commitments, the sweep's frontier): no React, no
// requests, unit-tested in costData.test.js. The API defines every figure (docs/COSTS.md); these only arrange them.

// Labels as the API sends them ({team: "payments"}) in key order, as "team=payments" texts.
export function labelPairs(labels) {
  return Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`);
}

// "team=payments, env=prod" (the resource form's field) as an object; throws with the term it cannot read, so the
// form can say which. Kubernetes' rules for keys and values are the API's to check (it answers 422 naming them).
export function parseLabels(text) {
  const out = {};
  for (const term of String(text ?? '').split(',').map((t) => t.trim()).filter(Boolean)) {
    const at = term.search(/[=:]/);
    if (at <= 0) throw new Error(`label "${term}": write it as key=value (team=payments)`);
    out[term.slice(0, at).trim()] = term.slice(at + 1).trim();
  }
  return out;
}

// Every key:value present on the resources, sorted, for the Resources table's label filter (the API's selector
// syntax, GET /api/resources?label=team:payments).
export function labelSelectors(resources) {
  const set = new Set();
  for (const r of resources ?? []) for (const [k, v] of Object.entries(r.labels ?? {})) set.add(`${k}:${v}`);
  return [...set].sort();
}

// Whether a resource matches a selector as the API reads one: "team:payments" or "team=payments" (the key with
// that value), "team" (has the key); comma-separated terms must all match.
export function matchesLabel(resource, selector) {
  const labels = resource.labels ?? {};
  return String(selector)
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .every((term) => {
      const at = term.search(/[=:]/);
      if (at < 0) return Object.hasOwn(labels, term);
      return labels[term.slice(0, at)] === term.slice(at + 1);
    });
}

// The label keys GET /api/costs has groups for (label groups are named "key:value"), sorted.
export function labelKeys(groups) {
  const keys = new Set();
  for (const g of groups ?? []) if (g.kind === 'label') keys.add(g.name.slice(0, g.name.indexOf(':')));
  return [...keys].sort();
}

// The groups of GET /api/costs that one "group by" choice shows: 'resource', 'provider', or 'label:KEY' (the
// groups of that key), always followed by the total.
export function groupsBy(groups, by) {
  const total = (groups ?? []).filter((g) => g.kind === 'total');
  if (by.startsWith('label:')) {
    const prefix = `${by.slice(6)}:`;
    return [...groups.filter((g) => g.kind === 'label' && g.name.startsWith(prefix)), ...total];
  }
  return [...(groups ?? []).filter((g) => g.kind === by), ...total];
}

// What each budget state means, in words (docs/COSTS.md, "States"): the table shows the word and a symbol, never a
// colour alone.
export const BUDGET_STATES = {
  ok: { symbol: '✓', text: 'ok', help: 'even the p90 projection is within the budget' },
  at_risk: { symbol: '!', text: 'at risk', help: 'the p90 projection crosses the budget, the p50 does not' },
  over: { symbol: '✕', text: 'over', help: 'the p50 projection crosses the budget' },
  exceeded: { symbol: '✕', text: 'exceeded', help: 'the spend so far already has' },
  unknown: { symbol: '?', text: 'unknown', help: 'no projection yet (under a day of load history)' },
};

// A budget's scope as one text: "total", "provider aws", "resource checkout", "label team:payments".
export function scopeText(budget) {
  return budget.scope === 'total' || !budget.target ? budget.scope : `${budget.scope} ${budget.target}`;
}

// A projection against the amount: the share of the budget it reaches (1.25 = 25% over), or null.
export function shareOf(value, amount) {
  return Number.isFinite(value) && amount > 0 ? value / amount : null;
}

// A numeric-aware comparison for sorting a table's column values (numbers before texts, '' last).
export function compareValues(a, b) {
  const blank = (v) => v === '' || v === null || v === undefined;
  if (blank(a) || blank(b)) return blank(a) - blank(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return String(a).localeCompare(String(b), undefined, { numeric: true });
}

// The policies of a sweep (`simulate --sweep --json`, or a sweep job's result) as one curve each: the points sorted
// by unmet, and the lower envelope (each point that is cheaper than every point with less unmet): what the
// policy's best settings cost at each level of risk.
export function frontierCurves(points) {
  const by = new Map();
  for (const p of points ?? []) {
    if (!by.has(p.policy)) by.set(p.policy, []);
    by.get(p.policy).push(p);
  }
  return [...by.entries()].map(([policy, list]) => {
    const sorted = [...list].sort((a, b) => a.unmet - b.unmet || a.cost_rel - b.cost_rel);
    const envelope = [];
    for (const p of sorted) if (!envelope.length || p.cost_rel < envelope[envelope.length - 1].cost_rel) envelope.push(p);
    return { policy, points: sorted, envelope };
  });
}

// The cheapest point whose unmet is within `budget` (a fraction), among policies that can run (every one but the
// oracle, which needs the future), as `simulate --sweep` names it; null when none meets it.
export function cheapestWithin(points, budget, runnable = (p) => p.policy !== 'oracle') {
  let best = null;
  for (const p of points ?? []) if (runnable(p) && p.unmet <= budget && (!best || p.cost_rel < best.cost_rel)) best = p;
  return best;
}

// A sweep point's setting ({quantile: 0.9, unmet_budget: 0.005}) as text.
export function settingText(setting) {
  return Object.entries(setting ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}
