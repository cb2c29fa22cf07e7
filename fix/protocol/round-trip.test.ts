/**
 * Every RFQ-flow message: what one side's writer sends (over the real codec: encode → bytes → decode) the
 * other side's reader reads back to the same values, and the message passes the FIX 4.4 + Parley dictionary.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Field, type FixMessage } from '../codec.ts';
import { MsgType, Tag } from '../dictionary/tags.ts';
import { parleyDictionary } from '../parley-protocol.ts';
import { validateMessage } from '../validate.ts';
import {
  readAttestation, readAttestationRequest, readBusinessReject, readDealerListRequest, readExecutionReport, readOpenRfqsAck,
  readOpenRfqsRequest, readQuote, readQuoteCancel, readQuoteRequest, readQuoteRequestReject, readQuoteResponse, readQuoteStatus,
  readRfqStatus, readSecurityList, readSecurityListRequest, readTradeCapture, readTradeCaptureAck, readTradeCaptureRequest,
  readLogonDecision, readLogonRequest, rejectRefOf, writeAttestation, writeLogonCredentials, writeLogonDecision, writeAttestationRequest, writeBusinessReject, writeDealerListRequest, writeExecutionFill,
  writeExecutionReject, writeOpenRfqsAck, writeOpenRfqsRequest, writeQuote, writeQuoteCancel, writeQuoteCancelled, writeQuoteRequest,
  writeQuoteRequestReject, writeQuoteResponse, writeRfqStatus, writeSecurityList, writeSecurityListRequest, writeTradeCapture,
  writeTradeCaptureAck, writeTradeCaptureRequest, type ReadResult, dealerListFields, readDealerList,
} from './index.ts';

const header = (type: string): Field[] => [
  { tag: Tag.MsgType, value: type }, { tag: Tag.SenderCompID, value: 'A' }, { tag: Tag.TargetCompID, value: 'B' },
  { tag: Tag.MsgSeqNum, value: '7' }, { tag: Tag.SendingTime, value: '20261121-10:00:00.000' },
];
/** Body → the bytes a peer receives → the FixMessage its session hands over, checked against the dictionary. */
function send(type: string, body: Field[]): FixMessage {
  const m = decodeMessage(encodeMessage('FIX.4.4', [...header(type), ...body]));
  expect(validateMessage(m, parleyDictionary()), type).toBeNull();
  return m;
}
function value<T>(r: ReadResult<T>): T {
  if (!r.ok) throw new Error(`refused: ${r.reason}`);
  return r.value;
}
const t0 = new Date('2026-11-21T10:00:00.000Z');
const t1 = new Date('2026-11-21T10:00:15.250Z');

describe('client writer → gateway reader', () => {
  it('QuoteRequest (R)', () => {
    const r = { quoteReqId: 'r-1', symbol: 'XS1', side: 'buy' as const, qty: 5_000_000, settlDate: '2026-11-24', expireTime: t1 };
    expect(value(readQuoteRequest(send(MsgType.QuoteRequest, writeQuoteRequest(r))))).toEqual(r);
    const bare = { quoteReqId: 'r-2', symbol: 'XS1', qty: 1 };
    expect(value(readQuoteRequest(send(MsgType.QuoteRequest, writeQuoteRequest(bare))))).toEqual(bare);
  });
  it('QuoteResponse (AJ)', () => {
    const h = { quoteRespId: 'r-1.h', quoteId: 'Q-1', side: 'sell' as const, symbol: 'XS1', qty: 1_000_000, price: 99.25 };
    expect(value(readQuoteResponse(send(MsgType.QuoteResponse, writeQuoteResponse(h))))).toEqual(h);
  });
  it('QuoteCancel (Z)', () => {
    expect(value(readQuoteCancel(send(MsgType.QuoteCancel, writeQuoteCancel({ quoteReqId: 'r-1', quoteId: 'Q-1' }))))).toEqual({ quoteReqId: 'r-1', quoteId: 'Q-1' });
    expect(value(readQuoteCancel(send(MsgType.QuoteCancel, writeQuoteCancel({ quoteReqId: 'r-1' }))))).toEqual({ quoteReqId: 'r-1', quoteId: 'r-1' });
  });
  it('TradeCaptureReportRequest (AD)', () => {
    expect(value(readTradeCaptureRequest(send(MsgType.TradeCaptureReportRequest, writeTradeCaptureRequest({ reqId: 'TH-1', symbol: 'XS1' }))))).toEqual({ reqId: 'TH-1', symbol: 'XS1' });
    expect(value(readTradeCaptureRequest(send(MsgType.TradeCaptureReportRequest, writeTradeCaptureRequest({ reqId: 'TH-2' }))))).toEqual({ reqId: 'TH-2' });
  });
  it('SecurityListRequest (x)', () => {
    expect(value(readSecurityListRequest(send(MsgType.SecurityListRequest, writeSecurityListRequest({ reqId: 'SL-1' }))))).toEqual({ reqId: 'SL-1' });
  });
  it('Parley requests: Attestation (UA), DealerListRequest (UH), OpenRfqsRequest (UI)', () => {
    expect(value(readAttestation(send(MsgType.ParleyAttestation, writeAttestation('a.b.c'))))).toEqual({ jws: 'a.b.c' });
    expect(value(readDealerListRequest(send(MsgType.ParleyDealerListRequest, writeDealerListRequest({ requestId: 'DL-1' }))))).toEqual({ requestId: 'DL-1' });
    for (const mode of ['snapshot', 'subscribe', 'unsubscribe'] as const) {
      expect(value(readOpenRfqsRequest(send(MsgType.ParleyOpenRfqsRequest, writeOpenRfqsRequest({ requestId: 'OR-1', mode }))))).toEqual({ requestId: 'OR-1', mode });
    }
  });
});

describe('Logon(A) both ways', () => {
  it('credentials and attestation, client → gateway', () => {
    const m = send(MsgType.Logon, [{ tag: Tag.EncryptMethod, value: '0' }, { tag: Tag.HeartBtInt, value: '30' }, ...writeLogonCredentials({ username: 'alice', password: 'pw', attestation: 'a.b.c' })]);
    expect(value(readLogonRequest(m))).toEqual({ compId: 'A', username: 'alice', password: 'pw', heartBtInt: 30, attestation: 'a.b.c' });
    expect(readLogonRequest(send(MsgType.Logon, [{ tag: Tag.EncryptMethod, value: '0' }, { tag: Tag.HeartBtInt, value: '30' }]))).toEqual({ ok: false, reason: 'Username(553) and Password(554) are required' });
  });
  it('the decision, gateway → client', () => {
    const d = { decision: 'step-up' as const, score: 25, factors: [{ name: 'network', condition: 'public wifi', score: 25 }], role: 'Trader' };
    const m = send(MsgType.Logon, [{ tag: Tag.EncryptMethod, value: '0' }, { tag: Tag.HeartBtInt, value: '30' }, ...writeLogonDecision(d)]);
    expect(value(readLogonDecision(m))).toEqual(d);
  });
});

describe('gateway writer → client reader', () => {
  it('Quote (S)', () => {
    const q = { quoteReqId: 'r-1', quoteId: 'Q-1', symbol: 'XS1', qty: 1_000_000, currency: 'EUR', bidPx: 99.9, offerPx: 100.1, settlDate: '2026-11-24', validUntil: t1, sentAt: t0, dealer: 'DLR1' };
    const { sentAt: _, ...read } = q;
    expect(value(readQuote(send(MsgType.Quote, writeQuote(q))))).toEqual(read);
  });
  it('QuoteRequestReject (AG)', () => {
    const r = { quoteReqId: 'r-1', symbol: 'XS1', reason: 1, text: 'unknown instrument' };
    expect(value(readQuoteRequestReject(send(MsgType.QuoteRequestReject, writeQuoteRequestReject(r))))).toEqual(r);
    expect(value(readQuoteRequestReject(send(MsgType.QuoteRequestReject, writeQuoteRequestReject({ quoteReqId: '', reason: 99, text: 'x' }))))).toEqual({ quoteReqId: 'UNKNOWN', reason: 99, text: 'x' });
  });
  it('ExecutionReport (8): a fill and a refusal', () => {
    const fill = { orderId: 'T-1', quoteRespId: 'r-1.h', execId: 'E-1', symbol: 'XS1', side: 'buy' as const, qty: 1_000_000, price: 100.1, currency: 'EUR', transactTime: t1, settlDate: '2026-11-24', dealer: 'DLR1' };
    expect(value(readExecutionReport(send(MsgType.ExecutionReport, writeExecutionFill(fill))))).toEqual({ kind: 'fill', ...fill });
    const rej = { quoteRespId: 'r-1.h', execId: 'REJ-1', text: 'the quote expired', symbol: 'XS1', side: 'sell' as const, code: 'expired' };
    expect(value(readExecutionReport(send(MsgType.ExecutionReport, writeExecutionReject(rej))))).toEqual({ kind: 'rejected', quoteRespId: 'r-1.h', execId: 'REJ-1', text: 'the quote expired', symbol: 'XS1', code: 'expired' });
  });
  it('QuoteStatusReport (AI): every state of the risk view, and the answer to a cancel', () => {
    const base = { quoteReqId: 'r-1', owner: 'alice', symbol: 'XS1', side: 'buy' as const, qty: 1_000_000, settlDate: '2026-11-24', createdAt: t0, expiresAt: t1, requestId: 'OR-1' };
    const best = { quoteId: 'Q-1', dealer: 'DLR1', bidPx: 99.9, offerPx: 100.1, validUntil: t1 };
    for (const state of ['pending', 'quoted', 'cancelled', 'expired', 'executed'] as const) {
      const m = send(MsgType.QuoteStatusReport, writeRfqStatus({ ...base, state, ...(state === 'pending' ? {} : { best }), text: `RFQ ${state}` }));
      const row = value(readRfqStatus(m));
      expect(row).toMatchObject({ quoteReqId: 'r-1', owner: 'alice', symbol: 'XS1', side: 'buy', qty: 1_000_000, state, createdAt: t0, expiresAt: t1, requestId: 'OR-1' });
      expect(row.closed).toBe(state === 'cancelled' || state === 'expired' || state === 'executed');
      expect(value(readQuoteStatus(m))).toEqual({ quoteReqId: 'r-1', state, owner: 'alice', requestId: 'OR-1' });
    }
    const cancelled = send(MsgType.QuoteStatusReport, writeQuoteCancelled({ quoteReqId: 'r-1', quoteId: 'Q-1' }));
    expect(value(readQuoteStatus(cancelled))).toEqual({ quoteReqId: 'r-1', state: 'cancelled' });
    expect(readRfqStatus(cancelled).ok).toBe(false); // not a row of the risk view
  });
  it('TradeCaptureReportRequestAck (AQ) and TradeCaptureReport (AE)', () => {
    expect(value(readTradeCaptureAck(send(MsgType.TradeCaptureReportRequestAck, writeTradeCaptureAck({ reqId: 'TH-1', count: 2, result: 0 }))))).toEqual({ reqId: 'TH-1', count: 2, result: 0 });
    expect(value(readTradeCaptureAck(send(MsgType.TradeCaptureReportRequestAck, writeTradeCaptureAck({ reqId: 'TH-1', count: 0, result: 9, text: 'not allowed' }))))).toEqual({ reqId: 'TH-1', count: 0, result: 9, text: 'not allowed' });
    const t = { tradeId: 'T-1', reqId: 'TH-1', total: 1, last: true, execId: 'E-1', symbol: 'XS1', side: 'sell' as const, qty: 1_000_000, price: 99.5, transactTime: t1, settlDate: '2026-11-24', quoteRespId: 'r-9.h', currency: 'EUR', dealer: 'DLR2' };
    expect(value(readTradeCapture(send(MsgType.TradeCaptureReport, writeTradeCapture(t))))).toEqual({
      reqId: 'TH-1', execId: 'E-1', symbol: 'XS1', side: 'sell', qty: 1_000_000, price: 99.5, transactTime: t1, tradeDate: '2026-11-21',
      settlDate: '2026-11-24', last: true, tradeId: 'T-1', orderId: 'T-1', quoteRespId: 'r-9.h', dealer: 'DLR2',
    });
  });
  it('SecurityList (y)', () => {
    const instruments = [{ symbol: 'XS1', description: 'Bund 2030', currency: 'EUR' }, { symbol: 'US9', description: 'UST 10y', currency: 'USD' }];
    expect(value(readSecurityList(send(MsgType.SecurityList, writeSecurityList({ reqId: 'SL-1', instruments }))))).toEqual({ reqId: 'SL-1', instruments });
    expect(value(readSecurityList(send(MsgType.SecurityList, writeSecurityList({ reqId: 'SL-2', instruments: [] }))))).toEqual({ reqId: 'SL-2', instruments: [] });
  });
  it('BusinessMessageReject (j) refers to the refused message and carries the decision', () => {
    const refused = send(MsgType.QuoteRequest, writeQuoteRequest({ quoteReqId: 'r-1', symbol: 'XS1', qty: 1 }));
    const f = writeBusinessReject({ ...rejectRefOf(refused), reason: 6, text: 'step-up needed', decision: 'step-up', challengeId: 'C-1', policyReason: 'large notional' });
    expect(value(readBusinessReject(send(MsgType.BusinessMessageReject, f)))).toEqual({
      refMsgType: 'R', refSeqNum: 7, refId: 'r-1', reason: 6, text: 'step-up needed', decision: 'step-up', challengeId: 'C-1', policyReason: 'large notional',
    });
  });
  it('ParleyDealerList (UG)', () => {
    const dealers = [{ name: 'DLR1', delayMs: 150, spreadBps: 2.5 }, { name: 'DLR2', delayMs: 0, spreadBps: 0 }];
    expect(readDealerList(send(MsgType.ParleyDealerList, dealerListFields(dealers, 'DL-1')))).toEqual(dealers);
  });
  it('Parley answers: AttestationRequest (UF), OpenRfqsAck (UJ)', () => {
    expect(value(readAttestationRequest(send(MsgType.ParleyAttestationRequest, writeAttestationRequest({ deadline: t1, intervalSec: 300, text: 'please' }))))).toEqual({ deadline: t1, intervalSec: 300, text: 'please' });
    expect(value(readOpenRfqsAck(send(MsgType.ParleyOpenRfqsAck, writeOpenRfqsAck({ requestId: 'OR-1', count: 3 }))))).toEqual({ requestId: 'OR-1', count: 3 });
    expect(value(readOpenRfqsAck(send(MsgType.ParleyOpenRfqsAck, writeOpenRfqsAck({ requestId: 'OR-1', count: 0, text: 'forbidden' }))))).toEqual({ requestId: 'OR-1', count: 0, text: 'forbidden' });
  });
});
