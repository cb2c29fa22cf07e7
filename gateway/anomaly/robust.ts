/**
 * Robust statistics for the anomaly rules: median and MAD (median absolute deviation), so one earlier outlier
 * (a big trade last month) does not move the user's norm the way a mean and standard deviation would.
 *
 * API
 *   median(xs): number (NaN for none)
 *   mad(xs, m = median(xs)): number
 *   robustZ(x, xs): number   (x - median) / (1.4826 * MAD); the scale never drops below 5 % of |median| (nor 1),
 *                            so a user whose RFQs were all the same size is not flagged for a slightly bigger one
 */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function mad(xs: readonly number[], m = median(xs)): number {
  return median(xs.map((x) => Math.abs(x - m)));
}

export function robustZ(x: number, xs: readonly number[]): number {
  const m = median(xs);
  const scale = Math.max(1.4826 * mad(xs, m), 0.05 * Math.abs(m), 1);
  return (x - m) / scale;
}
