import { describe, expect, it } from 'vitest';
import { defaultSettlDate, fromFixDate, isIsoDate, settlDateProblem } from './settlement.ts';

describe('settlement dates', () => {
  it('defaults to T+2 business days, skipping the weekend', () => {
    expect(defaultSettlDate(new Date('2026-11-23T09:00:00Z'))).toBe('2026-11-25'); // Mon → Wed
    expect(defaultSettlDate(new Date('2026-11-26T23:59:59Z'))).toBe('2026-11-30'); // Thu → Mon
    expect(defaultSettlDate(new Date('2026-11-27T00:00:00Z'))).toBe('2026-12-01'); // Fri → Tue
    expect(defaultSettlDate(new Date('2026-11-28T12:00:00Z'))).toBe('2026-12-01'); // Sat → Tue
    expect(defaultSettlDate(new Date('2026-12-31T12:00:00Z'))).toBe('2027-01-04'); // Thu → Mon, across the year
  });

  it('reads only real calendar dates', () => {
    expect(fromFixDate('20280229')).toBe('2028-02-29');
    for (const bad of ['20270229', '20261301', '20261100', '2026-11-24', '1899123', '18991231', ' 20261124', '20261124 ']) expect(fromFixDate(bad), bad).toBeUndefined();
    expect(isIsoDate('2026-11-24')).toBe(true);
    for (const bad of ['2026-02-30', '20261124', 42, null, undefined, {}, '2026-11-24T00:00:00Z']) expect(isIsoDate(bad)).toBe(false);
  });

  it('refuses a past, weekend or too distant date, and accepts today wherever the trader is', () => {
    const now = new Date('2026-11-24T03:00:00Z'); // Tuesday in UTC, still Monday evening in New York
    expect(settlDateProblem('2026-11-24', now)).toBeUndefined();
    expect(settlDateProblem('2026-11-23', now)).toBeUndefined();
    expect(settlDateProblem('2026-11-20', now)).toBe('SettlDate(64) 20261120 is in the past');
    expect(settlDateProblem('2026-11-28', now)).toBe('SettlDate(64) 20261128 falls on a weekend');
    expect(settlDateProblem('2027-11-26', now)).toMatch(/more than 366 days away/);
    expect(settlDateProblem('2026-02-30', now)).toMatch(/is not a date/);
    expect(settlDateProblem('2026-11-23', new Date('2026-11-24T13:00:00Z'))).toBe('SettlDate(64) 20261123 is in the past');
  });
});
