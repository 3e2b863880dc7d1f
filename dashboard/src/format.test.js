import { describe, expect, it } from 'vitest';
import { bandCoverage, dateTime, fromLocalInput, noteServiceNow, serviceNow, span, time, toLocalInput, zoneLabel, bandOf, bandsBy, explanationEntries, jobState, money, number, passSummary, percent, sinceTraining } from './format.js';

describe('format', () => {
  it('money keeps the sign and two digits', () => {
    expect(money(12.345)).toBe('$12.35');
    expect(money(-3)).toBe('−$3.00');
    expect(money(null)).toBe('–');
    expect(money(NaN)).toBe('–');
  });
  it('percent of a fraction', () => {
    expect(percent(0.756)).toBe('76%');
    expect(percent(0.756, 1)).toBe('75.6%');
    expect(percent(undefined)).toBe('–');
  });
  it('number rounds', () => {
    expect(number(3.14159, 2)).toBe('3.14');
  });
  it('a trained model since training', () => {
    expect(sinceTraining(undefined)).toBe('no trained model yet');
    expect(bandCoverage({ coverage: { p90: 0.9, p95: 0.9534, p99: 0.991 } })).toBe(
      'under the p95 band 95.3% of the time, p99 99.1%',
    );
    expect(bandCoverage({ coverage: { p90: null, p95: null, p99: null } })).toBe('');
    expect(bandCoverage(undefined)).toBe('');
    expect(sinceTraining({ steps_scored: 0, trained_accuracy: 0.9 })).toBe('no load since training yet');
    const held = { steps_scored: 96, trained_accuracy: 0.9, live_accuracy: 0.88, drifted: false };
    expect(sinceTraining(held)).toBe('over 96 steps since training (90.0% when trained)');
    expect(sinceTraining({ ...held, live_accuracy: 0.6, drifted: true })).toBe(
      'over 96 steps since training (90.0% when trained) · drifted: retraining',
    );
  });
  it('what a trained model\'s bands depend on', () => {
    expect(bandsBy(undefined)).toBe('');
    expect(bandsBy({ bands_by: 'none' })).toBe('bands: one per step ahead');
    expect(bandsBy({ bands_by: 'minute of the hour' })).toBe('bands by the minute of the hour');
  });
  it('band against 70-80%', () => {
    expect(bandOf(0.69)).toBe('below');
    expect(bandOf(0.7)).toBe('in');
    expect(bandOf(0.8)).toBe('in');
    expect(bandOf(0.81)).toBe('above');
    expect(bandOf(null)).toBe('unknown');
  });
});

describe('explanations and jobs', () => {
  it('lists an explanation object as labelled entries, flattening nested objects', () => {
    expect(explanationEntries({ rule: 'forecast', quantile: 'p95', peak: { value: 17.456789, in_s: 240 }, mix: ['m5.large', 3] })).toEqual([
      ['rule', 'forecast'],
      ['quantile', 'p95'],
      ['peak.value', '17.46'],
      ['peak.in s', '240'],
      ['mix', 'm5.large, 3'],
    ]);
    expect(explanationEntries(undefined)).toEqual([]);
    expect(explanationEntries('a sentence')).toEqual([]);
  });
  it('says what state a job is in', () => {
    expect(jobState({ status: 'running', progress: 0.4 })).toBe('running 40%');
    expect(jobState({ status: 'failed', error: 'no history' })).toBe('failed: no history');
    expect(jobState({ status: 'succeeded' })).toBe('succeeded');
  });
  it('sums up what a pass did per resource', () => {
    expect(
      passSummary([
        { resource: 'web', action: { from: 8, to: 6, status: 'applied' } },
        { resource: 'api', recommendation: { from: 8, to: 7 }, action: null },
        { resource: 'db', current_capacity: 3, action: null, recommendation: null },
        { resource: 'x', error: 'provider unreachable' },
      ]),
    ).toBe('web: 8 → 6 applied; api: recommends 8 → 7; db: no change (3); x: provider unreachable');
  });
  it('one clock: the newest service time wins, and times name their zone', () => {
    noteServiceNow(1_000_000);
    noteServiceNow(999_000); // an older answer arriving late does not move the clock back
    expect(serviceNow()).toBe(1_000_000);
    expect(time(1_000_000, 1_000_000, { zone: true })).toMatch(/^\d\d:\d\d \S+$/);
    expect(dateTime(1_000_000)).toMatch(/^[A-Z][a-z]{2} \d{1,2} \d\d:\d\d \S+$/);
    expect(zoneLabel(1_000_000).length).toBeGreaterThan(0);
  });
  it('datetime-local values round-trip in the user zone', () => {
    expect(fromLocalInput(toLocalInput(1_765_000_045))).toBe(1_765_000_020);
    expect(fromLocalInput('')).toBeNull();
  });
  it('spans', () => {
    expect(span(1800)).toBe('30 min');
    expect(span(6 * 3600)).toBe('6 h');
    expect(span(7 * 86400)).toBe('7 d');
  });
});
