/**
 * The client's FIX mapping of the trading flows in docs/protocol.md: builders for what it sends (Field[]
 * bodies without the standard header) and strict readers for what the gateway sends. Readers return
 * undefined for a message they cannot make sense of rather than inventing values.
 */
import type { Field, FixMessage } from '../../fix/codec.ts';
import { parseUtcTimestamp, readGroup, TAG, utcTimestamp } from '../../fix/parley-protocol.ts';
import type { Execution, Instrument, OpenRfq, Side } from '../ipc/contract.ts';
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
/** Only a real calendar date: the contract refuses 2026-02-30, so the reader must not produce it. */
function fromFixDate(d: string | undefined): string | undefined {
  if (!d || !/^\d{8}$/.test(d)) return undefined;
  const iso = `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}`;
  const t = Date.parse(`${iso}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === iso ? iso : undefined;
}

/**
 * The RFQ's expiry goes out as ExpireTime(126) so the desk closes it when the trader's card does (and a risk
 * officer sees the same countdown); without it the desk uses its own quote lifetime.
 */
export function quoteRequestFields(r: { clientRfqId: string; instrument: string; side: Side; quantity: number; settlementDate: string; expiresAt?: string }): Field[] {
  const f: Field[] = [
    { tag: 131, value: r.clientRfqId },
    { tag: 146, value: '1' },
    { tag: 55, value: r.instrument },
    { tag: 54, value: sideCode(r.side) },
    { tag: 38, value: String(r.quantity) },
    { tag: 64, value: toFixDate(r.settlementDate) },
  ];
  const expires = r.expiresAt ? new Date(r.expiresAt) : undefined;
  if (expires && Number.isFinite(expires.getTime())) f.push({ tag: 126, value: utcTimestamp(expires) });
  return f;
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
  | { kind: 'fill'; quoteRespId: string; execution: Omit<Execution, 'clientRfqId' | 'quoteId' | 'settlementDate'> & { tradeDate: string; settlementDate?: string } }
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
  // The desk's SettlDate(64) when it sent one; the trade date is only what a caller may fall back to.
  const settlementDate = fromFixDate(m.get(64));
  return {
    kind: 'fill',
    quoteRespId,
    execution: {
      execId, dealer, instrument, side, quantity: qty, price, transactTime: transact.toISOString(), tradeDate: transact.toISOString().slice(0, 10),
      ...(settlementDate ? { settlementDate } : {}),
    },
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

/**
 * A QuoteStatusReport(AI) of the risk officer's open-RFQs view (it carries ParleyRfqOwner). QuoteStatus(297):
 * 10 pending, 0 quoted; 4 canceled, 6 removed from market (traded), 7 expired — those three (and FIX 5's 17
 * canceled) close the row. ExpireTime(126) is when the RFQ closes. Undefined for a report it cannot trust.
 */
export function readOpenRfqStatus(m: FixMessage, now: Date = new Date()): { row: OpenRfq; closed: boolean } | undefined {
  const owner = m.get(TAG.RfqOwner);
  const rfqId = id(m.get(131));
  const instrument = id(m.get(55));
  const side = sideOf(m.get(54));
  const qty = num(m.get(38));
  if (owner === undefined || !rfqId || !instrument || !side || !qty || qty <= 0) return undefined;
  const status = m.get(297);
  const closed = status === '4' || status === '6' || status === '7' || status === '17';
  const created = parseUtcTimestamp(m.get(60));
  const expires = parseUtcTimestamp(m.get(126));
  const quoted = m.has(117) && m.has(133);
  const row: OpenRfq = {
    rfqId,
    owner: owner.slice(0, 200),
    instrument,
    side,
    quantity: qty,
    status: status === '4' || status === '17' ? 'cancelled' : status === '7' ? 'expired' : status === '6' ? 'executed' : quoted ? 'quoted' : 'pending',
    quoteCount: quoted ? 1 : 0,
    createdAt: (created ?? now).toISOString(),
    ...(expires ? { expiresAt: expires.toISOString() } : {}),
  };
  return { row, closed };
}
