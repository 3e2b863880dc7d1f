import { describe, expect, it } from 'vitest';
import { bandOf, money, number, percent } from './format.js';

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
  it('band against 70-80%', () => {
    expect(bandOf(0.69)).toBe('below');
    expect(bandOf(0.7)).toBe('in');
    expect(bandOf(0.8)).toBe('in');
    expect(bandOf(0.81)).toBe('above');
    expect(bandOf(null)).toBe('unknown');
  });
});
