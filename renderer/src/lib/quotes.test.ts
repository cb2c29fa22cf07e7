import { describe, expect, it } from 'vitest';
import { bestQuoteIndex, countdownLevel, formatCountdown, remainingMs } from './quotes.ts';

interface Q { price: number | null; live: boolean }
const q = (price: number | null, live = true): Q => ({ price, live });

describe('bestQuoteIndex', () => {
  const quotes = [q(101.2), q(100.9), q(101.5), q(null), q(100.5, false)];
  it('picks the lowest offer when the trader buys', () => {
    expect(bestQuoteIndex(quotes, 'buy', (x) => x.price, (x) => x.live)).toBe(1);
  });
  it('picks the highest bid when the trader sells', () => {
    expect(bestQuoteIndex(quotes, 'sell', (x) => x.price, (x) => x.live)).toBe(2);
  });
  it('keeps the earliest on a tie', () => {
    expect(bestQuoteIndex([q(100), q(100)], 'buy', (x) => x.price)).toBe(0);
  });
  it('is -1 with no usable quote', () => {
    expect(bestQuoteIndex([], 'buy', (x: Q) => x.price)).toBe(-1);
    expect(bestQuoteIndex([q(null), q(NaN), q(99, false)], 'sell', (x) => x.price, (x) => x.live)).toBe(-1);
  });
});

describe('countdown', () => {
  it('never goes negative', () => {
    expect(remainingMs(1_000, 5_000)).toBe(0);
    expect(remainingMs(5_000, 1_000)).toBe(4_000);
  });
  it('formats rounding up so 0:00 means expired', () => {
    expect(formatCountdown(65_000)).toBe('1:05');
    expect(formatCountdown(8_001)).toBe('0:09');
    expect(formatCountdown(1)).toBe('0:01');
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(-50)).toBe('0:00');
  });
  it('grades urgency', () => {
    expect(countdownLevel(30_000, 30_000)).toBe('ok');
    expect(countdownLevel(5_500, 30_000)).toBe('warn');
    expect(countdownLevel(4_000, 30_000)).toBe('urgent');
    expect(countdownLevel(0, 30_000)).toBe('expired');
  });
});
