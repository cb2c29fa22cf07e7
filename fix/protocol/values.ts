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

/** -?d{1,30}(.d{1,30})? — read by hand: every price and quantity a reader takes goes through here. */
function isPlainDecimal(v: string): boolean {
  const n = v.length;
  let i = v.charCodeAt(0) === 0x2d ? 1 : 0;
  const intStart = i;
  while (i < n && (v.charCodeAt(i) - 0x30) >>> 0 <= 9) i++;
  if (i === intStart || i - intStart > 30) return false;
  if (i === n) return true;
  if (v.charCodeAt(i) !== 0x2e) return false;
  const fracStart = ++i;
  while (i < n && (v.charCodeAt(i) - 0x30) >>> 0 <= 9) i++;
  return i === n && i > fracStart && i - fracStart <= 30;
}

/** A plain FIX decimal ("-12.5"); undefined for anything else (1e5, NaN, Infinity, "", hex, overflow). */
export function decimal(v: string | undefined): number | undefined {
  if (v === undefined || !isPlainDecimal(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A price on the wire: at most six decimals, no exponent. */
export function priceToWire(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

/** Index = character code below 128: 1 for [A-Za-z0-9._:-]. */
const ID_CHAR = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-') t[c.charCodeAt(0)] = 1;
  return t;
})();

/** An identifier Parley can put in a map key, a log line or a file name: 1–64 of [A-Za-z0-9._:-]. */
export function id(v: string | undefined): string | undefined {
  if (v === undefined || v.length === 0 || v.length > 64) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 128 || ID_CHAR[c] !== 1) return undefined;
  }
  return v;
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
