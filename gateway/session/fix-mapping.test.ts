/**
 * The desk's FIX mapping on its own: what the gateway sends passes the FIX 4.4 + Parley dictionary (so a strict
 * peer accepts it), SettlDate(64) and ExpireTime(126) travel where the brief says, and the QuoteRequest parser
 * refuses garbage, truncated, oversized and hostile values with a reason instead of throwing.
 */
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, type Field } from '../../fix/codec.ts';
import { parleyDictionary } from '../../fix/parley-protocol.ts';
import { validateMessage } from '../../fix/validate.ts';
import type { Quote, RfqView } from '../desk/desk.ts';
import type { Trade } from '../desk/trade-store.ts';
import { executionFields, parseQuoteRequest, quoteFields, quoteStatusFields, tradeCaptureFields } from './fix-mapping.ts';

const header = (type: string): Field[] => [
  { tag: 35, value: type }, { tag: 49, value: 'PARLEY' }, { tag: 56, value: 'ALICE' }, { tag: 34, value: '7' }, { tag: 52, value: '20261121-10:00:00.000' },
];
const wire = (type: string, body: Field[]) => decodeMessage(encodeMessage('FIX.4.4', [...header(type), ...body]));
const rfq = (leg: Field[]) => wire('R', [{ tag: 131, value: 'R-1' }, { tag: 146, value: '1' }, { tag: 55, value: 'XS1' }, { tag: 54, value: '1' }, { tag: 38, value: '1000000' }, ...leg]);

const quote: Quote = {
  quoteId: 'Q-1', quoteReqId: 'R-1', dealer: 'DLR1', symbol: 'XS1', currency: 'EUR', bidPx: 99.9, offerPx: 100.1, qty: 1_000_000,
  validUntil: new Date('2026-11-21T10:00:15Z'), sentAt: new Date('2026-11-21T10:00:00Z'), settlDate: '2026-11-24',
};
const trade: Trade = {
  tradeId: 'T-1', execId: 'E-1', quoteId: 'Q-1', quoteReqId: 'R-1', quoteRespId: 'R-1.h', user: 'alice', compId: 'ALICE', dealer: 'DLR1',
  symbol: 'XS1', side: 'buy', qty: 1_000_000, price: 100.1, currency: 'EUR', time: '2026-11-21T10:00:05.000Z', settlDate: '2026-11-24',
};
const view: RfqView = {
  quoteReqId: 'R-1', user: 'alice', compId: 'ALICE', symbol: 'XS1', side: 'buy', qty: 1_000_000, status: 'open',
  createdAt: '2026-11-21T10:00:00.000Z', expiresAt: '2026-11-21T10:01:00.000Z', settlDate: '2026-11-24',
  quotes: [{ quoteId: 'Q-1', dealer: 'DLR1', bidPx: 99.9, offerPx: 100.1, validUntil: '2026-11-21T10:00:15.000Z' }],
};

describe('gateway FIX mapping', () => {
  it('Quote, ExecutionReport, TradeCaptureReport and QuoteStatusReport carry SettlDate and pass the dictionary', () => {
    const dict = parleyDictionary();
    const sent = {
      S: quoteFields(quote),
      8: executionFields(trade),
      AE: tradeCaptureFields(trade, 'TH-1', 1, true),
      AI: quoteStatusFields(view, 'OR-1'),
    };
    for (const [type, body] of Object.entries(sent)) {
      const m = wire(type, body);
      expect(validateMessage(m, dict), type).toBeNull();
      expect(m.get(64), type).toBe('20261124');
    }
    expect(wire('AI', sent.AI).get(126)).toBe('20261121-10:01:00.000');
    // The best quote's ValidUntilTime stays what it was; the RFQ's own end is ExpireTime.
    expect(wire('AI', sent.AI).get(62)).toBe('20261121-10:00:15.000');
  });

  it('a trade recorded before the desk kept settlement dates is sent without SettlDate rather than a guess', () => {
    const { settlDate: _, ...old } = trade;
    const dict = parleyDictionary();
    for (const [type, body] of [['8', executionFields(old)], ['AE', tradeCaptureFields(old, 'TH-1', 1, true)]] as const) {
      const m = wire(type, body);
      expect(validateMessage(m, dict), type).toBeNull();
      expect(m.has(64), type).toBe(false);
    }
  });

  it('QuoteStatus tells a traded, cancelled or expired RFQ apart from a quoted one', () => {
    const status = (v: Partial<RfqView>) => wire('AI', quoteStatusFields({ ...view, ...v })).get(297);
    expect(status({})).toBe('0');
    expect(status({ quotes: [] })).toBe('10');
    expect(status({ status: 'done' })).toBe('6');
    expect(status({ status: 'cancelled' })).toBe('4');
    expect(status({ status: 'expired' })).toBe('7');
  });

  it('parses SettlDate(64) and ExpireTime(126) from the QuoteRequest leg', () => {
    const p = parseQuoteRequest(rfq([{ tag: 64, value: '20261124' }, { tag: 126, value: '20261121-10:01:00.000' }]));
    expect(p).toEqual({ ok: true, value: { quoteReqId: 'R-1', symbol: 'XS1', side: 'buy', qty: 1_000_000, settlDate: '2026-11-24', expireTime: new Date('2026-11-21T10:01:00Z') } });
    const bare = parseQuoteRequest(rfq([]));
    expect(bare.ok && bare.value.settlDate).toBeUndefined();
  });

  it('refuses a malformed SettlDate or ExpireTime with a reason that names the field', () => {
    for (const bad of ['2026-11-24', '20261131', '20260229', '2026112', '202611245', 'tomorrow', '', '00000000', '99999999', '\u0000'.repeat(3), '1'.repeat(5000)]) {
      const p = parseQuoteRequest(rfq([{ tag: 64, value: bad }]));
      expect(p.ok, JSON.stringify(bad.slice(0, 12))).toBe(false);
      if (!p.ok) {
        expect(p.reason).toMatch(/^SettlDate\(64\) .* is not a date \(YYYYMMDD\)$/);
        expect(p.reason.length).toBeLessThan(80);
      }
    }
    for (const bad of ['20261121', '2026-11-21T10:00:00Z', 'soon', '20261121-25:00:00']) {
      const p = parseQuoteRequest(rfq([{ tag: 126, value: bad }]));
      expect(p).toEqual({ ok: false, reason: 'ExpireTime(126) is not a UTC timestamp' });
    }
  });
});
