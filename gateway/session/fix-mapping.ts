/**
 * FIX 4.4 mapping of the dealer desk: QuoteRequest(R) / QuoteResponse(AJ) / QuoteCancel(Z) /
 * TradeCaptureReportRequest(AD) in; Quote(S), QuoteRequestReject(AG), ExecutionReport(8), QuoteStatusReport(AI),
 * TradeCaptureReportRequestAck(AQ), TradeCaptureReport(AE) and SecurityList(y) out. Groups are written in
 * dictionary order so the peer's validator accepts them.
 */
import type { Field, FixMessage } from '../../fix/codec.ts';
import { parseUtcTimestamp, readGroup, safeText, TAG, utcTimestamp } from '../../fix/parley-protocol.ts';
import type { Instrument, Quote, RfqView } from '../desk/desk.ts';
import { fromFixDate, toFixDate } from '../desk/settlement.ts';
import type { Side, Trade } from '../desk/trade-store.ts';

/** `settlDate` is YYYY-MM-DD (from SettlDate(64)); `expireTime` from ExpireTime(126). */
export type ParsedRfq = { quoteReqId: string; symbol: string; side?: Side; qty: number; settlDate?: string; expireTime?: Date };
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

function side(v: string | undefined): Side | undefined {
  return v === '1' ? 'buy' : v === '2' ? 'sell' : undefined;
}
function sideCode(s: Side): string {
  return s === 'buy' ? '1' : '2';
}
function num(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
function px(n: number): string {
  return String(Math.round(n * 1e6) / 1e6);
}

/** One instrument per RFQ: Parley's ticket asks for one block at a time. */
export function parseQuoteRequest(m: FixMessage): ParseResult<ParsedRfq> {
  const quoteReqId = m.get(131);
  if (!quoteReqId) return { ok: false, reason: 'QuoteReqID(131) missing' };
  const legs = readGroup(m, 146, 55, [55, 54, 38, 64, 126]);
  if (legs.length !== 1) return { ok: false, reason: `exactly one NoRelatedSym(146) entry is supported, got ${legs.length}` };
  const leg = legs[0]!;
  const symbol = leg.get(55);
  if (!symbol) return { ok: false, reason: 'Symbol(55) missing' };
  const qty = num(leg.get(38));
  if (qty === undefined || qty <= 0) return { ok: false, reason: 'OrderQty(38) must be a positive number' };
  const s = side(leg.get(54));
  const out: ParsedRfq = { quoteReqId, symbol, qty, ...(s ? { side: s } : {}) };
  // Whether the date is past or a weekend is the desk's call (it owns the clock); here only its form.
  const settl = leg.get(64);
  if (settl !== undefined) {
    const iso = fromFixDate(settl);
    if (!iso) return { ok: false, reason: `SettlDate(64) ${JSON.stringify(settl.slice(0, 20))} is not a date (YYYYMMDD)` };
    out.settlDate = iso;
  }
  const expire = leg.get(126);
  if (expire !== undefined) {
    const t = parseUtcTimestamp(expire);
    // The shared parser lets 25:00:00 roll over into the next day; a time that does not read back is refused.
    if (!t || utcTimestamp(t).slice(0, 17) !== expire.slice(0, 17)) return { ok: false, reason: 'ExpireTime(126) is not a UTC timestamp' };
    out.expireTime = t;
  }
  return { ok: true, value: out };
}

export type ParsedHit = { quoteRespId: string; quoteId: string; side?: Side; qty?: number; price?: number; symbol?: string };

export function parseQuoteResponse(m: FixMessage): ParseResult<ParsedHit> {
  const quoteRespId = m.get(693);
  const quoteId = m.get(117);
  if (!quoteRespId) return { ok: false, reason: 'QuoteRespID(693) missing' };
  if (!quoteId) return { ok: false, reason: 'QuoteID(117) missing' };
  const type = m.get(694);
  if (type !== '1') return { ok: false, reason: `QuoteRespType(694)=${type ?? ''} is not supported (only 1 = hit/lift)` };
  const out: ParsedHit = { quoteRespId, quoteId };
  const s = side(m.get(54));
  if (s) out.side = s;
  const qty = num(m.get(38));
  if (qty !== undefined) out.qty = qty;
  const price = num(m.get(44));
  if (price !== undefined) out.price = price;
  const sym = m.get(55);
  if (sym) out.symbol = sym;
  return { ok: true, value: out };
}

export function quoteFields(q: Quote): Field[] {
  return [
    { tag: 131, value: q.quoteReqId },
    { tag: 117, value: q.quoteId },
    { tag: 55, value: q.symbol },
    { tag: 38, value: String(q.qty) },
    { tag: 15, value: q.currency },
    { tag: 132, value: px(q.bidPx) },
    { tag: 133, value: px(q.offerPx) },
    { tag: 134, value: String(q.qty) },
    { tag: 135, value: String(q.qty) },
    { tag: 64, value: toFixDate(q.settlDate) },
    { tag: 62, value: utcTimestamp(q.validUntil) },
    { tag: 60, value: utcTimestamp(q.sentAt) },
    { tag: TAG.Dealer, value: q.dealer },
  ];
}

/** QuoteRequestRejectReason(658): 1 unknown symbol, 99 other (Text says what). */
export function quoteRequestRejectFields(quoteReqId: string, symbol: string | undefined, reason: number, text: string): Field[] {
  return [
    { tag: 131, value: quoteReqId || 'UNKNOWN' },
    { tag: 658, value: String(reason) },
    { tag: 146, value: '1' },
    { tag: 55, value: symbol || 'UNKNOWN' },
    { tag: 58, value: safeText(text) },
  ];
}

export function executionFields(t: Trade): Field[] {
  const f: Field[] = [
    { tag: 37, value: t.tradeId },
    { tag: 11, value: t.quoteRespId },
    { tag: 693, value: t.quoteRespId },
    { tag: 17, value: t.execId },
    { tag: 150, value: 'F' },
    { tag: 39, value: '2' },
    { tag: 55, value: t.symbol },
    { tag: 54, value: sideCode(t.side) },
    { tag: 38, value: String(t.qty) },
    { tag: 15, value: t.currency },
    { tag: 32, value: String(t.qty) },
    { tag: 31, value: px(t.price) },
    { tag: 151, value: '0' },
    { tag: 14, value: String(t.qty) },
    { tag: 6, value: px(t.price) },
    { tag: 60, value: utcTimestamp(new Date(t.time)) },
  ];
  if (t.settlDate) f.push({ tag: 64, value: toFixDate(t.settlDate) });
  f.push({ tag: TAG.Dealer, value: t.dealer });
  return f;
}

let rejectSeq = 0;
/** A refused hit: ExecType/OrdStatus rejected, OrdRejReason 99 with the reason in Text. Never a trade. */
export function executionRejectFields(h: { quoteRespId: string; quoteId: string; side?: Side; symbol?: string }, text: string, code: string): Field[] {
  rejectSeq += 1;
  return [
    { tag: 37, value: 'NONE' },
    { tag: 11, value: h.quoteRespId },
    { tag: 693, value: h.quoteRespId },
    { tag: 17, value: `REJ-${Date.now().toString(36)}-${rejectSeq}` },
    { tag: 150, value: '8' },
    { tag: 39, value: '8' },
    { tag: 103, value: '99' },
    { tag: 55, value: h.symbol ?? 'UNKNOWN' },
    { tag: 54, value: sideCode(h.side ?? 'buy') },
    { tag: 151, value: '0' },
    { tag: 14, value: '0' },
    { tag: 6, value: '0' },
    { tag: 58, value: safeText(text) },
    { tag: TAG.PolicyReason, value: code },
  ];
}

/**
 * QuoteStatus(297), FIX 4.4 values: 10 pending (no quote yet), 0 accepted (quoted), and for an RFQ that is over
 * 4 canceled, 7 expired, 6 removed from market (it traded: its quotes are off the market). A traded RFQ used to
 * read 0 like a quoted one, so the risk view kept it as open.
 */
function quoteStatus(r: RfqView): string {
  if (r.status === 'open') return r.quotes.length ? '0' : '10';
  return r.status === 'cancelled' ? '4' : r.status === 'expired' ? '7' : '6';
}

export function quoteStatusFields(r: RfqView, requestId?: string): Field[] {
  const best = r.quotes.reduce<RfqView['quotes'][number] | undefined>((b, q) => (!b || q.offerPx < b.offerPx ? q : b), undefined);
  const f: Field[] = [
    { tag: 131, value: r.quoteReqId },
    { tag: 117, value: best?.quoteId ?? `RFQ-${r.quoteReqId}` },
    { tag: 55, value: r.symbol },
  ];
  if (r.side) f.push({ tag: 54, value: sideCode(r.side) });
  f.push({ tag: 38, value: String(r.qty) });
  if (best) {
    f.push({ tag: 132, value: px(best.bidPx) }, { tag: 133, value: px(best.offerPx) }, { tag: 62, value: utcTimestamp(new Date(best.validUntil)) });
  }
  f.push({ tag: 64, value: toFixDate(r.settlDate) });
  // ExpireTime(126): when the RFQ itself closes (the best quote's ValidUntilTime(62) may be sooner).
  f.push({ tag: 126, value: utcTimestamp(new Date(r.expiresAt)) });
  f.push({ tag: 60, value: utcTimestamp(new Date(r.createdAt)) });
  f.push({ tag: 297, value: quoteStatus(r) });
  f.push({ tag: 58, value: `RFQ ${r.status}` });
  if (best) f.push({ tag: TAG.Dealer, value: best.dealer });
  f.push({ tag: TAG.RfqOwner, value: r.user });
  if (requestId) f.push({ tag: TAG.RequestID, value: requestId });
  return f;
}

export function tradeRequestAckFields(reqId: string, count: number, result = 0, text?: string): Field[] {
  const f: Field[] = [
    { tag: 568, value: reqId }, { tag: 569, value: '0' }, { tag: 748, value: String(count) },
    { tag: 749, value: String(result) }, { tag: 750, value: result === 0 ? '0' : '2' },
  ];
  if (text) f.push({ tag: 58, value: safeText(text) });
  return f;
}

export function tradeCaptureFields(t: Trade, reqId: string, total: number, last: boolean): Field[] {
  const d = new Date(t.time);
  const f: Field[] = [
    { tag: 571, value: t.tradeId },
    { tag: 568, value: reqId },
    { tag: 748, value: String(total) },
    { tag: 912, value: last ? 'Y' : 'N' },
    { tag: 17, value: t.execId },
    { tag: 570, value: 'Y' },
    { tag: 55, value: t.symbol },
    { tag: 32, value: String(t.qty) },
    { tag: 31, value: px(t.price) },
    { tag: 75, value: t.time.slice(0, 10).replace(/-/g, '') },
    { tag: 60, value: utcTimestamp(d) },
  ];
  // SettlDate(64) sits before the sides group, where the dictionary puts it.
  if (t.settlDate) f.push({ tag: 64, value: toFixDate(t.settlDate) });
  f.push(
    { tag: 552, value: '1' },
    { tag: 54, value: sideCode(t.side) },
    { tag: 37, value: t.tradeId },
    { tag: 11, value: t.quoteRespId },
    { tag: 15, value: t.currency },
    { tag: TAG.Dealer, value: t.dealer },
  );
  return f;
}

export function securityListFields(reqId: string, instruments: readonly Instrument[]): Field[] {
  const f: Field[] = [
    { tag: 320, value: reqId }, { tag: 322, value: `SL-${reqId}` }, { tag: 560, value: '0' },
    { tag: 393, value: String(instruments.length) }, { tag: 893, value: 'Y' },
    { tag: 146, value: String(instruments.length) },
  ];
  for (const i of instruments) {
    f.push({ tag: 55, value: i.symbol });
    if (i.description) f.push({ tag: 107, value: safeText(i.description, 128) });
    f.push({ tag: 15, value: i.currency });
  }
  return f;
}
