import { describe, expect, it } from 'vitest';
import { VerifiedCredentialCache } from './credential-cache.ts';

describe('VerifiedCredentialCache', () => {
  it('matches only the remembered password of that user, against the same hash, within the TTL', () => {
    let now = 0;
    const c = new VerifiedCredentialCache({ ttlMs: 1_000, now: () => now });
    expect(c.matches('alice', 'H1', 'pw')).toBe(false);
    c.remember('alice', 'H1', 'pw');
    expect(c.matches('alice', 'H1', 'pw')).toBe(true);
    expect(c.matches('alice', 'H1', 'pw2')).toBe(false);
    expect(c.matches('alice', 'H1', '')).toBe(false);
    expect(c.matches('bob', 'H1', 'pw')).toBe(false);
    // The username/password boundary cannot be moved to forge a match.
    c.remember('ab', 'H', 'c');
    expect(c.matches('a', 'H', 'bc')).toBe(false);
    expect([c.hits, c.misses]).toEqual([1, 5]);
    now = 1_000;
    expect(c.matches('alice', 'H1', 'pw')).toBe(false);
    expect(c.size).toBe(1);
  });

  it('a changed password hash, forget and clear invalidate; TTL 0 caches nothing; bounded', () => {
    const c = new VerifiedCredentialCache({ ttlMs: 60_000, maxEntries: 3 });
    c.remember('alice', 'H1', 'pw');
    expect(c.matches('alice', 'H2', 'pw')).toBe(false);
    expect(c.matches('alice', 'H1', 'pw')).toBe(false);
    c.remember('alice', 'H2', 'pw');
    c.forget('alice');
    expect(c.matches('alice', 'H2', 'pw')).toBe(false);
    for (const u of ['a', 'b', 'c', 'd']) c.remember(u, 'H', 'x');
    expect(c.size).toBe(3);
    expect(c.matches('a', 'H', 'x')).toBe(false);
    c.clear();
    expect(c.size).toBe(0);
    const off = new VerifiedCredentialCache({ ttlMs: 0 });
    off.remember('alice', 'H1', 'pw');
    expect(off.matches('alice', 'H1', 'pw')).toBe(false);
    expect(c.matches('x'.repeat(10), 'H', 'y'.repeat(5_000))).toBe(false);
  });
});
