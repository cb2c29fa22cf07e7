/**
 * decimal() and id() read by hand, against the regular expressions they replaced (kept here as the reference),
 * on valid, edge, mangled, hostile and oversized input.
 */
import { describe, expect, it } from 'vitest';
import { decimal, id } from './values.ts';

const refDecimal = (v: string | undefined): number | undefined => {
  if (v === undefined || !/^-?\d{1,30}(\.\d{1,30})?$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};
const refId = (v: string | undefined): string | undefined => (v !== undefined && /^[A-Za-z0-9._:\-]{1,64}$/.test(v) ? v : undefined);

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

function cases(base: readonly string[], alphabet: string, seed: number): string[] {
  const r = rng(seed);
  const out = [...base];
  for (let i = 0; i < 30_000; i++) {
    const b = base[Math.floor(r() * base.length)]!.split('');
    for (let k = 0, edits = 1 + Math.floor(r() * 3); k < edits; k++) {
      const at = Math.floor(r() * (b.length + 1));
      const c = alphabet[Math.floor(r() * alphabet.length)]!;
      const op = Math.floor(r() * 3);
      if (op === 0) b[at] = c; else if (op === 1) b.splice(at, 0, c); else b.splice(at, 1);
    }
    out.push(b.join(''));
  }
  return out;
}

describe('values', () => {
  it('decimal agrees with the regular expression', () => {
    const base = ['0', '1', '-1', '1.10525', '-0.5', '1000000', '1'.repeat(30), `${'9'.repeat(30)}.${'9'.repeat(30)}`, '1'.repeat(31),
      `1.${'0'.repeat(31)}`, '1e5', 'NaN', 'Infinity', '0x10', '.5', '5.', '-', '', ' 1', '1 ', '--1', '1.2.3', '\u0661'];
    for (const v of [...cases(base, '0123456789.-e+ x\u0661', 3), undefined, '9'.repeat(400), 'x'.repeat(100_000)]) {
      expect(decimal(v), JSON.stringify(v)).toBe(refDecimal(v));
    }
  });

  it('id agrees with the regular expression', () => {
    const base = ['RFQ-20261121-000001', 'a', 'A.b_c:d-e', 'x'.repeat(64), 'x'.repeat(65), '', 'EUR/USD', 'Zürich', 'a b', 'a\u0000'];
    for (const v of [...cases(base, 'aZ09._:-/ \u00fc\u0100\u0000\u007f\u0080', 5), undefined, 'x'.repeat(100_000)]) {
      expect(id(v), JSON.stringify(v)).toBe(refId(v));
    }
  });
});
