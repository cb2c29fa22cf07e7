import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TotpVerifier, newTotpSecret, totpUri } from './totp.ts';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const T0 = Date.UTC(2026, 0, 5, 9, 0, 10); // 10 s into a 30 s step
const gen = (t: number, secret = SECRET) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: t });

describe('TotpVerifier', () => {
  it('accepts the current code once and refuses its replay', () => {
    const v = new TotpVerifier();
    const code = gen(T0);
    expect(v.verify('alice', SECRET, code, T0)).toEqual({ ok: true });
    expect(v.verify('alice', SECRET, code, T0 + 5_000)).toEqual({ ok: false, reason: 'code already used' });
    // the same code is still dead in the next step, while it is inside the window
    expect(v.verify('alice', SECRET, code, T0 + 30_000)).toEqual({ ok: false, reason: 'code already used' });
  });

  it('accepts one step of clock drift either way, not two', () => {
    const v = new TotpVerifier();
    expect(v.verify('a', SECRET, gen(T0 - 30_000), T0).ok).toBe(true);
    expect(v.verify('b', SECRET, gen(T0 + 30_000), T0).ok).toBe(true);
    expect(v.verify('c', SECRET, gen(T0 - 60_000), T0)).toEqual({ ok: false, reason: 'wrong code' });
    expect(v.verify('d', SECRET, gen(T0 + 60_000), T0)).toEqual({ ok: false, reason: 'wrong code' });
  });

  it('after a newer code was used, an older still-in-window code is refused too', () => {
    const v = new TotpVerifier();
    expect(v.verify('alice', SECRET, gen(T0 + 30_000), T0).ok).toBe(true);
    expect(v.verify('alice', SECRET, gen(T0), T0)).toEqual({ ok: false, reason: 'code already used' });
    expect(v.verify('alice', SECRET, gen(T0 + 60_000), T0 + 60_000).ok).toBe(true);
  });

  it('keeps replay state per user', () => {
    const v = new TotpVerifier();
    const code = gen(T0);
    expect(v.verify('alice', SECRET, code, T0).ok).toBe(true);
    expect(v.verify('bob', SECRET, code, T0).ok).toBe(true);
  });

  it('refuses wrong, malformed and hostile codes and secrets without throwing', () => {
    const v = new TotpVerifier();
    const good = gen(T0);
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    expect(v.verify('u', SECRET, wrong, T0)).toEqual({ ok: false, reason: 'wrong code' });
    for (const code of ['', '12345', '1234567', '12a456', ' 123456', '１２３４５６', '0x1234', null, 123456, 'x'.repeat(1e5)]) {
      expect(v.verify('u', SECRET, code as string, T0)).toEqual({ ok: false, reason: 'malformed code' });
    }
    expect(v.verify('u', undefined, good, T0)).toEqual({ ok: false, reason: 'no TOTP secret' });
    expect(v.verify('u', '', good, T0)).toEqual({ ok: false, reason: 'no TOTP secret' });
    expect(v.verify('u', '!!!!', good, T0).ok).toBe(false);
    expect(v.verify('u', SECRET, good, T0).ok).toBe(true); // still serving after the garbage
  });

  it('makes 160-bit secrets and otpauth URIs', () => {
    const s = newTotpSecret();
    expect(s).toMatch(/^[A-Z2-7]{32}$/);
    expect(totpUri('alice', s)).toMatch(/^otpauth:\/\/totp\/Parley:alice\?.*secret=/);
    expect(new TotpVerifier().verify('alice', s, gen(T0, s), T0).ok).toBe(true);
  });
});
