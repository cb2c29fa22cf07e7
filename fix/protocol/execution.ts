/**
 * ExecutionReport(8), gateway → client: the fill of a hit (ExecType F, OrdStatus filled) or its refusal
 * (ExecType / OrdStatus rejected, OrdRejReason 99 other, the reason in Text and its code in ParleyPolicyReason).
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { fromFixDate, parseUtcTimestamp, toFixDate, utcTimestamp } from './time.ts';
import { decimal, id, priceToWire, safeText, sideFromWire, sideToWire, type Side, type TradeEconomics } from './values.ts';

const EXEC_TRADE = 'F';
const STATUS_FILLED = '2';
const REJECTED = '8';
const ORD_REJ_OTHER = '99';

export interface ExecutionFillMsg extends TradeEconomics {
  kind: 'fill';
  /** OrderID(37): the desk's trade id. */
  orderId: string;
  quoteRespId: string;
  currency?: string;
  /** ISO YYYY-MM-DD. */
  settlDate?: string;
  dealer?: string;
}

export interface ExecutionRejectMsg {
  kind: 'rejected';
  quoteRespId: string;
  /** ExecID(17) of the refusal (unique per report). */
  execId: string;
  text: string;
  symbol?: string;
  side?: Side;
  /** Why, as a code (ParleyPolicyReason): 'policy', 'malformed', 'expired', ... */
  code?: string;
}

export type ExecutionMsg = ExecutionFillMsg | ExecutionRejectMsg;

export function writeExecutionFill(t: Omit<ExecutionFillMsg, 'kind'>): Field[] {
  const f: Field[] = [
    { tag: Tag.OrderID, value: t.orderId },
    { tag: Tag.ClOrdID, value: t.quoteRespId },
    { tag: Tag.QuoteRespID, value: t.quoteRespId },
    { tag: Tag.ExecID, value: t.execId },
    { tag: Tag.ExecType, value: EXEC_TRADE },
    { tag: Tag.OrdStatus, value: STATUS_FILLED },
    { tag: Tag.Symbol, value: t.symbol },
    { tag: Tag.Side, value: sideToWire(t.side) },
    { tag: Tag.OrderQty, value: String(t.qty) },
  ];
  if (t.currency) f.push({ tag: Tag.Currency, value: t.currency });
  f.push(
    { tag: Tag.LastQty, value: String(t.qty) },
    { tag: Tag.LastPx, value: priceToWire(t.price) },
    { tag: Tag.LeavesQty, value: '0' },
    { tag: Tag.CumQty, value: String(t.qty) },
    { tag: Tag.AvgPx, value: priceToWire(t.price) },
    { tag: Tag.TransactTime, value: utcTimestamp(t.transactTime) },
  );
  if (t.settlDate) f.push({ tag: Tag.SettlDate, value: toFixDate(t.settlDate) });
  if (t.dealer) f.push({ tag: Tag.ParleyDealer, value: t.dealer });
  return f;
}

/** A refused hit. Never a trade: no quantity is reported filled. */
export function writeExecutionReject(r: Omit<ExecutionRejectMsg, 'kind'>): Field[] {
  const f: Field[] = [
    { tag: Tag.OrderID, value: 'NONE' },
    { tag: Tag.ClOrdID, value: r.quoteRespId },
    { tag: Tag.QuoteRespID, value: r.quoteRespId },
    { tag: Tag.ExecID, value: r.execId },
    { tag: Tag.ExecType, value: REJECTED },
    { tag: Tag.OrdStatus, value: REJECTED },
    { tag: Tag.OrdRejReason, value: ORD_REJ_OTHER },
    { tag: Tag.Symbol, value: r.symbol ?? 'UNKNOWN' },
    { tag: Tag.Side, value: sideToWire(r.side ?? 'buy') },
    { tag: Tag.LeavesQty, value: '0' },
    { tag: Tag.CumQty, value: '0' },
    { tag: Tag.AvgPx, value: '0' },
    { tag: Tag.Text, value: safeText(r.text) },
  ];
  if (r.code) f.push({ tag: Tag.ParleyPolicyReason, value: safeText(r.code, 64) });
  return f;
}

/**
 * The client's reader. The QuoteRespID is taken from QuoteRespID(693) or ClOrdID(11) (another desk may only
 * echo the latter); a fill needs an id, a side, a positive quantity, a price, a time and an instrument.
 */
export function readExecutionReport(m: FixMessage): ReadResult<ExecutionMsg> {
  const quoteRespId = id(m.get(Tag.QuoteRespID)) ?? id(m.get(Tag.ClOrdID));
  if (!quoteRespId) return refuse('QuoteRespID(693) / ClOrdID(11) missing or not an identifier');
  const execType = m.get(Tag.ExecType);
  if (execType === REJECTED || m.get(Tag.OrdStatus) === REJECTED) {
    const r: ExecutionRejectMsg = { kind: 'rejected', quoteRespId, execId: id(m.get(Tag.ExecID)) ?? '', text: (m.get(Tag.Text) ?? 'rejected').slice(0, 500) };
    const code = m.get(Tag.ParleyPolicyReason);
    if (code) r.code = code.slice(0, 64);
    const symbol = id(m.get(Tag.Symbol));
    if (symbol && symbol !== 'UNKNOWN') r.symbol = symbol;
    return ok(r);
  }
  if (execType !== EXEC_TRADE) return refuse(`ExecType(150)=${(execType ?? '').slice(0, 20)} is neither a trade nor a rejection`);
  const execId = id(m.get(Tag.ExecID));
  if (!execId) return refuse('ExecID(17) missing or not an identifier');
  const side = sideFromWire(m.get(Tag.Side));
  if (!side) return refuse('Side(54) is neither 1 nor 2');
  const qty = decimal(m.get(Tag.LastQty)) ?? decimal(m.get(Tag.OrderQty));
  if (qty === undefined || qty <= 0) return refuse('LastQty(32) / OrderQty(38) must be a positive number');
  const price = decimal(m.get(Tag.LastPx)) ?? decimal(m.get(Tag.AvgPx));
  if (price === undefined) return refuse('LastPx(31) / AvgPx(6) missing or not a number');
  const transactTime = parseUtcTimestamp(m.get(Tag.TransactTime));
  if (!transactTime) return refuse('TransactTime(60) missing or not a UTC timestamp');
  const symbol = id(m.get(Tag.Symbol));
  if (!symbol) return refuse('Symbol(55) missing or not an identifier');
  const fill: ExecutionFillMsg = { kind: 'fill', orderId: id(m.get(Tag.OrderID)) ?? execId, quoteRespId, execId, symbol, side, qty, price, transactTime };
  const ccy = m.get(Tag.Currency);
  if (ccy && /^[A-Z]{3}$/.test(ccy)) fill.currency = ccy;
  const settlDate = fromFixDate(m.get(Tag.SettlDate));
  if (settlDate) fill.settlDate = settlDate;
  const dealer = id(m.get(Tag.ParleyDealer));
  if (dealer) fill.dealer = dealer;
  return ok(fill);
}
