/**
 * The client's side of the RFQ flow (docs/protocol.md): contract types (main/ipc/contract.ts) ↔ the typed
 * messages of fix/protocol/. Writers give Field[] bodies without the standard header; readers return
 * undefined for a message they cannot make sense of rather than inventing values (fix/protocol/ says why).
 * No tag numbers here: the wire lives in fix/protocol/, this file only translates.
 */
import type { Field, FixMessage } from '../../fix/codec.ts';
import {
  id, readExecutionReport as readExecution, readQuote as readQuoteMsg, readRfqStatus, readSecurityList as readList,
  readTradeCapture as readTrade, valueOf, writeQuoteCancel, writeQuoteRequest, writeQuoteResponse, writeSecurityListRequest,
  writeTradeCaptureRequest,
} from '../../fix/protocol/index.ts';
import type { Execution, Instrument, OpenRfq, Side } from '../ipc/contract.ts';
import type { IncomingQuote } from './rfq-book.ts';

export {
  readBusinessReject, readOpenRfqsAck, readQuoteRequestReject, readQuoteStatus, readTradeCaptureAck, writeAttestation as attestationFields,
  writeDealerListRequest as dealerListRequestFields, writeOpenRfqsRequest as openRfqsRequestFields,
} from '../../fix/protocol/index.ts';

/**
 * The RFQ's expiry goes out as ExpireTime(126) so the desk closes it when the trader's card does (and a risk
 * officer sees the same countdown); without it the desk uses its own quote lifetime.
 */
export function quoteRequestFields(r: { clientRfqId: string; instrument: string; side: Side; quantity: number; settlementDate: string; expiresAt?: string }): Field[] {
  return writeQuoteRequest({
    quoteReqId: r.clientRfqId, symbol: r.instrument, side: r.side, qty: r.quantity, settlDate: r.settlementDate,
    ...(r.expiresAt ? { expireTime: new Date(r.expiresAt) } : {}),
  });
}

export function quoteResponseFields(h: { quoteRespId: string; quoteId: string; side: Side; instrument: string; quantity: number; price: number }): Field[] {
  return writeQuoteResponse({ quoteRespId: h.quoteRespId, quoteId: h.quoteId, side: h.side, symbol: h.instrument, qty: h.quantity, price: h.price });
}

export function quoteCancelFields(clientRfqId: string, quoteId: string): Field[] {
  return writeQuoteCancel({ quoteReqId: clientRfqId, quoteId });
}

export function tradeCaptureRequestFields(reqId: string, instrument?: string): Field[] {
  return writeTradeCaptureRequest({ reqId, ...(instrument ? { symbol: instrument } : {}) });
}

export function securityListRequestFields(reqId: string): Field[] {
  return writeSecurityListRequest({ reqId });
}

export function readQuote(m: FixMessage): IncomingQuote | undefined {
  const r = valueOf(readQuoteMsg(m));
  if (!r) return undefined;
  const q: IncomingQuote = { quoteReqId: r.quoteReqId, quoteId: r.quoteId, dealer: r.dealer, validUntil: r.validUntil };
  if (r.bidPx !== undefined) q.bidPx = r.bidPx;
  if (r.offerPx !== undefined) q.offerPx = r.offerPx;
  if (r.qty !== undefined) q.qty = r.qty;
  return q;
}

/** The RFQ a QuoteRespID belongs to (see RfqBook.quoteRespIdFor), so it survives a client restart. */
export function clientRfqIdFromResp(quoteRespId: string): string | undefined {
  const m = /^(.+)\.h\d*$/.exec(quoteRespId);
  return m?.[1];
}

export type ExecReport =
  | { kind: 'fill'; quoteRespId: string; execution: Omit<Execution, 'clientRfqId' | 'quoteId' | 'settlementDate'> & { tradeDate: string; settlementDate?: string } }
  | { kind: 'rejected'; quoteRespId: string; reason: string };

export function readExecutionReport(m: FixMessage): ExecReport | undefined {
  const r = valueOf(readExecution(m));
  if (!r) return undefined;
  if (r.kind === 'rejected') return { kind: 'rejected', quoteRespId: r.quoteRespId, reason: r.text };
  const transactTime = r.transactTime.toISOString();
  return {
    kind: 'fill',
    quoteRespId: r.quoteRespId,
    execution: {
      execId: r.execId, dealer: r.dealer ?? 'UNKNOWN', instrument: r.symbol, side: r.side, quantity: r.qty, price: r.price,
      transactTime, tradeDate: transactTime.slice(0, 10),
      // The desk's SettlDate(64) when it sent one; the trade date is only what a caller may fall back to.
      ...(r.settlDate ? { settlementDate: r.settlDate } : {}),
    },
  };
}

export function readTradeCapture(m: FixMessage): (Execution & { last: boolean; reqId: string }) | undefined {
  const t = valueOf(readTrade(m));
  if (!t) return undefined;
  return {
    execId: t.execId,
    clientRfqId: id(clientRfqIdFromResp(t.quoteRespId ?? '')) ?? t.tradeId ?? t.execId,
    quoteId: t.orderId ?? t.execId,
    dealer: t.dealer ?? 'UNKNOWN',
    instrument: t.symbol,
    side: t.side,
    quantity: t.qty,
    price: t.price,
    settlementDate: t.settlDate ?? t.tradeDate,
    transactTime: t.transactTime.toISOString(),
    last: t.last,
    reqId: t.reqId,
  };
}

export function readSecurityList(m: FixMessage): Instrument[] {
  const l = valueOf(readList(m));
  return (l?.instruments ?? []).map((i) => ({
    symbol: i.symbol, description: (i.description ?? i.symbol).slice(0, 200), ...(i.currency ? { currency: i.currency } : {}),
  }));
}

/**
 * A QuoteStatusReport(AI) of the risk officer's open-RFQs view (it carries ParleyRfqOwner); `closed` when the
 * RFQ was cancelled, traded or expired. Undefined for a report it cannot trust.
 */
export function readOpenRfqStatus(m: FixMessage, now: Date = new Date()): { row: OpenRfq; closed: boolean } | undefined {
  const r = valueOf(readRfqStatus(m));
  if (!r) return undefined;
  const row: OpenRfq = {
    rfqId: r.quoteReqId,
    owner: r.owner,
    instrument: r.symbol,
    side: r.side,
    quantity: r.qty,
    status: r.state,
    quoteCount: r.quoted ? 1 : 0,
    createdAt: (r.createdAt ?? now).toISOString(),
    ...(r.expiresAt ? { expiresAt: r.expiresAt.toISOString() } : {}),
  };
  return { row, closed: r.closed };
}
