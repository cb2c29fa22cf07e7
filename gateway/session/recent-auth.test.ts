import { describe, expect, it } from 'vitest';
import { RecentAuth } from './recent-auth.ts';

describe('RecentAuth', () => {
  it('recalls a second factor within the max age, per user and certificate, and forgets it after', () => {
    let now = 1_000_000;
    const r = new RecentAuth(() => now);
    r.remember('alice', 'ab12', { method: 'totp', at: now });
    expect(r.recall('alice', 'ab12', 60)).toEqual({ method: 'totp', at: 1_000_000 });
    expect(r.recall('alice', 'cd34', 60)).toBeUndefined();
    expect(r.recall('bob', 'ab12', 60)).toBeUndefined();
    expect(r.recall('alice', 'ab12', 0)).toBeUndefined();
    r.remember('alice', 'ab12', { method: 'totp', at: now });
    now += 61_000;
    expect(r.recall('alice', 'ab12', 60)).toBeUndefined();
    expect(r.size).toBe(0);
  });

  it('keeps the stronger method, forgets per certificate or per user, and stays bounded', () => {
    const r = new RecentAuth(() => 5_000);
    r.remember('alice', 'a', { method: 'webauthn', at: 1_000 });
    r.remember('alice', 'a', { method: 'totp', at: 2_000 });
    expect(r.recall('alice', 'a', 60)).toEqual({ method: 'webauthn', at: 2_000 });
    r.remember('alice', 'b', { method: 'totp', at: 2_000 });
    r.forget('alice', 'a');
    expect(r.recall('alice', 'a', 60)).toBeUndefined();
    expect(r.recall('alice', 'b', 60)).toBeDefined();
    r.forget('alice');
    expect(r.size).toBe(0);
    for (let i = 0; i < 10_050; i++) r.remember(`u${i}`, 's', { method: 'totp', at: 4_000 });
    expect(r.size).toBe(10_000);
  });
});
