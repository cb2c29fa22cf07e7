/**
 * Trade history: TradeCaptureReportRequest(AD, client → gateway, TradeRequestType 0 all trades, optionally
 * one instrument), its TradeCaptureReportRequestAck(AQ) with TotNumTradeReports(748) and
 * TradeRequestResult(749), then one TradeCaptureReport(AE) per trade, the last with LastRptRequested(912)=Y.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { fixDateOf, fromFixDate, parseUtcTimestamp, toFixDate, utcTimestamp } from './time.ts';
import { decimal, id, priceToWire, safeText, sideFromWire, sideToWire, type Side, type TradeEconomics } from './values.ts';

const ALL_TRADES = '0';

export interface TradeCaptureRequestMsg { reqId: string; symbol?: string }

export function writeTradeCaptureRequest(r: TradeCaptureRequestMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.TradeRequestID, value: r.reqId },
    { tag: Tag.TradeRequestType, value: ALL_TRADES },
  ];
  if (r.symbol) f.push({ tag: Tag.Symbol, value: r.symbol });
  return f;
}

export function readTradeCaptureRequest(m: FixMessage): ReadResult<TradeCaptureRequestMsg> {
  const reqId = m.get(Tag.TradeRequestID);
  if (!reqId) return refuse('TradeRequestID(568) missing');
  const type = m.get(Tag.TradeRequestType);
  if (type !== undefined && type !== ALL_TRADES) return refuse(`TradeRequestType(569)=${type.slice(0, 20)} is not supported (only 0 = all trades)`);
  const out: TradeCaptureRequestMsg = { reqId };
  const symbol = m.get(Tag.Symbol);
  if (symbol) out.symbol = symbol;
  return ok(out);
}

/** TradeRequestResult(749): 0 successful, 9 not authorized (FIX 4.4), anything else a failure. */
export const TradeRequestResult = { Successful: 0, NotAuthorized: 9 } as const;

export interface TradeCaptureAckMsg { reqId: string; count: number; result: number; text?: string }

export function writeTradeCaptureAck(a: TradeCaptureAckMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.TradeRequestID, value: a.reqId },
    { tag: Tag.TradeRequestType, value: ALL_TRADES },
    { tag: Tag.TotNumTradeReports, value: String(a.count) },
    { tag: Tag.TradeRequestResult, value: String(a.result) },
    // TradeRequestStatus(750): 0 accepted, 2 rejected.
    { tag: Tag.TradeRequestStatus, value: a.result === TradeRequestResult.Successful ? '0' : '2' },
  ];
  if (a.text) f.push({ tag: Tag.Text, value: safeText(a.text) });
  return f;
}

export function readTradeCaptureAck(m: FixMessage): ReadResult<TradeCaptureAckMsg> {
  const reqId = m.get(Tag.TradeRequestID);
  if (!reqId) return refuse('TradeRequestID(568) missing');
  const result = m.get(Tag.TradeRequestResult);
  const code = result === undefined ? 0 : Number(result);
  const count = m.getInt(Tag.TotNumTradeReports);
  const out: TradeCaptureAckMsg = {
    reqId,
    // A result that is not a number is a failure, never a success.
    result: Number.isSafeInteger(code) && /^\d{1,6}$/.test(result ?? '0') ? code : -1,
    count: count !== undefined && Number.isSafeInteger(count) ? Math.max(0, count) : 0,
  };
  const text = m.get(Tag.Text);
  if (text) out.text = text.slice(0, 500);
  return ok(out);
}

/** One trade as the gateway reports it. */
export interface TradeCaptureMsg extends TradeEconomics {
  tradeId: string;
  reqId: string;
  total: number;
  last: boolean;
  /** ISO YYYY-MM-DD. */
  settlDate?: string;
  quoteRespId: string;
  currency: string;
  dealer: string;
}

export function writeTradeCapture(t: TradeCaptureMsg): Field[] {
  const f: Field[] = [
    { tag: Tag.TradeReportID, value: t.tradeId },
    { tag: Tag.TradeRequestID, value: t.reqId },
    { tag: Tag.TotNumTradeReports, value: String(t.total) },
    { tag: Tag.LastRptRequested, value: t.last ? 'Y' : 'N' },
    { tag: Tag.ExecID, value: t.execId },
    { tag: Tag.PreviouslyReported, value: 'Y' },
    { tag: Tag.Symbol, value: t.symbol },
    { tag: Tag.LastQty, value: String(t.qty) },
    { tag: Tag.LastPx, value: priceToWire(t.price) },
    { tag: Tag.TradeDate, value: fixDateOf(t.transactTime) },
    { tag: Tag.TransactTime, value: utcTimestamp(t.transactTime) },
  ];
  // SettlDate(64) sits before the sides group, where the dictionary puts it.
  if (t.settlDate) f.push({ tag: Tag.SettlDate, value: toFixDate(t.settlDate) });
  f.push(
    { tag: Tag.NoSides, value: '1' },
    { tag: Tag.Side, value: sideToWire(t.side) },
    { tag: Tag.OrderID, value: t.tradeId },
    { tag: Tag.ClOrdID, value: t.quoteRespId },
    { tag: Tag.Currency, value: t.currency },
    { tag: Tag.ParleyDealer, value: t.dealer },
  );
  return f;
}

/** A trade as the client reads it; ids it cannot trust are left out, the caller supplies fallbacks. */
export interface ReceivedTradeCapture extends TradeEconomics {
  reqId: string;
  /** ISO dates: TradeDate(75) (else the UTC date of TransactTime) and SettlDate(64) when sent. */
  tradeDate: string;
  settlDate?: string;
  last: boolean;
  tradeId?: string;
  orderId?: string;
  quoteRespId?: string;
  dealer?: string;
}

export function readTradeCapture(m: FixMessage): ReadResult<ReceivedTradeCapture> {
  const execId = id(m.get(Tag.ExecID));
  if (!execId) return refuse('ExecID(17) missing or not an identifier');
  const side = sideFromWire(m.get(Tag.Side));
  if (!side) return refuse('Side(54) is neither 1 nor 2');
  const qty = decimal(m.get(Tag.LastQty));
  if (qty === undefined || qty <= 0) return refuse('LastQty(32) must be a positive number');
  const price = decimal(m.get(Tag.LastPx));
  if (price === undefined) return refuse('LastPx(31) missing or not a number');
  const transactTime = parseUtcTimestamp(m.get(Tag.TransactTime));
  if (!transactTime) return refuse('TransactTime(60) missing or not a UTC timestamp');
  const symbol = id(m.get(Tag.Symbol));
  if (!symbol) return refuse('Symbol(55) missing or not an identifier');
  const out: ReceivedTradeCapture = {
    reqId: (m.get(Tag.TradeRequestID) ?? '').slice(0, 64), execId, symbol, side, qty, price, transactTime,
    tradeDate: fromFixDate(m.get(Tag.TradeDate)) ?? transactTime.toISOString().slice(0, 10),
    last: m.get(Tag.LastRptRequested) === 'Y',
  };
  const settlDate = fromFixDate(m.get(Tag.SettlDate));
  if (settlDate) out.settlDate = settlDate;
  const tradeId = id(m.get(Tag.TradeReportID));
  if (tradeId) out.tradeId = tradeId;
  const orderId = id(m.get(Tag.OrderID));
  if (orderId) out.orderId = orderId;
  const quoteRespId = id(m.get(Tag.ClOrdID));
  if (quoteRespId) out.quoteRespId = quoteRespId;
  const dealer = id(m.get(Tag.ParleyDealer));
  if (dealer) out.dealer = dealer;
  return ok(out);
}
