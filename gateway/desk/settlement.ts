/**
 * Settlement dates of the desk's RFQs and trades: ISO calendar dates (YYYY-MM-DD), the wire's LocalMktDate
 * (YYYYMMDD) converted at the FIX mapping. The desk has no holiday calendar, so a business day is Monday to
 * Friday.
 */
import { fromFixDate, isIsoDate, toFixDate } from '../../fix/protocol/time.ts';

// The FIX date conversions are fix/'s one helper, shared with the client; re-exported for the desk's callers.
export { fromFixDate, isIsoDate, toFixDate };

const DAY_MS = 86_400_000;
/** The farthest settlement the desk accepts (the trader's ticket allows the same). */
export const MAX_SETTLEMENT_DAYS = 366;

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
