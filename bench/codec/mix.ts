// The benchmark's message mix: an RFQ conversation as a dealer-facing session sees it. Per request:
// QuoteRequest, three streamed Quotes, the client's QuoteResponse (hit), the ExecutionReport, and a
// Heartbeat — realistic field counts, distinct ids, prices and sequence numbers in every message.
import { encodeMessage } from '../../fix/codec.ts';
import { toFields, type StandardHeader, type TypedMessage } from '../../fix/messages.ts';

const PAIRS = ['EUR/USD', 'GBP/USD', 'USD/JPY', 'USD/CHF', 'AUD/USD', 'EUR/GBP', 'USD/CAD', 'NZD/USD'];

function ts(base: number, ms: number): string {
  const d = new Date(base + ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}`;
}

export interface MixEntry {
  msg: TypedMessage;
  header: StandardHeader;
  bytes: Buffer;
}

/** `cycles` RFQ conversations, 7 messages each. Deterministic. */
export function buildMix(cycles: number): MixEntry[] {
  const out: MixEntry[] = [];
  const base = Date.UTC(2026, 10, 21, 9, 0, 0);
  let seq = 1;
  let t = 0;
  const push = (msg: TypedMessage, fromClient: boolean): void => {
    const header: StandardHeader = {
      senderCompID: fromClient ? 'PARLEY-CLIENT-0042' : 'PARLEY-GW',
      targetCompID: fromClient ? 'PARLEY-GW' : 'PARLEY-CLIENT-0042',
      msgSeqNum: seq++,
      sendingTime: ts(base, (t += 7)),
    };
    out.push({ msg, header, bytes: encodeMessage('FIX.4.4', toFields(msg, header)) });
  };
  for (let c = 0; c < cycles; c++) {
    const sym = PAIRS[c % PAIRS.length]!;
    const mid = 1 + ((c * 7919) % 5000) / 10000;
    const qty = 1_000_000 * (1 + (c % 10));
    const side = c % 2 === 0 ? '1' : '2';
    const reqId = `RFQ-20261121-${String(c).padStart(6, '0')}`;
    const settl = '20261125';
    push({
      msgType: 'R', quoteReqID: reqId,
      relatedSym: [{
        symbol: sym, securityID: sym.replace('/', ''), securityIDSource: '8', side, orderQty: qty, settlType: '0',
        settlDate: settl, currency: sym.slice(0, 3), account: 'ACC-7731', quoteType: 1,
        transactTime: ts(base, t), parties: [{ partyID: 'CLIENT-0042', partyIDSource: 'D', partyRole: 3 }],
      }],
    }, true);
    for (let q = 0; q < 3; q++) {
      const bid = Math.round((mid - 0.0002 - q * 0.00001) * 1e5) / 1e5;
      const offer = Math.round((mid + 0.0002 + q * 0.00001) * 1e5) / 1e5;
      push({
        msgType: 'S', quoteReqID: reqId, quoteID: `${reqId}-Q${q}`, quoteType: 1, symbol: sym,
        securityID: sym.replace('/', ''), securityIDSource: '8', side, orderQty: qty, settlType: '0',
        settlDate: settl, currency: sym.slice(0, 3), account: 'ACC-7731', bidPx: bid, offerPx: offer,
        bidSize: qty, offerSize: qty, validUntilTime: ts(base, t + 5000), transactTime: ts(base, t),
      }, false);
    }
    const px = Math.round((side === '1' ? mid + 0.00022 : mid - 0.00022) * 1e5) / 1e5;
    push({
      msgType: 'AJ', quoteRespID: `${reqId}-HIT`, quoteID: `${reqId}-Q2`, quoteRespType: 1, clOrdID: `ORD-${c}`,
      symbol: sym, securityID: sym.replace('/', ''), securityIDSource: '8', side, orderQty: qty, settlType: '0',
      settlDate: settl, currency: sym.slice(0, 3), account: 'ACC-7731', price: px, transactTime: ts(base, t),
      ordType: 'D',
    }, true);
    push({
      msgType: '8', orderID: `GW-ORD-${c}`, clOrdID: `ORD-${c}`, quoteRespID: `${reqId}-HIT`, execID: `EX-${c}`,
      execType: 'F', ordStatus: '2', account: 'ACC-7731', settlType: '0', settlDate: settl, symbol: sym,
      securityID: sym.replace('/', ''), securityIDSource: '8', side, orderQty: qty, ordType: 'D', price: px,
      currency: sym.slice(0, 3), lastQty: qty, lastPx: px, leavesQty: 0, cumQty: qty, avgPx: px,
      tradeDate: '20261121', transactTime: ts(base, t),
    }, false);
    push({ msgType: '0' }, c % 2 === 0);
  }
  return out;
}
