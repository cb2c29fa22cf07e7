import { parseQuantity } from './quantity.ts';

/** What the trader typed into the RFQ ticket, before validation. */
export interface TicketDraft {
  symbol: string;
  side: 'buy' | 'sell' | '';
  quantity: string;
  settlementDate: string; // YYYY-MM-DD from <input type="date">
  dealers: readonly string[]; // dealer ids; 'all' is expanded by the ticket, never stored here
  expirySeconds: string;
}

export interface ValidTicket {
  symbol: string;
  side: 'buy' | 'sell';
  quantity: number;
  settlementDate: string;
  dealers: string[];
  expirySeconds: number;
}

export type TicketErrors = Partial<Record<keyof TicketDraft, string>>;

export interface TicketLimits {
  minExpirySeconds: number;
  maxExpirySeconds: number;
  /** Farthest settlement the desk accepts, in calendar days from today. */
  maxSettlementDays: number;
}

export const DEFAULT_LIMITS: TicketLimits = { minExpirySeconds: 5, maxExpirySeconds: 600, maxSettlementDays: 366 };

/** Today's date as YYYY-MM-DD in the trader's local time zone (the date they see on the ticket). */
export function localIsoDate(now: Date): string {
  const y = now.getFullYear();
  const m = String(now.getMonth() + 1).padStart(2, '0');
  const d = String(now.getDate()).padStart(2, '0');
  return `${y}-${m}-${d}`;
}

/** Spot-ish default: two business days after today. */
export function defaultSettlementDate(now: Date): string {
  const d = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  let added = 0;
  while (added < 2) {
    d.setDate(d.getDate() + 1);
    const day = d.getDay();
    if (day !== 0 && day !== 6) added += 1;
  }
  return localIsoDate(d);
}

function parseIsoDate(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Rejects 2026-02-31 and friends, which Date silently rolls over.
  if (date.getFullYear() !== Number(m[1]) || date.getMonth() !== Number(m[2]) - 1 || date.getDate() !== Number(m[3])) return null;
  return date;
}

export function validateTicket(
  draft: TicketDraft,
  knownSymbols: ReadonlySet<string>,
  knownDealers: ReadonlySet<string>,
  now: Date,
  limits: TicketLimits = DEFAULT_LIMITS,
): { ok: true; ticket: ValidTicket } | { ok: false; errors: TicketErrors } {
  const errors: TicketErrors = {};
  const symbol = draft.symbol.trim();
  if (symbol === '') errors.symbol = 'Choose an instrument.';
  else if (!knownSymbols.has(symbol)) errors.symbol = `"${symbol.slice(0, 40)}" is not an instrument the gateway offers; pick one from the list.`;

  if (draft.side !== 'buy' && draft.side !== 'sell') errors.side = 'Choose Buy or Sell.';

  const qty = parseQuantity(draft.quantity);
  if (!qty.ok) errors.quantity = qty.error;

  const settle = parseIsoDate(draft.settlementDate);
  const today = parseIsoDate(localIsoDate(now));
  if (!settle || !today) errors.settlementDate = 'Enter a settlement date.';
  else {
    const days = Math.round((settle.getTime() - today.getTime()) / 86_400_000);
    if (days < 0) errors.settlementDate = 'Settlement date is in the past.';
    else if (days > limits.maxSettlementDays) errors.settlementDate = `Settlement is more than ${limits.maxSettlementDays} days away.`;
    else if (settle.getDay() === 0 || settle.getDay() === 6) errors.settlementDate = 'Settlement falls on a weekend; pick a business day.';
  }

  const dealers = [...new Set(draft.dealers)];
  if (dealers.length === 0) errors.dealers = 'Ask at least one dealer (or "All").';
  else {
    const unknown = dealers.filter((d) => !knownDealers.has(d));
    if (unknown.length > 0) errors.dealers = `Unknown dealer: ${unknown.slice(0, 3).join(', ')}.`;
  }

  const expiryText = draft.expirySeconds.trim();
  const expiry = /^\d{1,6}$/.test(expiryText) ? Number(expiryText) : NaN;
  if (!Number.isInteger(expiry)) errors.expirySeconds = 'Expiry must be a whole number of seconds.';
  else if (expiry < limits.minExpirySeconds || expiry > limits.maxExpirySeconds) {
    errors.expirySeconds = `Expiry must be between ${limits.minExpirySeconds} and ${limits.maxExpirySeconds} seconds.`;
  }

  if (Object.keys(errors).length > 0 || !qty.ok) return { ok: false, errors };
  return {
    ok: true,
    ticket: {
      symbol,
      side: draft.side as 'buy' | 'sell',
      quantity: qty.value,
      settlementDate: draft.settlementDate,
      dealers,
      expirySeconds: expiry,
    },
  };
}
