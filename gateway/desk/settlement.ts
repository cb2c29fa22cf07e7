/**
 * Settlement dates of the desk's RFQs and trades: ISO calendar dates (YYYY-MM-DD), the wire's LocalMktDate
 * (YYYYMMDD) converted at the FIX mapping. The desk has no holiday calendar, so a business day is Monday to
 * Friday.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const FIX = /^(\d{4})(\d{2})(\d{2})$/;
const DAY_MS = 86_400_000;
/** The farthest settlement the desk accepts (the trader's ticket allows the same). */
export const MAX_SETTLEMENT_DAYS = 366;

function calendarDate(y: string, m: string, d: string): string | undefined {
  const t = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const iso = `${y}-${m}-${d}`;
  // Date.UTC rolls 2026-02-30 over to March: only a date that survives the round trip is real.
  return Number(y) >= 1900 && new Date(t).toISOString().slice(0, 10) === iso ? iso : undefined;
}

/** SettlDate(64) as sent (LocalMktDate YYYYMMDD) → YYYY-MM-DD, or undefined when it is not a real date. */
export function fromFixDate(v: string): string | undefined {
  const m = FIX.exec(v);
  return m ? calendarDate(m[1]!, m[2]!, m[3]!) : undefined;
}

export function toFixDate(iso: string): string {
  return iso.replace(/-/g, '');
}

export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = ISO.exec(v);
  return !!m && calendarDate(m[1]!, m[2]!, m[3]!) !== undefined;
}

function isWeekend(t: number): boolean {
  const day = new Date(t).getUTCDay();
  return day === 0 || day === 6;
}

/** T+2 business days from the UTC trade date (the desk's default when the RFQ names none). */
export function defaultSettlDate(now: Date): string {
  let t = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  for (let added = 0; added < 2; ) {
    t += DAY_MS;
    if (!isWeekend(t)) added += 1;
  }
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * Why a requested settlement date is refused, or undefined when it is fine. "Past" is judged against the
 * earliest calendar date still current somewhere (UTC−12), because the trader's ticket picks the date in
 * the trader's own time zone: a same-day trade from New York at 21:00 must not read as yesterday in UTC.
 */
export function settlDateProblem(iso: string, now: Date): string | undefined {
  if (!isIsoDate(iso)) return `SettlDate(64) ${JSON.stringify(String(iso).slice(0, 20))} is not a date (YYYYMMDD)`;
  const t = Date.parse(`${iso}T00:00:00Z`);
  const earliest = new Date(now.getTime() - 12 * 3_600_000).toISOString().slice(0, 10);
  if (iso < earliest) return `SettlDate(64) ${toFixDate(iso)} is in the past`;
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (t - today > MAX_SETTLEMENT_DAYS * DAY_MS) return `SettlDate(64) ${toFixDate(iso)} is more than ${MAX_SETTLEMENT_DAYS} days away`;
  if (isWeekend(t)) return `SettlDate(64) ${toFixDate(iso)} falls on a weekend`;
  return undefined;
}
