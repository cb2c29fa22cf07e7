// The validator's byte-level fast paths must agree with the rule they implement, spelled out as a regular
// expression here (the typed-message encoder and one-pass reader tested here before are gone with
// fix/messages: Parley's messages are read and written by fix/protocol/).
import { describe, expect, it } from 'vitest';
import { isTimestamp } from './validate.ts';

/** Deterministic PRNG (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('isTimestamp', () => {
  // The rule, spelled out: YYYYMMDD-HH:MM:SS[.f{1,9}], month 1-12, day 1-31, hour <= 23, minute <= 59, second <= 60.
  const reference = (t: string): boolean => {
    const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/.exec(t);
    if (m === null) return false;
    const [mo, d, h, mi, s] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number];
    return mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60;
  };
  it('agrees with the rule on valid, edge and mangled timestamps', () => {
    const r = rng(5);
    const chars = '0123456789-:. /aZ\x00\xff';
    const base = ['20261121-10:00:00', '20261121-10:00:00.1', '20261121-10:00:00.123456789', '20261231-23:59:60.000',
      '00000101-00:00:00', '20261300-10:00:00', '20261121-24:00:00', '20261121-10:60:00', '20261121-10:00:61',
      '20261121-10:00:00.', '20261121-10:00:00.1234567890', '20261121 10:00:00', '2026112-10:00:00', '20261121-10:00:00Z'];
    const cases = [...base];
    for (let i = 0; i < 20000; i++) {
      const b = base[Math.floor(r() * base.length)]!.split('');
      const k = Math.floor(r() * (b.length + 1));
      const op = Math.floor(r() * 3);
      const c = chars[Math.floor(r() * chars.length)]!;
      if (op === 0) b[k] = c; else if (op === 1) b.splice(k, 0, c); else b.splice(k, 1);
      cases.push(b.join(''));
    }
    for (const t of cases) {
      const buf = Buffer.from(`x${t}y`, 'latin1');
      expect(isTimestamp(buf, 1, 1 + t.length), JSON.stringify(t)).toBe(reference(t));
    }
  });
});
