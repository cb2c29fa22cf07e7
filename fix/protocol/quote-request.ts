/**
 * QuoteRequest(R) — the client asks for quotes on one instrument — and QuoteRequestReject(AG) — the gateway
 * refuses it. Parley's ticket asks for one block at a time: exactly one NoRelatedSym(146) entry.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { readGroup } from './group.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { fromFixDate, parseUtcTimestamp, toFixDate, utcTimestamp } from './time.ts';
import { decimal, safeText, sideFromWire, sideToWire, type Side } from './values.ts';

/** `settlDate` is ISO YYYY-MM-DD (SettlDate(64) on the wire); `expireTime` is ExpireTime(126). */
export interface QuoteRequestMsg {
  quoteReqId: string;
  symbol: string;
  side?: Side;
  qty: number;
  settlDate?: string;
  expireTime?: Date;
}

export function writeQuoteRequest(r: QuoteRequestMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.QuoteReqID, value: r.quoteReqId },
    { tag: Tag.NoRelatedSym, value: '1' },
    { tag: Tag.Symbol, value: r.symbol },
  ];
  if (r.side) f.push({ tag: Tag.Side, value: sideToWire(r.side) });
  f.push({ tag: Tag.OrderQty, value: String(r.qty) });
  if (r.settlDate) f.push({ tag: Tag.SettlDate, value: toFixDate(r.settlDate) });
  if (r.expireTime && Number.isFinite(r.expireTime.getTime())) f.push({ tag: Tag.ExpireTime, value: utcTimestamp(r.expireTime) });
  return f;
}

export function readQuoteRequest(m: FixMessage): ReadResult<QuoteRequestMsg> {
  const quoteReqId = m.get(Tag.QuoteReqID);
  if (!quoteReqId) return refuse('QuoteReqID(131) missing');
  const legs = readGroup(m, Tag.NoRelatedSym, Tag.Symbol, [Tag.Symbol, Tag.Side, Tag.OrderQty, Tag.SettlDate, Tag.ExpireTime]);
  if (legs.length !== 1) return refuse(`exactly one NoRelatedSym(146) entry is supported, got ${legs.length}`);
  const leg = legs[0]!;
  const symbol = leg.get(Tag.Symbol);
  if (!symbol) return refuse('Symbol(55) missing');
  const qty = decimal(leg.get(Tag.OrderQty));
  if (qty === undefined || qty <= 0) return refuse('OrderQty(38) must be a positive number');
  const side = sideFromWire(leg.get(Tag.Side));
  const out: QuoteRequestMsg = { quoteReqId, symbol, qty, ...(side ? { side } : {}) };
  // Whether the date is past or a weekend is the desk's call (it owns the clock); here only its form.
  const settl = leg.get(Tag.SettlDate);
  if (settl !== undefined) {
    const iso = fromFixDate(settl);
    if (!iso) return refuse(`SettlDate(64) ${JSON.stringify(settl.slice(0, 20))} is not a date (YYYYMMDD)`);
    out.settlDate = iso;
  }
  const expire = leg.get(Tag.ExpireTime);
  if (expire !== undefined) {
    const t = parseUtcTimestamp(expire);
    if (!t) return refuse('ExpireTime(126) is not a UTC timestamp');
    out.expireTime = t;
  }
  return ok(out);
}

/** QuoteRequestRejectReason(658): 1 unknown symbol, 99 other (Text says what). */
export const QuoteRejectReason = { UnknownSymbol: 1, Other: 99 } as const;

export interface QuoteRequestRejectMsg {
  quoteReqId: string;
  symbol?: string;
  reason: number;
  text: string;
}

export function writeQuoteRequestReject(r: QuoteRequestRejectMsg): Field[] {
  return [
    { tag: Tag.QuoteReqID, value: r.quoteReqId || 'UNKNOWN' },
    { tag: Tag.QuoteRequestRejectReason, value: String(r.reason) },
    { tag: Tag.NoRelatedSym, value: '1' },
    { tag: Tag.Symbol, value: r.symbol || 'UNKNOWN' },
    { tag: Tag.Text, value: safeText(r.text) },
  ];
}

export function readQuoteRequestReject(m: FixMessage): ReadResult<QuoteRequestRejectMsg> {
  const quoteReqId = m.get(Tag.QuoteReqID);
  if (!quoteReqId) return refuse('QuoteReqID(131) missing');
  const reason = m.getInt(Tag.QuoteRequestRejectReason);
  const out: QuoteRequestRejectMsg = {
    quoteReqId,
    reason: reason !== undefined && Number.isSafeInteger(reason) ? reason : QuoteRejectReason.Other,
    text: (m.get(Tag.Text) ?? 'the gateway refused the RFQ').slice(0, 500),
  };
  const symbol = m.get(Tag.Symbol);
  if (symbol && symbol !== 'UNKNOWN') out.symbol = symbol;
  return ok(out);
}
