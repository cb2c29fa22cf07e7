// The benchmark's message mix: an RFQ conversation as Parley's client and gateway exchange it, written by the
// product's own protocol layer (fix/protocol/ writers, the session's standard header) and read back by its
// readers. Per request: the client's QuoteRequest, three streamed Quotes, the client's QuoteResponse (hit), the
// ExecutionReport fill, and a Heartbeat — distinct ids, prices and sequence numbers in every message.
import { encodeMessage, type Field, type FixMessage } from '../../fix/codec.ts';
import * as protocol from '../../fix/protocol/index.ts';
import { MsgType, Tag, utcTimestamp, type ReadResult } from '../../fix/protocol/index.ts';

type Protocol = typeof protocol;
/** The fix/protocol writers and readers the mix uses, by name (compare.ts looks them up in another tree). */
export type WriterName = 'writeQuoteRequest' | 'writeQuote' | 'writeQuoteResponse' | 'writeExecutionFill';
export type ReaderName = 'readQuoteRequest' | 'readQuote' | 'readQuoteResponse' | 'readExecutionReport';

const PAIRS = ['EURUSD', 'GBPUSD', 'USDJPY', 'USDCHF', 'AUDUSD', 'EURGBP', 'USDCAD', 'NZDUSD'];

export interface MixEntry {
  msgType: string;
  /** The domain value and the names of its writer and reader (none for a Heartbeat: empty body, read by the session). */
  value: unknown;
  writerName: WriterName | undefined;
  readerName: ReaderName | undefined;
  /** The fix/protocol writer's call for this message (domain value → body fields). */
  write: () => Field[];
  /** The session's standard header (35, 34, 49, 52, 56, as fix/session's writer puts it). */
  header: Field[];
  /** The reader the receiving side calls (undefined for a Heartbeat: the session consumes it). */
  read: ((m: FixMessage) => ReadResult<unknown>) | undefined;
  bytes: Buffer;
}

/** `m`'s writer and reader in `p` (this tree's fix/protocol, or another's). */
export function bind(p: Protocol, m: Pick<MixEntry, 'value' | 'writerName' | 'readerName'>): Pick<MixEntry, 'write' | 'read'> {
  const w = m.writerName === undefined ? undefined : p[m.writerName] as (v: unknown) => Field[];
  const r = m.readerName === undefined ? undefined : p[m.readerName] as (msg: FixMessage) => ReadResult<unknown>;
  return { write: w === undefined ? () => [] : () => w(m.value), read: r };
}

/** header + body, as fix/session's writer hands them to encodeMessage. */
export function fieldsOf(m: MixEntry): Field[] {
  return [...m.header, ...m.write()];
}

/** `cycles` RFQ conversations, 7 messages each. Deterministic. */
export function buildMix(cycles: number): MixEntry[] {
  const out: MixEntry[] = [];
  const base = Date.UTC(2026, 10, 21, 9, 0, 0);
  let seq = 1;
  let t = 0;
  const push = (msgType: string, writerName: WriterName | undefined, value: unknown, readerName: ReaderName | undefined, fromClient: boolean): void => {
    const header: Field[] = [
      { tag: Tag.MsgType, value: msgType },
      { tag: Tag.MsgSeqNum, value: String(seq++) },
      { tag: Tag.SenderCompID, value: fromClient ? 'PARLEY-CLIENT-0042' : 'PARLEY-GW' },
      { tag: Tag.SendingTime, value: utcTimestamp(new Date(base + (t += 7))) },
      { tag: Tag.TargetCompID, value: fromClient ? 'PARLEY-GW' : 'PARLEY-CLIENT-0042' },
    ];
    const named = { value, writerName, readerName };
    const entry: MixEntry = { msgType, ...named, ...bind(protocol, named), header, bytes: Buffer.alloc(0) };
    entry.bytes = encodeMessage('FIX.4.4', fieldsOf(entry));
    out.push(entry);
  };
  for (let c = 0; c < cycles; c++) {
    const symbol = PAIRS[c % PAIRS.length]!;
    const mid = 1 + ((c * 7919) % 5000) / 10000;
    const qty = 1_000_000 * (1 + (c % 10));
    const side = c % 2 === 0 ? 'buy' : 'sell';
    const quoteReqId = `RFQ-20261121-${String(c).padStart(6, '0')}`;
    const settlDate = '2026-11-25';
    // The domain values are made here, once: the writers' calls are what is timed.
    const now = new Date(base + t);
    const request = { quoteReqId, symbol, side, qty, settlDate, expireTime: new Date(base + t + 30_000) } as const;
    push(MsgType.QuoteRequest, 'writeQuoteRequest', request, 'readQuoteRequest', true);
    for (let q = 0; q < 3; q++) {
      const bidPx = Math.round((mid - 0.0002 - q * 0.00001) * 1e5) / 1e5;
      const offerPx = Math.round((mid + 0.0002 + q * 0.00001) * 1e5) / 1e5;
      const quote = {
        quoteReqId, quoteId: `${quoteReqId}-Q${q}`, symbol, qty, currency: symbol.slice(0, 3), bidPx, offerPx, settlDate,
        validUntil: new Date(now.getTime() + 5000), sentAt: now, dealer: `DEALER-${q + 1}`,
      };
      push(MsgType.Quote, 'writeQuote', quote, 'readQuote', false);
    }
    const price = Math.round((side === 'buy' ? mid + 0.00022 : mid - 0.00022) * 1e5) / 1e5;
    const quoteRespId = `${quoteReqId}-HIT`;
    const hit = { quoteRespId, quoteId: `${quoteReqId}-Q2`, side, symbol, qty, price } as const;
    push(MsgType.QuoteResponse, 'writeQuoteResponse', hit, 'readQuoteResponse', true);
    const fill = {
      orderId: `GW-ORD-${c}`, quoteRespId, execId: `EX-${c}`, symbol, side, qty, price, transactTime: now,
      currency: symbol.slice(0, 3), settlDate, dealer: 'DEALER-3',
    } as const;
    push(MsgType.ExecutionReport, 'writeExecutionFill', fill, 'readExecutionReport', false);
    push(MsgType.Heartbeat, undefined, undefined, undefined, c % 2 === 0);
  }
  return out;
}
