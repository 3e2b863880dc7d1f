import { describe, expect, it } from 'vitest';
import { cheapestWithin, compareValues, frontierCurves, groupsBy, labelKeys, labelPairs, labelSelectors, matchesLabel, parseLabels, scopeText, shareOf } from './costData.js';

const resources = [
  { name: 'checkout', labels: { team: 'payments', env: 'prod' } },
  { name: 'search', labels: { team: 'search', env: 'prod' } },
  { name: 'batch', labels: {} },
  { name: 'old' }, // a service before labels: no field at all
];

describe('labels', () => {
  it('lists pairs in key order and reads the form text back', () => {
    expect(labelPairs({ team: 'payments', env: 'prod' })).toEqual(['env=prod', 'team=payments']);
    expect(labelPairs(undefined)).toEqual([]);
    expect(parseLabels(' team=payments, env:prod ,,')).toEqual({ team: 'payments', env: 'prod' });
    expect(parseLabels('tier=')).toEqual({ tier: '' }); // an empty value is allowed (Kubernetes' rule)
    expect(parseLabels('')).toEqual({});
    expect(() => parseLabels('team')).toThrow(/label "team": write it as key=value/);
    expect(() => parseLabels('=x')).toThrow(/"=x"/);
  });

  it('offers every key:value present and matches selectors as the API does', () => {
    expect(labelSelectors(resources)).toEqual(['env:prod', 'team:payments', 'team:search']);
    const names = (sel) => resources.filter((r) => matchesLabel(r, sel)).map((r) => r.name);
    expect(names('team:payments')).toEqual(['checkout']);
    expect(names('team=search')).toEqual(['search']);
    expect(names('team')).toEqual(['checkout', 'search']);
    expect(names('env:prod,team:search')).toEqual(['search']);
    expect(names('env:dev')).toEqual([]);
  });
});

describe('cost groups', () => {
  const groups = [
    { kind: 'resource', name: 'checkout' },
    { kind: 'provider', name: 'aws' },
    { kind: 'label', name: 'team:payments' },
    { kind: 'label', name: 'env:prod' },
    { kind: 'label', name: 'team:search' },
    { kind: 'total', name: 'total' },
  ];
  it('finds the label keys and the groups of one choice, the total last', () => {
    expect(labelKeys(groups)).toEqual(['env', 'team']);
    expect(groupsBy(groups, 'label:team').map((g) => g.name)).toEqual(['team:payments', 'team:search', 'total']);
    expect(groupsBy(groups, 'provider').map((g) => g.name)).toEqual(['aws', 'total']);
    expect(groupsBy(groups, 'label:tea').map((g) => g.name)).toEqual(['total']); // a key's prefix is not the key
  });
});

describe('budgets', () => {
  it('names the scope and the share of the amount', () => {
    expect(scopeText({ scope: 'total', target: '' })).toBe('total');
    expect(scopeText({ scope: 'label', target: 'team:payments' })).toBe('label team:payments');
    expect(shareOf(150, 100)).toBe(1.5);
    expect(shareOf(undefined, 100)).toBeNull();
    expect(shareOf(5, 0)).toBeNull();
  });
});

describe('sorting', () => {
  it('sorts numbers as numbers, texts naturally, blanks last', () => {
    expect([10, 9, '', 100].sort(compareValues)).toEqual([9, 10, 100, '']);
    expect(['m5.xlarge', 'm5.large', 'c5.2xlarge'].sort(compareValues)).toEqual(['c5.2xlarge', 'm5.large', 'm5.xlarge']);
    expect(['node10', 'node9'].sort(compareValues)).toEqual(['node9', 'node10']);
  });
});

describe('the frontier', () => {
  const points = [
    { policy: 'reactive', setting: { target: 0.3 }, cost_rel: 1.07, unmet: 0.016 },
    { policy: 'reactive', setting: { target: 0.9 }, cost_rel: 0.37, unmet: 0.068 },
    { policy: 'reactive', setting: { target: 0.5 }, cost_rel: 0.65, unmet: 0.025 },
    { policy: 'predictive', setting: { quantile: 0.95, unmet_budget: 0.001 }, cost_rel: 0.66, unmet: 0.0038 },
    { policy: 'predictive', setting: { quantile: 0.99, unmet_budget: 0.001 }, cost_rel: 0.86, unmet: 0.0009 },
    { policy: 'predictive', setting: { quantile: 0.5, unmet_budget: 0.005 }, cost_rel: 0.7, unmet: 0.009 }, // dominated
    { policy: 'oracle', setting: {}, cost_rel: 0.41, unmet: 0 },
    { policy: 'static', setting: {}, cost_rel: 1, unmet: 0.001 },
  ];
  it('draws each policy by unmet with its lower envelope', () => {
    const curves = frontierCurves(points);
    expect(curves.map((c) => c.policy)).toEqual(['reactive', 'predictive', 'oracle', 'static']);
    const predictive = curves.find((c) => c.policy === 'predictive');
    expect(predictive.points.map((p) => p.unmet)).toEqual([0.0009, 0.0038, 0.009]);
    expect(predictive.envelope.map((p) => p.cost_rel)).toEqual([0.86, 0.66]);
  });
  it('names the cheapest runnable setting within the budget, never the oracle', () => {
    expect(cheapestWithin(points, 0.005).setting).toEqual({ quantile: 0.95, unmet_budget: 0.001 });
    expect(cheapestWithin(points, 0.03).cost_rel).toBe(0.65);
    expect(cheapestWithin(points, 0.0001)).toBeNull();
  });
});
