/**
 * Field values shared by the client's and the gateway's side of the RFQ flow: side codes, strict numbers,
 * identifiers, prices, free text. One copy, so both ends agree on what is valid.
 */

export type Side = 'buy' | 'sell';

/** Side(54): 1 buy, 2 sell (Parley trades nothing else). */
export function sideToWire(s: Side): string {
  return s === 'buy' ? '1' : '2';
}
export function sideFromWire(v: string | undefined): Side | undefined {
  return v === '1' ? 'buy' : v === '2' ? 'sell' : undefined;
}

const DECIMAL = /^-?\d{1,30}(\.\d{1,30})?$/;

/** A plain FIX decimal ("-12.5"); undefined for anything else (1e5, NaN, Infinity, "", hex, overflow). */
export function decimal(v: string | undefined): number | undefined {
  if (v === undefined || !DECIMAL.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A price on the wire: at most six decimals, no exponent. */
export function priceToWire(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

const ID = /^[A-Za-z0-9._:\-]{1,64}$/;

/** An identifier Parley can put in a map key, a log line or a file name: 1–64 of [A-Za-z0-9._:-]. */
export function id(v: string | undefined): string | undefined {
  return v !== undefined && ID.test(v) ? v : undefined;
}

/** Replaces characters a FIX STRING field cannot carry (SOH, non-Latin-1) so free text never breaks encoding. */
export function safeText(s: string, max = 512): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x1f\x7f]/g, ' ').replace(/[^\x20-\xff]/g, '?').slice(0, max);
}

/** What every report of a done trade carries (ExecutionReport fills and TradeCaptureReports alike). */
export interface TradeEconomics {
  execId: string;
  symbol: string;
  side: Side;
  qty: number;
  price: number;
  transactTime: Date;
}
