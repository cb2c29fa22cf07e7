/**
 * The hand-written UTCTimestamp and date readers/writers of time.ts against their earlier regular-expression
 * and Date round-trip forms (kept here as the reference), on valid, edge, mangled, hostile and random input.
 */
import { describe, expect, it } from 'vitest';
import { fromFixDate, isIsoDate, parseUtcTimestampMs, toFixDate, utcTimestamp } from './time.ts';

const ref = {
  utcTimestamp(d: Date): string {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
  },
  parseUtcTimestampMs(s: string | undefined): number | undefined {
    if (s === undefined || s.length > 30) return undefined;
    const m = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/.exec(s);
    if (!m) return undefined;
    const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
    const [y, mo, d, h, mi, sec] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
    const back = new Date(0);
    back.setUTCFullYear(y, mo - 1, d);
    back.setUTCHours(h, mi, sec, ms);
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
      || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== sec) return undefined;
    return back.getTime();
  },
  calendarDate(y: string, m: string, d: string): string | undefined {
    const iso = `${y}-${m}-${d}`;
    return Number(y) >= 1900 && new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))).toISOString().slice(0, 10) === iso ? iso : undefined;
  },
  fromFixDate(v: string | undefined): string | undefined {
    if (v === undefined) return undefined;
    const m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
    return m ? ref.calendarDate(m[1]!, m[2]!, m[3]!) : undefined;
  },
  isIsoDate(v: unknown): boolean {
    if (typeof v !== 'string') return false;
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
    return !!m && ref.calendarDate(m[1]!, m[2]!, m[3]!) !== undefined;
  },
};

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

function mangled(base: readonly string[], seed: number, count: number): string[] {
  const r = rng(seed);
  const chars = '0123456789-:. /aZ\x00\xff\u0660\u0100';
  const out = [...base];
  for (let i = 0; i < count; i++) {
    const b = base[Math.floor(r() * base.length)]!.split('');
    for (let k = 0, edits = 1 + Math.floor(r() * 2); k < edits; k++) {
      const at = Math.floor(r() * (b.length + 1));
      const c = chars[Math.floor(r() * chars.length)]!;
      const op = Math.floor(r() * 3);
      if (op === 0) b[at] = c; else if (op === 1) b.splice(at, 0, c); else b.splice(at, 1);
    }
    out.push(b.join(''));
  }
  return out;
}

describe('time.ts', () => {
  it('utcTimestamp writes what the template did, for every year and an invalid date', () => {
    const r = rng(1);
    const dates = [new Date(0), new Date(Date.UTC(2026, 11, 31, 23, 59, 59, 999)), new Date(Date.UTC(999, 0, 1)), new Date(Date.UTC(10000, 0, 1)),
      new Date(-62198755200000), new Date(Number.NaN), new Date(Date.UTC(2024, 1, 29, 0, 0, 0, 7))];
    for (let i = 0; i < 20_000; i++) dates.push(new Date(Math.floor((r() - 0.2) * 2 ** 46)));
    for (const d of dates) expect(utcTimestamp(d), String(d.getTime())).toBe(ref.utcTimestamp(d));
    expect(utcTimestamp()).toMatch(/^\d{8}-\d{2}:\d{2}:\d{2}\.\d{3}$/);
  });

  it('parseUtcTimestampMs agrees with the regular-expression reader on valid, edge, mangled and hostile input', () => {
    const base = ['20261121-10:00:00', '20261121-10:00:00.1', '20261121-10:00:00.12', '20261121-10:00:00.123456789',
      '20261231-23:59:59.999', '20261231-23:59:60', '00000101-00:00:00', '00991231-23:59:59.5', '01000101-00:00:00',
      '20240229-12:00:00', '20230229-12:00:00', '21000229-00:00:00', '20000229-00:00:00', '20261300-10:00:00',
      '20261100-10:00:00', '20261131-10:00:00', '20261121-24:00:00', '20261121-10:60:00', '20261121-10:00:00.',
      '20261121-10:00:00.1234567890', '20261121 10:00:00', '2026112-10:00:00', '20261121-10:00:00Z', '99991231-23:59:59.999'];
    const cases: (string | undefined)[] = [...mangled(base, 7, 40_000), undefined, '', 'x'.repeat(100_000), '20261121-10:00:00'.repeat(3)];
    for (const t of cases) expect(parseUtcTimestampMs(t), JSON.stringify(t)).toBe(ref.parseUtcTimestampMs(t));
  });

  it('fromFixDate, isIsoDate and toFixDate agree with the earlier forms', () => {
    const fix = mangled(['20261125', '20240229', '20230229', '19000101', '18991231', '20261131', '20261301', '20260001', '00000000', '99991231', '21000229'], 11, 20_000);
    for (const v of [...fix, undefined, '', 'x'.repeat(100_000)]) expect(fromFixDate(v), JSON.stringify(v)).toBe(ref.fromFixDate(v));
    const iso = mangled(['2026-11-25', '2024-02-29', '2023-02-29', '1900-01-01', '1899-12-31', '2026-11-31', '2026-13-01'], 13, 20_000);
    for (const v of [...iso, undefined, 20261125, null, '', '2026-11-25T00:00:00Z']) expect(isIsoDate(v), JSON.stringify(v)).toBe(ref.isIsoDate(v));
    for (const v of [...iso, '', '-', '--2026-11-25--', '2026-11-25']) expect(toFixDate(v), JSON.stringify(v)).toBe(v.replace(/-/g, ''));
  });
});
