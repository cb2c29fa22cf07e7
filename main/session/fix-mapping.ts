/**
 * The client's FIX mapping of the trading flows in docs/protocol.md: builders for what it sends (Field[]
 * bodies without the standard header) and strict readers for what the gateway sends. Readers return
 * undefined for a message they cannot make sense of rather than inventing values.
 */
import type { Field, FixMessage } from '../../fix/codec.ts';
import { parseUtcTimestamp, readGroup, TAG } from '../../fix/parley-protocol.ts';
import type { Execution, Instrument, Side } from '../ipc/contract.ts';
import type { IncomingQuote } from './rfq-book.ts';

const sideCode = (s: Side) => (s === 'buy' ? '1' : '2');
const sideOf = (v: string | undefined): Side | undefined => (v === '1' ? 'buy' : v === '2' ? 'sell' : undefined);
function num(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
const ID = /^[A-Za-z0-9._:\-]{1,64}$/;
const id = (v: string | undefined) => (v !== undefined && ID.test(v) ? v : undefined);
/** YYYY-MM-DD ↔ FIX LocalMktDate YYYYMMDD */
const toFixDate = (d: string) => d.replace(/-/g, '');
const fromFixDate = (d: string | undefined) => (d && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}` : undefined);

export function quoteRequestFields(r: { clientRfqId: string; instrument: string; side: Side; quantity: number; settlementDate: string }): Field[] {
  return [
    { tag: 131, value: r.clientRfqId },
    { tag: 146, value: '1' },
    { tag: 55, value: r.instrument },
    { tag: 54, value: sideCode(r.side) },
    { tag: 38, value: String(r.quantity) },
    { tag: 64, value: toFixDate(r.settlementDate) },
  ];
}

export function quoteResponseFields(h: { quoteRespId: string; quoteId: string; side: Side; instrument: string; quantity: number; price: number }): Field[] {
  return [
    { tag: 693, value: h.quoteRespId },
    { tag: 117, value: h.quoteId },
    { tag: 694, value: '1' },
    { tag: 54, value: sideCode(h.side) },
    { tag: 55, value: h.instrument },
    { tag: 38, value: String(h.quantity) },
    { tag: 44, value: String(h.price) },
  ];
}

export function quoteCancelFields(clientRfqId: string, quoteId: string): Field[] {
  return [
    { tag: 131, value: clientRfqId },
    { tag: 117, value: quoteId },
    { tag: 298, value: '4' },
  ];
}

export function tradeCaptureRequestFields(reqId: string, instrument?: string): Field[] {
  const f: Field[] = [
    { tag: 568, value: reqId },
    { tag: 569, value: '0' },
  ];
  if (instrument) f.push({ tag: 55, value: instrument });
  return f;
}

export function securityListRequestFields(reqId: string): Field[] {
  return [
    { tag: 320, value: reqId },
    { tag: 559, value: '4' },
  ];
}

export function readQuote(m: FixMessage): IncomingQuote | undefined {
  const quoteReqId = id(m.get(131));
  const quoteId = id(m.get(117));
  const dealer = id(m.get(TAG.Dealer));
  const validUntil = parseUtcTimestamp(m.get(62));
  if (!quoteReqId || !quoteId || !dealer || !validUntil) return undefined;
  const q: IncomingQuote = { quoteReqId, quoteId, dealer, validUntil };
  const bid = num(m.get(132));
  const offer = num(m.get(133));
  const qty = num(m.get(38)) ?? num(m.get(135));
  if (bid !== undefined) q.bidPx = bid;
  if (offer !== undefined) q.offerPx = offer;
  if (qty !== undefined) q.qty = qty;
  return q;
}

/** The RFQ a QuoteRespID belongs to (see RfqBook.quoteRespIdFor), so it survives a client restart. */
export function clientRfqIdFromResp(quoteRespId: string): string | undefined {
  const m = /^(.+)\.h\d*$/.exec(quoteRespId);
  return m?.[1];
}

export type ExecReport =
  | { kind: 'fill'; quoteRespId: string; execution: Omit<Execution, 'clientRfqId' | 'quoteId' | 'settlementDate'> & { tradeDate: string } }
  | { kind: 'rejected'; quoteRespId: string; reason: string };

export function readExecutionReport(m: FixMessage): ExecReport | undefined {
  const quoteRespId = id(m.get(693)) ?? id(m.get(11));
  if (!quoteRespId) return undefined;
  const execType = m.get(150);
  if (execType === '8' || m.get(39) === '8') {
    return { kind: 'rejected', quoteRespId, reason: (m.get(58) ?? 'rejected').slice(0, 500) };
  }
  if (execType !== 'F') return undefined;
  const execId = id(m.get(17));
  const side = sideOf(m.get(54));
  const qty = num(m.get(32)) ?? num(m.get(38));
  const price = num(m.get(31)) ?? num(m.get(6));
  const transact = parseUtcTimestamp(m.get(60));
  const instrument = id(m.get(55));
  const dealer = id(m.get(TAG.Dealer)) ?? 'UNKNOWN';
  if (!execId || !side || !qty || qty <= 0 || price === undefined || !transact || !instrument) return undefined;
  return {
    kind: 'fill',
    quoteRespId,
    execution: { execId, dealer, instrument, side, quantity: qty, price, transactTime: transact.toISOString(), tradeDate: transact.toISOString().slice(0, 10) },
  };
}

export function readTradeCapture(m: FixMessage): (Execution & { last: boolean; reqId: string }) | undefined {
  const reqId = m.get(568) ?? '';
  const execId = id(m.get(17));
  const quoteRespId = id(m.get(11)) ?? '';
  const side = sideOf(m.get(54));
  const qty = num(m.get(32));
  const price = num(m.get(31));
  const transact = parseUtcTimestamp(m.get(60));
  const instrument = id(m.get(55));
  if (!execId || !side || !qty || qty <= 0 || price === undefined || !transact || !instrument) return undefined;
  const tradeDate = fromFixDate(m.get(75)) ?? transact.toISOString().slice(0, 10);
  return {
    execId,
    clientRfqId: id(clientRfqIdFromResp(quoteRespId)) ?? (id(m.get(571)) ?? execId),
    quoteId: id(m.get(37)) ?? execId,
    dealer: id(m.get(TAG.Dealer)) ?? 'UNKNOWN',
    instrument,
    side,
    quantity: qty,
    price,
    settlementDate: fromFixDate(m.get(64)) ?? tradeDate,
    transactTime: transact.toISOString(),
    last: m.get(912) === 'Y',
    reqId,
  };
}

export function readSecurityList(m: FixMessage): Instrument[] {
  return readGroup(m, 146, 55, [55, 107, 15])
    .map((g) => {
      const symbol = id(g.get(55));
      if (!symbol) return undefined;
      const i: Instrument = { symbol, description: (g.get(107) ?? symbol).slice(0, 200) };
      const ccy = g.get(15);
      if (ccy && /^[A-Z]{3}$/.test(ccy)) i.currency = ccy;
      return i;
    })
    .filter((i): i is Instrument => !!i);
}
