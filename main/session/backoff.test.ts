import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';

describe('Backoff', () => {
  it('grows exponentially within [cap/2, cap] and is capped', () => {
    const lo = new Backoff({ baseMs: 1_000, maxMs: 30_000, random: () => 0 });
    const hi = new Backoff({ baseMs: 1_000, maxMs: 30_000, random: () => 1 });
    const a = Array.from({ length: 8 }, () => lo.next());
    const b = Array.from({ length: 8 }, () => hi.next());
    expect(a).toEqual([500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000]);
    expect(b).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });
  it('jitters and resets', () => {
    const b = new Backoff({ baseMs: 1_000 });
    const seen = new Set(Array.from({ length: 20 }, () => { b.reset(); return b.next(); }));
    expect(seen.size).toBeGreaterThan(1);
    b.reset();
    expect(b.attempt).toBe(0);
  });
});
