// The shortest decimal text of a double, found as digits so the encoder can write m / 10^k without String(v).
// For m / 10^k with m < 2^53 and k <= 10, the text "m with k fraction digits" parses to the correctly rounded
// m / 10^k, so the smallest k with Math.round(a * 10^k) / 10^k === a gives the shortest exact form.

export const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];

/**
 * For a finite a >= 0: the fraction digits k (0..10) of its shortest exact decimal form, a === m / 10^k with
 * m = Math.round(a * 10^k) < 9e15; -1 when it has none (decimalText then).
 */
export function fractionDigits(a: number): number {
  if (a < 2000) {
    // Prices: at most 6 fraction digits, in int32 arithmetic (the argument above, at 1e6).
    const m6 = Math.round(a * 1e6);
    if (m6 / 1e6 === a) {
      let m = m6 | 0;
      let k = 6;
      for (; k > 0; k--) {
        const q = (m / 10) | 0;
        if (q * 10 !== m) break;
        m = q;
      }
      return k;
    }
  }
  if (a < 1e5) {
    // One multiplication instead of the search below: under 1e5, a * 1e10 is within 0.08 of the one integer
    // every decimal that reads back as `a` (with <= 10 fraction digits) scales to, so its trailing zeros give
    // the shortest such decimal — the k the search finds. Checked before use all the same.
    let m = Math.round(a * 1e10);
    if (m / 1e10 === a) {
      let k = 10;
      for (; k > 0; k--) {
        const q = Math.floor(m / 10);
        if (q * 10 !== m) break;
        m = q;
      }
      if (m / POW10[k]! === a) return k;
    }
  }
  if (a < 9e15) {
    for (let k = 0; k <= 10; k++) {
      const m = Math.round(a * POW10[k]!);
      if (m / POW10[k]! === a && m < 9e15) return k;
    }
  }
  return -1;
}

/** Decimals with no short exact form: String(v), or fixed notation where that has an exponent; null when
 * |v| >= 1e21 (too large for a FIX decimal). */
export function decimalText(v: number): string | null {
  if (v >= 1e21 || v <= -1e21) return null;
  const s = String(v);
  return s.indexOf('e') < 0 ? s : v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}
