import { describe, expect, it } from 'vitest';
import { parseUtcTimestamp, utcTimestamp } from './session.ts';

describe('UTCTimestamp', () => {
  it('formats with milliseconds and reads back', () => {
    const d = new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 7));
    expect(utcTimestamp(d)).toBe('20240229-23:59:58.007');
    expect(parseUtcTimestamp(utcTimestamp(d))).toBe(d.getTime());
    expect(parseUtcTimestamp('20240229-23:59:58')).toBe(d.getTime() - 7);
    expect(parseUtcTimestamp('20240229-23:59:58.123456789')).toBe(d.getTime() - 7 + 123);
  });
  it('refuses garbage, truncated, oversized and out-of-range values', () => {
    for (const bad of ['', 'yesterday', '20240229', '20240229-23:59', '20240229-23:59:58.', '2024022-23:59:58',
      '20240229-23:59:58.1234567890', `20240229-23:59:58.${'1'.repeat(10_000)}`, '20241301-00:00:00', '20240230-00:00:00',
      '20240229-24:00:00', '20240229-23:60:00', ' 20240229-23:59:58', '20240229-23:59:58\x01']) {
      expect(parseUtcTimestamp(bad), bad.slice(0, 40)).toBeUndefined();
    }
  });
});
