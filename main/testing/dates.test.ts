import { describe, expect, it } from 'vitest';
import { businessDayAfter } from './dates.ts';

describe('businessDayAfter', () => {
  it('counts from the UTC date and skips the weekend', () => {
    expect(businessDayAfter(10, new Date('2026-11-21T23:59:59Z'))).toBe('2026-12-01'); // Sat + 10 = Tue
    expect(businessDayAfter(1, new Date('2026-11-20T00:00:00Z'))).toBe('2026-11-23'); // Fri + 1 = Sat → Mon
    expect(businessDayAfter(2, new Date('2026-12-30T12:00:00Z'))).toBe('2027-01-01'); // across the year, a Friday
  });

  it('is a future weekday whatever the real date is', () => {
    const d = businessDayAfter();
    const t = Date.parse(`${d}T00:00:00Z`);
    expect(t).toBeGreaterThan(Date.now());
    expect([1, 2, 3, 4, 5]).toContain(new Date(t).getUTCDay());
  });
});
