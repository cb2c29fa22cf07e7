import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate-limit.ts';

describe('token bucket', () => {
  it('passes a burst, then the rate, and counts strikes', () => {
    let t = 0;
    const b = new TokenBucket(10, 5, () => t);
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    expect(b.take()).toBe(false);
    expect(b.strikes).toBe(2);
    t += 100; // one token at 10/s
    expect(b.take()).toBe(true);
    expect(b.strikes).toBe(0);
    expect(b.take()).toBe(false);
    t += 1_000_000;
    for (let i = 0; i < 5; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });
});
