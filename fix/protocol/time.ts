/**
 * The one UTCTimestamp parser (strict) and the one FIX date helper (LocalMktDate / UTCDateOnly, YYYYMMDD) of
 * Parley: fix/session.ts, fix/parley-protocol.ts, the RFQ messages of fix/protocol/ and the gateway desk all
 * use these, so a value one side accepts is a value the other accepts.
 */

const ZERO = 0x30;

/** FIX UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss */
export function utcTimestamp(d: Date = new Date()): string {
  const y = d.getUTCFullYear();
  if (!(y >= 1000 && y <= 9999)) {
    // Years a desk never sees (and an invalid Date): the general form.
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    return `${p(y, 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
  }
  // One flat string from its character codes: every message's SendingTime goes through here, and the template
  // with padStart cost ~10 % of an encode (bench/codec profile).
  const mo = d.getUTCMonth() + 1, day = d.getUTCDate(), h = d.getUTCHours(), mi = d.getUTCMinutes(), sec = d.getUTCSeconds();
  const ms = d.getUTCMilliseconds();
  const y1 = (y / 1000) | 0, y2 = ((y / 100) | 0) % 10, y3 = ((y / 10) | 0) % 10, ms1 = (ms / 100) | 0, ms2 = ((ms / 10) | 0) % 10;
  return String.fromCharCode(
    ZERO + y1, ZERO + y2, ZERO + y3, ZERO + y % 10, ZERO + ((mo / 10) | 0), ZERO + mo % 10, ZERO + ((day / 10) | 0), ZERO + day % 10, 0x2d,
    ZERO + ((h / 10) | 0), ZERO + h % 10, 0x3a, ZERO + ((mi / 10) | 0), ZERO + mi % 10, 0x3a, ZERO + ((sec / 10) | 0), ZERO + sec % 10, 0x2e,
    ZERO + ms1, ZERO + ms2, ZERO + ms % 10,
  );
}

/** The value of s[at, at + n) when all are ASCII digits, else -1. */
function digitsAt(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = s.charCodeAt(i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days in a month of the proleptic Gregorian calendar (JavaScript's Date's). */
function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

/**
 * UTCTimestamp (YYYYMMDD-HH:MM:SS with an optional fraction of 1 to 9 digits) → epoch ms, undefined when
 * malformed. Strict: 25:00:00, 2026-02-30 or 13/01 are refused (Date.UTC would roll them over into another day
 * or month), fractions beyond milliseconds are truncated. Read by hand, not by a regular expression: every
 * received message has a SendingTime.
 */
export function parseUtcTimestampMs(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = s.length;
  if (n !== 17 && (n < 19 || n > 27)) return undefined;
  if (s.charCodeAt(8) !== 0x2d || s.charCodeAt(11) !== 0x3a || s.charCodeAt(14) !== 0x3a || (n > 17 && s.charCodeAt(17) !== 0x2e)) return undefined;
  const y = digitsAt(s, 0, 4), mo = digitsAt(s, 4, 2), d = digitsAt(s, 6, 2), h = digitsAt(s, 9, 2), mi = digitsAt(s, 12, 2), sec = digitsAt(s, 15, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return undefined;
  let ms = 0;
  if (n > 17) {
    const frac = digitsAt(s, 18, n - 18);
    if (frac < 0) return undefined;
    ms = n - 18 >= 3 ? digitsAt(s, 18, 3) : n - 18 === 2 ? frac * 10 : frac * 100;
  }
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  // Date.UTC reads years 0-99 as 1900-1999.
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, sec, ms);
  return t.getTime();
}

/** UTCTimestamp → Date (strict, see parseUtcTimestampMs), undefined when absent or malformed. */
export function parseUtcTimestamp(s: string | undefined): Date | undefined {
  const t = parseUtcTimestampMs(s);
  return t === undefined ? undefined : new Date(t);
}

/**
 * The year, month and day at s[yAt], s[moAt], s[dAt] (4, 2 and 2 ASCII digits) form a real calendar date from
 * 1900 on (no 2026-02-30: Date.UTC would roll it over into March; settlement dates before 1900 are not dates any
 * desk means).
 */
function isCalendarDate(s: string, yAt: number, moAt: number, dAt: number): boolean {
  const y = digitsAt(s, yAt, 4), mo = digitsAt(s, moAt, 2), d = digitsAt(s, dAt, 2);
  return y >= 1900 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}

/** A FIX date (LocalMktDate / UTCDateOnly, YYYYMMDD) → ISO YYYY-MM-DD, undefined when it is not a real date. */
export function fromFixDate(v: string | undefined): string | undefined {
  if (v === undefined || v.length !== 8 || !isCalendarDate(v, 0, 4, 6)) return undefined;
  return `${v.slice(0, 4)}-${v.slice(4, 6)}-${v.slice(6, 8)}`;
}

/** ISO YYYY-MM-DD → FIX date YYYYMMDD (every '-' dropped). */
export function toFixDate(iso: string): string {
  if (iso.length === 10 && iso.indexOf('-') === 4 && iso.indexOf('-', 5) === 7 && iso.indexOf('-', 8) < 0) {
    return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  }
  return iso.split('-').join('');
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(v: unknown): v is string {
  return typeof v === 'string' && v.length === 10 && v.charCodeAt(4) === 0x2d && v.charCodeAt(7) === 0x2d && isCalendarDate(v, 0, 5, 8);
}

/** The UTC calendar date of a moment, as a FIX date (TradeDate(75) of a trade). */
export function fixDateOf(d: Date): string {
  return toFixDate(d.toISOString().slice(0, 10));
}
