import { describe, expect, it } from 'vitest';
import { LogonGuard, Lockouts, MAX_PASSWORD_FAILURES } from './logon-guard.ts';

describe('LogonGuard', () => {
  it('one Logon in flight per certificate and per user; leaving frees both', () => {
    const g = new LogonGuard();
    expect(g.admit('10.0.0.1', 'cert-a')).toBeUndefined();
    expect(g.admit('10.0.0.2', 'cert-a')).toBe('certificate-busy');
    expect(g.admit('10.0.0.1', 'cert-b')).toBeUndefined();
    expect(g.enterUser('alice')).toBe(true);
    expect(g.enterUser('alice')).toBe(false);
    g.leave('cert-a', 'alice');
    expect(g.admit('10.0.0.1', 'cert-a')).toBeUndefined();
    expect(g.enterUser('alice')).toBe(true);
    expect(g.inFlight).toBe(2);
  });

  it('rate-limits per source and per certificate', () => {
    const g = new LogonGuard({ perSourcePerMinute: 3, perCertificatePerMinute: 2 });
    const seen: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) { seen.push(g.admit('10.0.0.1', 'cert-a')); g.leave('cert-a'); }
    expect(seen).toEqual([undefined, undefined, 'rate-limited-certificate']);
    expect(g.admit('10.0.0.1', 'cert-b')).toBe('rate-limited-source');
    expect(g.admit('10.0.0.9', 'cert-c')).toBeUndefined();
  });

  it('stays bounded under hostile keys (huge, many)', () => {
    const g = new LogonGuard();
    for (let i = 0; i < 20_000; i++) { g.admit(`src-${i}`, `cert-${i}-${'x'.repeat(100)}`); g.leave(`cert-${i}-${'x'.repeat(100)}`); }
    expect(g.inFlight).toBe(0);
  });
});

describe('Lockouts', () => {
  it('counts an attempt when it starts; a success clears it', () => {
    const l = new Lockouts();
    const counts = Array.from({ length: MAX_PASSWORD_FAILURES + 2 }, () => l.attempt('alice'));
    expect(counts).toEqual([1, 2, 3, 4, 5, 6, 7]);
    l.clear('alice');
    expect(l.attempt('alice')).toBe(1);
    l.lock('alice', 60_000);
    expect(l.lockedFor('alice')).toBeGreaterThan(59_000);
    expect(l.lockedFor('bob')).toBe(0);
  });
});
