/**
 * The one UTCTimestamp parser (strict) and the one FIX date helper (LocalMktDate / UTCDateOnly, YYYYMMDD) of
 * Parley: fix/session.ts, fix/parley-protocol.ts, the RFQ messages of fix/protocol/ and the gateway desk all
 * use these, so a value one side accepts is a value the other accepts.
 */

/** FIX UTCTimestamp with milliseconds: YYYYMMDD-HH:MM:SS.sss */
export function utcTimestamp(d: Date = new Date()): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})-(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

/**
 * UTCTimestamp → epoch ms, undefined when malformed. Strict: 25:00:00, 2026-02-30 or 13/01 are refused
 * (Date.UTC would roll them over into another day or month), fractions beyond milliseconds are truncated.
 */
export function parseUtcTimestampMs(s: string | undefined): number | undefined {
  if (s === undefined || s.length > 30) return undefined;
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const [y, mo, d, h, mi, sec] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, +m[6]!];
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d);
  back.setUTCHours(h, mi, sec, ms);
  // Anything that does not read back as written rolled over: it is not a real time.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
    || back.getUTCHours() !== h || back.getUTCMinutes() !== mi || back.getUTCSeconds() !== sec) return undefined;
  return back.getTime();
}

/** UTCTimestamp → Date (strict, see parseUtcTimestampMs), undefined when absent or malformed. */
export function parseUtcTimestamp(s: string | undefined): Date | undefined {
  const t = parseUtcTimestampMs(s);
  return t === undefined ? undefined : new Date(t);
}

const FIX_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function calendarDate(y: string, m: string, d: string): string | undefined {
  const iso = `${y}-${m}-${d}`;
  // Date.UTC rolls 2026-02-30 over to March (and years below 100 into the 1900s): only a date that survives
  // the round trip is real. Settlement dates before 1900 are not dates any desk means.
  return Number(y) >= 1900 && new Date(Date.UTC(Number(y), Number(m) - 1, Number(d))).toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** A FIX date (LocalMktDate / UTCDateOnly, YYYYMMDD) → ISO YYYY-MM-DD, undefined when it is not a real date. */
export function fromFixDate(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const m = FIX_DATE.exec(v);
  return m ? calendarDate(m[1]!, m[2]!, m[3]!) : undefined;
}

/** ISO YYYY-MM-DD → FIX date YYYYMMDD. */
export function toFixDate(iso: string): string {
  return iso.replace(/-/g, '');
}

/** A real calendar date written YYYY-MM-DD. */
export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = ISO_DATE.exec(v);
  return !!m && calendarDate(m[1]!, m[2]!, m[3]!) !== undefined;
}

/** The UTC calendar date of a moment, as a FIX date (TradeDate(75) of a trade). */
export function fixDateOf(d: Date): string {
  return toFixDate(d.toISOString().slice(0, 10));
}
