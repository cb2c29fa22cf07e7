/** Pure quote logic shared by the RFQ cards and tested without a DOM. */

export type TraderSide = 'buy' | 'sell';

/**
 * The best quote for the trader: when the trader buys they lift the lowest offer; when they sell they hit
 * the highest bid. Ties go to the earliest quote (first come, first served, as dealers expect). Quotes that
 * are expired or not tradable are ignored.
 */
export function bestQuoteIndex<Q>(
  quotes: readonly Q[],
  side: TraderSide,
  price: (q: Q) => number | null | undefined,
  live: (q: Q) => boolean = () => true,
): number {
  let best = -1;
  let bestPrice = 0;
  quotes.forEach((q, i) => {
    const p = price(q);
    if (p === null || p === undefined || !Number.isFinite(p) || !live(q)) return;
    const better = best === -1 || (side === 'buy' ? p < bestPrice : p > bestPrice);
    if (better) {
      best = i;
      bestPrice = p;
    }
  });
  return best;
}

/** Milliseconds left until `expiresAtMs`, never negative. */
export function remainingMs(expiresAtMs: number, nowMs: number): number {
  return Math.max(0, expiresAtMs - nowMs);
}

/** "1:05", "0:09", "0:00": rounds up so the display reaches 0:00 exactly at expiry, not a second early. */
export function formatCountdown(ms: number): string {
  const total = Math.ceil(Math.max(0, ms) / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}

/** Urgency for styling: the last 5 s are urgent, the last 20% of the window a warning. */
export function countdownLevel(ms: number, windowMs: number): 'ok' | 'warn' | 'urgent' | 'expired' {
  if (ms <= 0) return 'expired';
  if (ms <= 5_000) return 'urgent';
  if (windowMs > 0 && ms <= windowMs * 0.2) return 'warn';
  return 'ok';
}
