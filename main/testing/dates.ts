/**
 * Dates for tests that reach the real dealer desk, which judges them against the real clock: a literal date
 * works until the day it becomes past, then every such test fails at once. Dates with an injected fixed `now`
 * need none of this.
 */

const DAY_MS = 86_400_000;

/**
 * A business day (Monday to Friday in UTC, as the desk counts them; it has no holiday calendar) at least
 * `days` days after `now`, as YYYY-MM-DD. Well inside the desk's window: never past, never the trade date
 * for days ≥ 1, and never more than days + 2 away.
 */
export function businessDayAfter(days = 10, now: Date = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + days * DAY_MS);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
