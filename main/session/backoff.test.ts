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
  it('soon(): a small jitter now, and the next failure backs off from the base again', () => {
    let r = 1;
    const b = new Backoff({ baseMs: 1_000, maxMs: 30_000, random: () => r, soonJitterMs: 250 });
    for (let i = 0; i < 6; i++) b.next();
    expect(b.attempt).toBe(6);
    expect(b.soon()).toBe(250);
    r = 0;
    expect(b.soon()).toBe(0);
    expect(b.attempt).toBe(0);
    r = 1;
    expect([b.next(), b.next(), b.next()]).toEqual([1_000, 2_000, 4_000]);
    // Default jitter: at most 250 ms.
    const d = new Backoff({ random: () => 1 });
    expect(d.soon()).toBe(250);
  });
});
