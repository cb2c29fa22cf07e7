import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    expect(v.verify('alice', SECRET, code, T0 + 5_000)).toEqual({ ok: false, reason: 'wrong code', replayed: true });
    // the same code is still dead in the next step, while it is inside the window
    expect(v.verify('alice', SECRET, code, T0 + 30_000)).toEqual({ ok: false, reason: 'wrong code', replayed: true });
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
    expect(v.verify('alice', SECRET, gen(T0), T0)).toEqual({ ok: false, reason: 'wrong code', replayed: true });
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

describe('TotpVerifier replay state across restarts (issue 10 item 9)', () => {
  it('a code used before a restart is refused after it, in the same words as a wrong code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-totp-'));
    try {
      const file = join(dir, 'totp-used.json');
      const before = new TotpVerifier({ stateFile: file });
      expect(before.verify('alice', SECRET, gen(T0), T0)).toEqual({ ok: true });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const after = new TotpVerifier({ stateFile: file });
      expect(after.verify('alice', SECRET, gen(T0), T0 + 1_000)).toEqual({ ok: false, reason: 'wrong code', replayed: true });
      expect(after.verify('alice', SECRET, '000000', T0 + 1_000)).toMatchObject({ ok: false, reason: 'wrong code' });
      expect(after.verify('bob', SECRET, gen(T0), T0 + 1_000)).toEqual({ ok: true });
      // steps past the window are not kept in the file
      expect(new TotpVerifier({ stateFile: file }).verify('carol', SECRET, gen(T0 + 600_000), T0 + 600_000).ok).toBe(true);
      expect(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { steps: object }).steps)).toEqual(['carol']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a state file it cannot read (garbage, wrong shape, hostile values) instead of forgetting', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-totp-'));
    try {
      const file = join(dir, 'totp-used.json');
      for (const text of ['{', 'null', '[]', '{"steps":[]}', '{"steps":{"alice":"1"}}', '{"steps":{"alice":-1}}', `{"steps":{"${'u'.repeat(100)}":1}}`]) {
        writeFileSync(file, text);
        expect(() => new TotpVerifier({ stateFile: file }), text).toThrow(/totp-used\.json: TOTP replay state/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
