/**
 * The desk's side of the RFQ flow (docs/protocol.md): desk types ↔ the typed messages of fix/protocol/.
 * QuoteRequest(R) / QuoteResponse(AJ) / QuoteCancel(Z) / TradeCaptureReportRequest(AD) / SecurityListRequest(x)
 * in; Quote(S), QuoteRequestReject(AG), ExecutionReport(8), QuoteStatusReport(AI),
 * TradeCaptureReportRequestAck(AQ), TradeCaptureReport(AE), SecurityList(y) and BusinessMessageReject(j) out.
 * No tag numbers here: the wire lives in fix/protocol/, this file only translates.
 */
import { randomBytes } from 'node:crypto';
import type { Field, FixMessage } from '../../fix/codec.ts';
import {
  readQuoteRequest, readQuoteResponse, rejectRefOf, writeBusinessReject, writeExecutionFill, writeExecutionReject,
  writeQuote, writeQuoteRequestReject, writeRfqStatus, writeSecurityList, writeTradeCapture, writeTradeCaptureAck,
  type BusinessRejectMsg, type ReadResult, type RfqState,
} from '../../fix/protocol/index.ts';
import type { Instrument, Quote, RfqView } from '../desk/desk.ts';
import type { Side, Trade } from '../desk/trade-store.ts';

export {
  readOpenRfqsRequest, readQuoteCancel, readSecurityListRequest, readTradeCaptureRequest, writeOpenRfqsAck as openRfqsAckFields,
  writeQuoteCancelled as quoteCancelledFields,
} from '../../fix/protocol/index.ts';

/** `settlDate` is YYYY-MM-DD (from SettlDate(64)); `expireTime` from ExpireTime(126). */
export type ParsedRfq = { quoteReqId: string; symbol: string; side?: Side; qty: number; settlDate?: string; expireTime?: Date };
export type ParseResult<T> = ReadResult<T>;

/** One instrument per RFQ: Parley's ticket asks for one block at a time. */
export function parseQuoteRequest(m: FixMessage): ParseResult<ParsedRfq> {
  return readQuoteRequest(m);
}

export type ParsedHit = { quoteRespId: string; quoteId: string; side?: Side; qty?: number; price?: number; symbol?: string };

export function parseQuoteResponse(m: FixMessage): ParseResult<ParsedHit> {
  return readQuoteResponse(m);
}

export function quoteFields(q: Quote): Field[] {
  return writeQuote(q);
}

/** QuoteRequestRejectReason(658): 1 unknown symbol, 99 other (Text says what). */
export function quoteRequestRejectFields(quoteReqId: string, symbol: string | undefined, reason: number, text: string): Field[] {
  return writeQuoteRequestReject({ quoteReqId, reason, text, ...(symbol ? { symbol } : {}) });
}

export function executionFields(t: Trade): Field[] {
  return writeExecutionFill({
    orderId: t.tradeId, quoteRespId: t.quoteRespId, execId: t.execId, symbol: t.symbol, side: t.side, qty: t.qty, price: t.price,
    currency: t.currency, transactTime: new Date(t.time), dealer: t.dealer, ...(t.settlDate ? { settlDate: t.settlDate } : {}),
  });
}

/** A refused hit: ExecType/OrdStatus rejected, OrdRejReason 99 with the reason in Text. Never a trade. */
export function executionRejectFields(h: { quoteRespId: string; quoteId: string; side?: Side; symbol?: string }, text: string, code: string): Field[] {
  return writeExecutionReject({
    quoteRespId: h.quoteRespId,
    // Unique per refusal without a counter kept between calls.
    execId: `REJ-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`,
    text, code, ...(h.side ? { side: h.side } : {}), ...(h.symbol ? { symbol: h.symbol } : {}),
  });
}

function rfqState(r: RfqView): RfqState {
  if (r.status === 'open') return r.quotes.length ? 'quoted' : 'pending';
  return r.status === 'cancelled' ? 'cancelled' : r.status === 'expired' ? 'expired' : 'executed';
}

export function quoteStatusFields(r: RfqView, requestId?: string): Field[] {
  const best = r.quotes.reduce<RfqView['quotes'][number] | undefined>((b, q) => (!b || q.offerPx < b.offerPx ? q : b), undefined);
  return writeRfqStatus({
    quoteReqId: r.quoteReqId, owner: r.user, symbol: r.symbol, qty: r.qty, state: rfqState(r), settlDate: r.settlDate,
    createdAt: new Date(r.createdAt), expiresAt: new Date(r.expiresAt), text: `RFQ ${r.status}`,
    ...(r.side ? { side: r.side } : {}),
    ...(best ? { best: { ...best, validUntil: new Date(best.validUntil) } } : {}),
    ...(requestId ? { requestId } : {}),
  });
}

export function tradeRequestAckFields(reqId: string, count: number, result = 0, text?: string): Field[] {
  return writeTradeCaptureAck({ reqId, count, result, ...(text ? { text } : {}) });
}

export function tradeCaptureFields(t: Trade, reqId: string, total: number, last: boolean): Field[] {
  return writeTradeCapture({
    tradeId: t.tradeId, reqId, total, last, execId: t.execId, symbol: t.symbol, side: t.side, qty: t.qty, price: t.price,
    transactTime: new Date(t.time), quoteRespId: t.quoteRespId, currency: t.currency, dealer: t.dealer,
    ...(t.settlDate ? { settlDate: t.settlDate } : {}),
  });
}

export function securityListFields(reqId: string, instruments: readonly Instrument[]): Field[] {
  return writeSecurityList({ reqId, instruments: instruments.map((i) => ({ symbol: i.symbol, description: i.description, currency: i.currency })) });
}

/** BusinessMessageReject(j) of a message the gateway refuses, referring to it (MsgType, MsgSeqNum, its id). */
export function businessRejectFields(
  refused: FixMessage, reason: number, text: string, extra: Pick<BusinessRejectMsg, 'decision' | 'challengeId' | 'policyReason'> = {},
): Field[] {
  return writeBusinessReject({ ...rejectRefOf(refused), reason, text, ...extra });
}
