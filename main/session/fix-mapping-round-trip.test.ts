/**
 * The two ends of the RFQ flow against each other: what the client's mapping writes (contract types →
 * fix/protocol/) the gateway's mapping reads back, and what the gateway's mapping writes (desk types) the
 * client's reads — over the real codec and validated against the FIX 4.4 + Parley dictionary on the way.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as gw from '../../gateway/session/fix-mapping.ts';
import type { Quote, RfqView } from '../../gateway/desk/desk.ts';
import type { Trade } from '../../gateway/desk/trade-store.ts';
import { decodeMessage, encodeMessage, type Field, type FixMessage } from '../../fix/codec.ts';
import { MsgType, Tag } from '../../fix/dictionary/tags.ts';
import { parleyDictionary } from '../../fix/parley-protocol.ts';
import { validateMessage } from '../../fix/validate.ts';
import * as client from './fix-mapping.ts';

function send(type: string, body: Field[]): FixMessage {
  const m = decodeMessage(encodeMessage('FIX.4.4', [
    { tag: Tag.MsgType, value: type }, { tag: Tag.SenderCompID, value: 'ALICE' }, { tag: Tag.TargetCompID, value: 'PARLEY' },
    { tag: Tag.MsgSeqNum, value: '3' }, { tag: Tag.SendingTime, value: '20261121-10:00:00.000' }, ...body,
  ]));
  expect(validateMessage(m, parleyDictionary()), type).toBeNull();
  return m;
}

const quote: Quote = {
  quoteId: 'Q-1', quoteReqId: 'r-1', dealer: 'DLR1', symbol: 'XS1', currency: 'EUR', bidPx: 99.9, offerPx: 100.1, qty: 1_000_000,
  validUntil: new Date('2026-11-21T10:00:15Z'), sentAt: new Date('2026-11-21T10:00:00Z'), settlDate: '2026-11-24',
};
const trade: Trade = {
  tradeId: 'T-1', execId: 'E-1', quoteId: 'Q-1', quoteReqId: 'r-1', quoteRespId: 'r-1.h', user: 'alice', compId: 'ALICE', dealer: 'DLR1',
  symbol: 'XS1', side: 'buy', qty: 1_000_000, price: 100.1, currency: 'EUR', time: '2026-11-21T10:00:05.000Z', settlDate: '2026-11-24',
};
const view: RfqView = {
  quoteReqId: 'r-1', user: 'alice', compId: 'ALICE', symbol: 'XS1', side: 'buy', qty: 1_000_000, status: 'open',
  createdAt: '2026-11-21T10:00:00.000Z', expiresAt: '2026-11-21T10:01:00.000Z', settlDate: '2026-11-24',
  quotes: [{ quoteId: 'Q-1', dealer: 'DLR1', bidPx: 99.9, offerPx: 100.1, validUntil: '2026-11-21T10:00:15.000Z' }],
};

describe('client mapping → gateway mapping', () => {
  it('QuoteRequest: the RFQ the trader asked for is the RFQ the desk reads', () => {
    const m = send(MsgType.QuoteRequest, client.quoteRequestFields({
      clientRfqId: 'r-1', instrument: 'XS1', side: 'sell', quantity: 2_000_000, settlementDate: '2026-11-24', expiresAt: '2026-11-21T10:01:00.000Z',
    }));
    expect(gw.parseQuoteRequest(m)).toEqual({ ok: true, value: {
      quoteReqId: 'r-1', symbol: 'XS1', side: 'sell', qty: 2_000_000, settlDate: '2026-11-24', expireTime: new Date('2026-11-21T10:01:00.000Z'),
    } });
  });
  it('QuoteResponse, QuoteCancel, trade-history and security-list requests', () => {
    const hit = send(MsgType.QuoteResponse, client.quoteResponseFields({ quoteRespId: 'r-1.h', quoteId: 'Q-1', side: 'buy', instrument: 'XS1', quantity: 1_000_000, price: 100.1 }));
    expect(gw.parseQuoteResponse(hit)).toEqual({ ok: true, value: { quoteRespId: 'r-1.h', quoteId: 'Q-1', side: 'buy', symbol: 'XS1', qty: 1_000_000, price: 100.1 } });
    expect(gw.readQuoteCancel(send(MsgType.QuoteCancel, client.quoteCancelFields('r-1', 'Q-1')))).toEqual({ ok: true, value: { quoteReqId: 'r-1', quoteId: 'Q-1' } });
    expect(gw.readTradeCaptureRequest(send(MsgType.TradeCaptureReportRequest, client.tradeCaptureRequestFields('TH-1', 'XS1')))).toEqual({ ok: true, value: { reqId: 'TH-1', symbol: 'XS1' } });
    expect(gw.readSecurityListRequest(send(MsgType.SecurityListRequest, client.securityListRequestFields('SL-1')))).toEqual({ ok: true, value: { reqId: 'SL-1' } });
    expect(gw.readOpenRfqsRequest(send(MsgType.ParleyOpenRfqsRequest, client.openRfqsRequestFields({ requestId: 'OR-1', mode: 'subscribe' })))).toEqual({ ok: true, value: { requestId: 'OR-1', mode: 'subscribe' } });
  });
});

describe('gateway mapping → client mapping', () => {
  it('Quote', () => {
    expect(client.readQuote(send(MsgType.Quote, gw.quoteFields(quote)))).toEqual({
      quoteReqId: 'r-1', quoteId: 'Q-1', dealer: 'DLR1', validUntil: quote.validUntil, bidPx: 99.9, offerPx: 100.1, qty: 1_000_000,
    });
  });
  it('QuoteRequestReject', () => {
    expect(client.readQuoteRequestReject(send(MsgType.QuoteRequestReject, gw.quoteRequestRejectFields('r-1', 'XS1', 1, 'unknown instrument'))))
      .toEqual({ ok: true, value: { quoteReqId: 'r-1', symbol: 'XS1', reason: 1, text: 'unknown instrument' } });
  });
  it('ExecutionReport: the fill is the trade the desk booked; a refusal stays a refusal', () => {
    expect(client.readExecutionReport(send(MsgType.ExecutionReport, gw.executionFields(trade)))).toEqual({
      kind: 'fill', quoteRespId: 'r-1.h',
      execution: { execId: 'E-1', dealer: 'DLR1', instrument: 'XS1', side: 'buy', quantity: 1_000_000, price: 100.1, transactTime: trade.time, tradeDate: '2026-11-21', settlementDate: '2026-11-24' },
    });
    const rej = gw.executionRejectFields({ quoteRespId: 'r-1.h', quoteId: 'Q-1', side: 'buy', symbol: 'XS1' }, 'the quote expired', 'expired');
    expect(client.readExecutionReport(send(MsgType.ExecutionReport, rej))).toEqual({ kind: 'rejected', quoteRespId: 'r-1.h', reason: 'the quote expired' });
  });
  it('QuoteStatusReport: the risk view row and the answer to a cancel', () => {
    const row = client.readOpenRfqStatus(send(MsgType.QuoteStatusReport, gw.quoteStatusFields(view, 'OR-1')));
    expect(row).toEqual({ closed: false, row: {
      rfqId: 'r-1', owner: 'alice', instrument: 'XS1', side: 'buy', quantity: 1_000_000, status: 'quoted', quoteCount: 1,
      createdAt: view.createdAt, expiresAt: view.expiresAt,
    } });
    expect(client.readOpenRfqStatus(send(MsgType.QuoteStatusReport, gw.quoteStatusFields({ ...view, status: 'done' })))?.closed).toBe(true);
    expect(client.readQuoteStatus(send(MsgType.QuoteStatusReport, gw.quoteCancelledFields({ quoteReqId: 'r-1' })))).toEqual({ ok: true, value: { quoteReqId: 'r-1', state: 'cancelled' } });
  });
  it('trade history: ack and reports', () => {
    expect(client.readTradeCaptureAck(send(MsgType.TradeCaptureReportRequestAck, gw.tradeRequestAckFields('TH-1', 1)))).toEqual({ ok: true, value: { reqId: 'TH-1', count: 1, result: 0 } });
    expect(client.readTradeCaptureAck(send(MsgType.TradeCaptureReportRequestAck, gw.tradeRequestAckFields('TH-1', 0, 9, 'no')))).toEqual({ ok: true, value: { reqId: 'TH-1', count: 0, result: 9, text: 'no' } });
    expect(client.readTradeCapture(send(MsgType.TradeCaptureReport, gw.tradeCaptureFields(trade, 'TH-1', 1, true)))).toEqual({
      execId: 'E-1', clientRfqId: 'r-1', quoteId: 'T-1', dealer: 'DLR1', instrument: 'XS1', side: 'buy', quantity: 1_000_000, price: 100.1,
      settlementDate: '2026-11-24', transactTime: trade.time, last: true, reqId: 'TH-1',
    });
  });
  it('SecurityList, OpenRfqsAck and BusinessMessageReject', () => {
    const instruments = [{ symbol: 'XS1', description: 'Bund', currency: 'EUR', mid: 100 }];
    expect(client.readSecurityList(send(MsgType.SecurityList, gw.securityListFields('SL-1', instruments)))).toEqual([{ symbol: 'XS1', description: 'Bund', currency: 'EUR' }]);
    expect(client.readOpenRfqsAck(send(MsgType.ParleyOpenRfqsAck, gw.openRfqsAckFields({ requestId: 'OR-1', count: 2 })))).toEqual({ ok: true, value: { requestId: 'OR-1', count: 2 } });
    const refused = send(MsgType.TradeCaptureReportRequest, client.tradeCaptureRequestFields('TH-1'));
    expect(client.readBusinessReject(send(MsgType.BusinessMessageReject, gw.businessRejectFields(refused, 6, 'not allowed', { decision: 'deny' })))).toEqual({
      ok: true, value: { refMsgType: 'AD', refSeqNum: 3, refId: 'TH-1', reason: 6, text: 'not allowed', decision: 'deny' },
    });
  });
});

describe('the mapping files only translate', () => {
  it('hold no tag numbers and no MsgType literals', () => {
    for (const file of ['main/session/fix-mapping.ts', 'gateway/session/fix-mapping.ts']) {
      const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
      expect(text, file).not.toMatch(/\.(get|has|getAll|getInt|require[A-Za-z]*)\(\s*[0-9]{1,4}\b|tag:\s*[0-9]{1,4}\b/);
      expect(text, file).not.toMatch(/send\(\s*'|msgType\s*===?\s*'/);
    }
  });
});
