import { describe, expect, it } from 'vitest';
import { formatQuantity, parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['5m', 5_000_000],
    ['5M', 5_000_000],
    ['250k', 250_000],
    ['1.5m', 1_500_000],
    ['1.1m', 1_100_000],
    ['2mm', 2_000_000],
    ['1b', 1_000_000_000],
    ['1bn', 1_000_000_000],
    ['2,000,000', 2_000_000],
    [' 750 000 ', 750_000],
    ['.5m', 500_000],
    ['100', 100],
  ])('%s → %d', (input, expected) => {
    expect(parseQuantity(input)).toEqual({ ok: true, value: expected });
  });

  it.each(['', '   ', 'abc', '5x', 'k', '-5m', '0', '0k', '1.2.3m', '5m5', '1e6', 'Infinity', 'NaN', '=1+1', '9'.repeat(40), '99999b'])(
    'rejects %j with a message',
    (input) => {
      const r = parseQuantity(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.length).toBeGreaterThan(5);
    },
  );
});

describe('formatQuantity', () => {
  it('compacts round figures', () => {
    expect(formatQuantity(5_000_000)).toBe('5m');
    expect(formatQuantity(1_500_000)).toBe('1.5m');
    expect(formatQuantity(250_000)).toBe('250k');
    expect(formatQuantity(2_000_000_000)).toBe('2b');
    expect(formatQuantity(1234)).toBe('1,234');
  });
});
