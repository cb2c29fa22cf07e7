/**
 * QuoteStatusReport(AI), gateway → client: the answer to a trader's QuoteCancel (QuoteStatus 4), and the risk
 * officer's open-RFQs view (each report carries ParleyRfqOwner, and ParleyRequestID when it answers a request).
 *
 * QuoteStatus(297), FIX 4.4 values: 10 pending (no quote yet), 0 accepted (quoted), and for an RFQ that is
 * over 4 canceled, 7 expired, 6 removed from market (it traded: its quotes are off the market). 17 is FIX 5's
 * "canceled", read as 4. A traded RFQ once read 0 like a quoted one, so the risk view kept it as open.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { parseUtcTimestamp, toFixDate, utcTimestamp } from './time.ts';
import { decimal, id, priceToWire, safeText, sideFromWire, sideToWire, type Side } from './values.ts';

export type RfqState = 'pending' | 'quoted' | 'cancelled' | 'expired' | 'executed';

const STATUS_WIRE: Record<RfqState, string> = { pending: '10', quoted: '0', cancelled: '4', expired: '7', executed: '6' };

function stateFromWire(v: string | undefined, quoted: boolean): RfqState {
  if (v === '4' || v === '17') return 'cancelled';
  if (v === '7') return 'expired';
  if (v === '6') return 'executed';
  return quoted ? 'quoted' : 'pending';
}

export interface BestQuote { quoteId: string; dealer: string; bidPx: number; offerPx: number; validUntil: Date }

/** One RFQ of the risk officer's view, as the gateway writes it. */
export interface RfqStatusMsg {
  quoteReqId: string;
  owner: string;
  symbol: string;
  side?: Side;
  qty: number;
  state: RfqState;
  best?: BestQuote;
  /** ISO YYYY-MM-DD. */
  settlDate: string;
  createdAt: Date;
  /** When the RFQ itself closes (ExpireTime(126); the best quote's ValidUntilTime(62) may be sooner). */
  expiresAt: Date;
  text?: string;
  requestId?: string;
}

export function writeRfqStatus(r: RfqStatusMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.QuoteReqID, value: r.quoteReqId },
    { tag: Tag.QuoteID, value: r.best?.quoteId ?? `RFQ-${r.quoteReqId}` },
    { tag: Tag.Symbol, value: r.symbol },
  ];
  if (r.side) f.push({ tag: Tag.Side, value: sideToWire(r.side) });
  f.push({ tag: Tag.OrderQty, value: String(r.qty) });
  if (r.best) {
    f.push(
      { tag: Tag.BidPx, value: priceToWire(r.best.bidPx) },
      { tag: Tag.OfferPx, value: priceToWire(r.best.offerPx) },
      { tag: Tag.ValidUntilTime, value: utcTimestamp(r.best.validUntil) },
    );
  }
  f.push({ tag: Tag.SettlDate, value: toFixDate(r.settlDate) });
  f.push({ tag: Tag.ExpireTime, value: utcTimestamp(r.expiresAt) });
  f.push({ tag: Tag.TransactTime, value: utcTimestamp(r.createdAt) });
  f.push({ tag: Tag.QuoteStatus, value: STATUS_WIRE[r.state] });
  if (r.text) f.push({ tag: Tag.Text, value: safeText(r.text) });
  if (r.best) f.push({ tag: Tag.ParleyDealer, value: r.best.dealer });
  f.push({ tag: Tag.ParleyRfqOwner, value: safeText(r.owner, 200) });
  if (r.requestId) f.push({ tag: Tag.ParleyRequestID, value: safeText(r.requestId, 64) });
  return f;
}

/** The gateway's answer to the trader's own QuoteCancel: QuoteStatus 4, no owner. */
export function writeQuoteCancelled(c: { quoteReqId: string; quoteId?: string; text?: string }): Field[] {
  return [
    { tag: Tag.QuoteReqID, value: c.quoteReqId },
    { tag: Tag.QuoteID, value: c.quoteId ?? `RFQ-${c.quoteReqId}` },
    { tag: Tag.QuoteStatus, value: STATUS_WIRE.cancelled },
    { tag: Tag.Text, value: safeText(c.text ?? 'RFQ cancelled') },
  ];
}

/** Any QuoteStatusReport, as the client first reads it: whose RFQ it is about and what state it reports. */
export interface QuoteStatusMsg {
  quoteReqId: string;
  state: RfqState;
  /** Present on the risk officer's view (ParleyRfqOwner), absent on the answer to the trader's own cancel. */
  owner?: string;
  requestId?: string;
}

export function readQuoteStatus(m: FixMessage): ReadResult<QuoteStatusMsg> {
  const quoteReqId = m.get(Tag.QuoteReqID);
  if (!quoteReqId) return refuse('QuoteReqID(131) missing');
  const out: QuoteStatusMsg = { quoteReqId, state: stateFromWire(m.get(Tag.QuoteStatus), m.has(Tag.QuoteID) && m.has(Tag.OfferPx)) };
  const owner = m.get(Tag.ParleyRfqOwner);
  if (owner !== undefined) out.owner = owner.slice(0, 200);
  const requestId = m.get(Tag.ParleyRequestID);
  if (requestId) out.requestId = requestId.slice(0, 64);
  return ok(out);
}

/** One row of the risk officer's view as the client reads it (strict: ids, side and a positive quantity). */
export interface ReceivedRfqStatus {
  quoteReqId: string;
  owner: string;
  symbol: string;
  side: Side;
  qty: number;
  state: RfqState;
  /** A quote stands (QuoteID and OfferPx present). */
  quoted: boolean;
  /** Cancelled, expired or traded: the row leaves the view. */
  closed: boolean;
  createdAt?: Date;
  expiresAt?: Date;
  requestId?: string;
}

export function readRfqStatus(m: FixMessage): ReadResult<ReceivedRfqStatus> {
  const owner = m.get(Tag.ParleyRfqOwner);
  if (owner === undefined) return refuse('ParleyRfqOwner(5029) missing: not a report of the open-RFQs view');
  const quoteReqId = id(m.get(Tag.QuoteReqID));
  if (!quoteReqId) return refuse('QuoteReqID(131) missing or not an identifier');
  const symbol = id(m.get(Tag.Symbol));
  if (!symbol) return refuse('Symbol(55) missing or not an identifier');
  const side = sideFromWire(m.get(Tag.Side));
  if (!side) return refuse('Side(54) is neither 1 nor 2');
  const qty = decimal(m.get(Tag.OrderQty));
  if (qty === undefined || qty <= 0) return refuse('OrderQty(38) must be a positive number');
  const quoted = m.has(Tag.QuoteID) && m.has(Tag.OfferPx);
  const state = stateFromWire(m.get(Tag.QuoteStatus), quoted);
  const out: ReceivedRfqStatus = {
    quoteReqId, owner: owner.slice(0, 200), symbol, side, qty, state, quoted,
    closed: state === 'cancelled' || state === 'expired' || state === 'executed',
  };
  const created = parseUtcTimestamp(m.get(Tag.TransactTime));
  if (created) out.createdAt = created;
  const expires = parseUtcTimestamp(m.get(Tag.ExpireTime));
  if (expires) out.expiresAt = expires;
  const requestId = m.get(Tag.ParleyRequestID);
  if (requestId) out.requestId = requestId.slice(0, 64);
  return ok(out);
}
