/**
 * Strict date builders for the formats the tools print. Each returns undefined unless every field is
 * in range, so "2024-02-31" or "13/45/2024" never becomes a date.
 */
export function utcDate(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): Date | undefined {
  if (![y, mo, d, h, mi, s].every(Number.isInteger)) return undefined;
  if (y < 1990 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59)));
  if (t.getUTCFullYear() !== y || t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d) return undefined;
  return t;
}

/** "2024-04-03 10:12:49" / "2024-04-03  10:12:49" / "2024-04-03T10:12:49" (local wall time read as UTC). */
export function parseIsoLike(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T]+(\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text.trim());
  if (!m) return undefined;
  return utcDate(+m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12,
};

export function monthFromName(name: string): number | undefined {
  return MONTHS[name.slice(0, 3).toLowerCase()];
}

/**
 * A numeric calendar date as the tools localize it: M/D/YYYY (en-US), D.M.YYYY (de, ru…), YYYY/M/D (ja, zh),
 * YYYY-MM-DD. For slashes, D/M is taken only when the first field cannot be a month — otherwise US order,
 * which is what the tools print in the C/en-US locale the agent asks for.
 */
export function parseNumericDate(text: string): Date | undefined {
  const t = text.trim();
  let m = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ ,T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) return utcDate(+m[1]!, +m[2]!, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(t);
  if (m) return utcDate(+m[3]!, +m[2]!, +m[1]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?:[ ,]+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*(AM|PM)?)?$/i.exec(t);
  if (m) {
    let a = +m[1]!;
    let b = +m[2]!;
    if (a > 12 && b <= 12) [a, b] = [b, a];
    let h = +(m[4] ?? 0);
    const ampm = m[7]?.toUpperCase();
    if (ampm === 'PM' && h < 12) h += 12;
    if (ampm === 'AM' && h === 12) h = 0;
    return utcDate(+m[3]!, a, b, h, +(m[5] ?? 0), +(m[6] ?? 0));
  }
  return undefined;
}

export function daysBetween(earlier: Date, later: Date): number {
  return (later.getTime() - earlier.getTime()) / 86_400_000;
}
