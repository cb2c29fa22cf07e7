/**
 * Quote(S) — a dealer's two-way price for an RFQ, gateway → client — QuoteResponse(AJ) — the trader hits or
 * lifts it, client → gateway — and QuoteCancel(Z) — the trader withdraws the RFQ.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { fromFixDate, parseUtcTimestamp, toFixDate, utcTimestamp } from './time.ts';
import { decimal, id, priceToWire, sideFromWire, sideToWire, type Side } from './values.ts';

/** A quote as the gateway writes it. `settlDate` is ISO YYYY-MM-DD. */
export interface QuoteMsg {
  quoteReqId: string;
  quoteId: string;
  symbol: string;
  qty: number;
  currency: string;
  bidPx: number;
  offerPx: number;
  settlDate: string;
  validUntil: Date;
  sentAt: Date;
  dealer: string;
}

export function writeQuote(q: QuoteMsg): Field[] {
  return [
    { tag: Tag.QuoteReqID, value: q.quoteReqId },
    { tag: Tag.QuoteID, value: q.quoteId },
    { tag: Tag.Symbol, value: q.symbol },
    { tag: Tag.OrderQty, value: String(q.qty) },
    { tag: Tag.Currency, value: q.currency },
    { tag: Tag.BidPx, value: priceToWire(q.bidPx) },
    { tag: Tag.OfferPx, value: priceToWire(q.offerPx) },
    { tag: Tag.BidSize, value: String(q.qty) },
    { tag: Tag.OfferSize, value: String(q.qty) },
    { tag: Tag.SettlDate, value: toFixDate(q.settlDate) },
    { tag: Tag.ValidUntilTime, value: utcTimestamp(q.validUntil) },
    { tag: Tag.TransactTime, value: utcTimestamp(q.sentAt) },
    { tag: Tag.ParleyDealer, value: q.dealer },
  ];
}

/** A quote as the client reads it: ids, dealer and expiry are required; a price it cannot read is left out. */
export interface ReceivedQuote {
  quoteReqId: string;
  quoteId: string;
  dealer: string;
  validUntil: Date;
  bidPx?: number;
  offerPx?: number;
  qty?: number;
  symbol?: string;
  currency?: string;
  settlDate?: string;
}

export function readQuote(m: FixMessage): ReadResult<ReceivedQuote> {
  const quoteReqId = id(m.get(Tag.QuoteReqID));
  if (!quoteReqId) return refuse('QuoteReqID(131) missing or not an identifier');
  const quoteId = id(m.get(Tag.QuoteID));
  if (!quoteId) return refuse('QuoteID(117) missing or not an identifier');
  const dealer = id(m.get(Tag.ParleyDealer));
  if (!dealer) return refuse('ParleyDealer(5024) missing or not an identifier');
  const validUntil = parseUtcTimestamp(m.get(Tag.ValidUntilTime));
  if (!validUntil) return refuse('ValidUntilTime(62) missing or not a UTC timestamp');
  const q: ReceivedQuote = { quoteReqId, quoteId, dealer, validUntil };
  const bid = decimal(m.get(Tag.BidPx));
  const offer = decimal(m.get(Tag.OfferPx));
  const qty = decimal(m.get(Tag.OrderQty)) ?? decimal(m.get(Tag.OfferSize));
  if (bid !== undefined) q.bidPx = bid;
  if (offer !== undefined) q.offerPx = offer;
  if (qty !== undefined) q.qty = qty;
  const symbol = id(m.get(Tag.Symbol));
  if (symbol) q.symbol = symbol;
  const ccy = m.get(Tag.Currency);
  if (ccy && /^[A-Z]{3}$/.test(ccy)) q.currency = ccy;
  const settl = fromFixDate(m.get(Tag.SettlDate));
  if (settl) q.settlDate = settl;
  return ok(q);
}

/** QuoteRespType(694): Parley's trader only hits / lifts (1). */
export const QUOTE_RESP_HIT = '1';

/** A hit or lift of one quote. The gateway reads side, quantity, price and symbol only as cross-checks. */
export interface QuoteResponseMsg {
  quoteRespId: string;
  quoteId: string;
  side?: Side;
  symbol?: string;
  qty?: number;
  price?: number;
}

export function writeQuoteResponse(h: QuoteResponseMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.QuoteRespID, value: h.quoteRespId },
    { tag: Tag.QuoteID, value: h.quoteId },
    { tag: Tag.QuoteRespType, value: QUOTE_RESP_HIT },
  ];
  if (h.side) f.push({ tag: Tag.Side, value: sideToWire(h.side) });
  if (h.symbol) f.push({ tag: Tag.Symbol, value: h.symbol });
  if (h.qty !== undefined) f.push({ tag: Tag.OrderQty, value: String(h.qty) });
  if (h.price !== undefined) f.push({ tag: Tag.Price, value: String(h.price) });
  return f;
}

export function readQuoteResponse(m: FixMessage): ReadResult<QuoteResponseMsg> {
  const quoteRespId = m.get(Tag.QuoteRespID);
  const quoteId = m.get(Tag.QuoteID);
  if (!quoteRespId) return refuse('QuoteRespID(693) missing');
  if (!quoteId) return refuse('QuoteID(117) missing');
  const type = m.get(Tag.QuoteRespType);
  if (type !== QUOTE_RESP_HIT) return refuse(`QuoteRespType(694)=${(type ?? '').slice(0, 20)} is not supported (only 1 = hit/lift)`);
  const out: QuoteResponseMsg = { quoteRespId, quoteId };
  const side = sideFromWire(m.get(Tag.Side));
  if (side) out.side = side;
  const qty = decimal(m.get(Tag.OrderQty));
  if (qty !== undefined) out.qty = qty;
  const price = decimal(m.get(Tag.Price));
  if (price !== undefined) out.price = price;
  const symbol = m.get(Tag.Symbol);
  if (symbol) out.symbol = symbol;
  return ok(out);
}

/** QuoteCancelType(298) 4: cancel all quotes (of this RFQ). */
export const QUOTE_CANCEL_ALL = '4';

export interface QuoteCancelMsg {
  quoteReqId: string;
  /** The quote the trader had in view; the RFQ's own id when it had none. */
  quoteId?: string;
}

export function writeQuoteCancel(c: QuoteCancelMsg): Field[] {
  return [
    { tag: Tag.QuoteReqID, value: c.quoteReqId },
    { tag: Tag.QuoteID, value: c.quoteId ?? c.quoteReqId },
    { tag: Tag.QuoteCancelType, value: QUOTE_CANCEL_ALL },
  ];
}

export function readQuoteCancel(m: FixMessage): ReadResult<QuoteCancelMsg> {
  const quoteReqId = m.get(Tag.QuoteReqID);
  if (!quoteReqId) return refuse('QuoteReqID(131) missing');
  const out: QuoteCancelMsg = { quoteReqId };
  const quoteId = m.get(Tag.QuoteID);
  if (quoteId) out.quoteId = quoteId;
  return ok(out);
}
