import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FixMessage, type Field } from '../../fix/codec.ts';
import { parleyDictionary } from '../../fix/parley-protocol.ts';
import { validateMessage } from '../../fix/validate.ts';
import {
  clientRfqIdFromResp,
  quoteCancelFields,
  quoteRequestFields,
  quoteResponseFields,
  readExecutionReport,
  readOpenRfqStatus,
  readQuote,
  readSecurityList,
  readTradeCapture,
  securityListRequestFields,
  tradeCaptureRequestFields,
} from './fix-mapping.ts';

const header = (type: string): Field[] => [
  { tag: 35, value: type }, { tag: 49, value: 'ALICE' }, { tag: 56, value: 'PARLEY' }, { tag: 34, value: '7' }, { tag: 52, value: '20261121-10:00:00.000' },
];
const wire = (type: string, body: Field[]) => decodeMessage(encodeMessage('FIX.4.4', [...header(type), ...body]));
const msg = (type: string, body: Field[]) => new FixMessage([...header(type), ...body]);

describe('client FIX mapping', () => {
  it('what the client sends passes the FIX 4.4 + Parley dictionary', () => {
    const dict = parleyDictionary();
    for (const [type, body] of [
      ['R', quoteRequestFields({ clientRfqId: 'r-1', instrument: 'US912828ZT0', side: 'buy', quantity: 5_000_000, settlementDate: '2026-11-24' })],
      ['R', quoteRequestFields({ clientRfqId: 'r-2', instrument: 'US912828ZT0', side: 'buy', quantity: 5_000_000, settlementDate: '2026-11-24', expiresAt: '2026-11-21T10:01:00.000Z' })],
      ['AJ', quoteResponseFields({ quoteRespId: 'r-1.h', quoteId: 'Q-1', side: 'sell', instrument: 'US912828ZT0', quantity: 1_000_000, price: 99.25 })],
      ['Z', quoteCancelFields('r-1', 'Q-1')],
      ['AD', tradeCaptureRequestFields('TH-1', 'US912828ZT0')],
      ['x', securityListRequestFields('SL-1')],
    ] as const) {
      expect(validateMessage(wire(type, [...body]), dict), type).toBeNull();
    }
  });

  it('reads a quote and refuses one it cannot trust', () => {
    const good: Field[] = [
      { tag: 131, value: 'r-1' }, { tag: 117, value: 'Q-1' }, { tag: 132, value: '99.5' }, { tag: 133, value: '100.25' },
      { tag: 38, value: '1000000' }, { tag: 62, value: '20261121-10:00:15.000' }, { tag: 5024, value: 'DLR1' },
    ];
    expect(readQuote(msg('S', good))).toMatchObject({ quoteReqId: 'r-1', quoteId: 'Q-1', bidPx: 99.5, offerPx: 100.25, qty: 1_000_000 });
    const without = (tag: number) => good.filter((f) => f.tag !== tag);
    expect(readQuote(msg('S', without(131)))).toBeUndefined();
    expect(readQuote(msg('S', without(62)))).toBeUndefined();
    expect(readQuote(msg('S', [...without(62), { tag: 62, value: 'tomorrow' }]))).toBeUndefined();
    expect(readQuote(msg('S', [...without(117), { tag: 117, value: 'Q 1; DROP' }]))).toBeUndefined();
    expect(readQuote(msg('S', [...without(133), { tag: 133, value: '1e309' }]))?.offerPx).toBeUndefined();
    expect(readQuote(msg('S', [...without(133), { tag: 133, value: 'NaN' }]))?.offerPx).toBeUndefined();
  });

  it('reads fills and refusals, and maps a QuoteRespID back to its RFQ', () => {
    const fill: Field[] = [
      { tag: 11, value: 'r-1.h' }, { tag: 693, value: 'r-1.h' }, { tag: 17, value: 'E-1' }, { tag: 150, value: 'F' }, { tag: 39, value: '2' },
      { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 32, value: '1000000' }, { tag: 31, value: '100.25' },
      { tag: 60, value: '20261121-10:00:01.000' }, { tag: 5024, value: 'DLR1' },
    ];
    expect(readExecutionReport(msg('8', fill))).toMatchObject({ kind: 'fill', quoteRespId: 'r-1.h', execution: { execId: 'E-1', side: 'buy', price: 100.25 } });
    expect(readExecutionReport(msg('8', [...fill.filter((f) => f.tag !== 150 && f.tag !== 39), { tag: 150, value: '8' }, { tag: 39, value: '8' }, { tag: 58, value: 'expired' }]))).toEqual({ kind: 'rejected', quoteRespId: 'r-1.h', reason: 'expired' });
    expect(readExecutionReport(msg('8', fill.filter((f) => f.tag !== 32 && f.tag !== 38)))).toBeUndefined();
    expect(readExecutionReport(msg('8', [...fill.filter((f) => f.tag !== 32), { tag: 32, value: '-5' }]))).toBeUndefined();
    expect(readExecutionReport(msg('8', []))).toBeUndefined();
    expect(clientRfqIdFromResp('r-1.h')).toBe('r-1');
    expect(clientRfqIdFromResp('r-1.h3')).toBe('r-1');
    expect(clientRfqIdFromResp('nothing')).toBeUndefined();
  });

  it('reads trade capture reports and security lists; a lying group count is bounded', () => {
    const ae: Field[] = [
      { tag: 571, value: 'T-1' }, { tag: 568, value: 'TH-1' }, { tag: 912, value: 'Y' }, { tag: 17, value: 'E-1' }, { tag: 55, value: 'US912828ZT0' },
      { tag: 32, value: '1000000' }, { tag: 31, value: '99.5' }, { tag: 75, value: '20261121' }, { tag: 60, value: '20261121-10:00:01.000' },
      { tag: 54, value: '2' }, { tag: 37, value: 'T-1' }, { tag: 11, value: 'r-9.h' }, { tag: 5024, value: 'DLR2' },
    ];
    expect(readTradeCapture(msg('AE', ae))).toMatchObject({ execId: 'E-1', clientRfqId: 'r-9', side: 'sell', last: true, settlementDate: '2026-11-21' });
    expect(readTradeCapture(msg('AE', ae.filter((f) => f.tag !== 60)))).toBeUndefined();
    const list = readSecurityList(msg('y', [
      { tag: 320, value: 'SL-1' }, { tag: 146, value: '999999' },
      { tag: 55, value: 'US912828ZT0' }, { tag: 107, value: 'UST' }, { tag: 15, value: 'USD' },
      { tag: 55, value: 'bad symbol' }, { tag: 15, value: 'usd' },
    ]));
    expect(list).toEqual([{ symbol: 'US912828ZT0', description: 'UST', currency: 'USD' }]);
  });

  it("sends the RFQ's settlement date and expiry on the NoRelatedSym entry", () => {
    const m = wire('R', quoteRequestFields({ clientRfqId: 'r-1', instrument: 'US912828ZT0', side: 'sell', quantity: 1, settlementDate: '2026-11-24', expiresAt: '2026-11-21T10:01:00.000Z' }));
    expect(m.get(64)).toBe('20261124');
    expect(m.get(126)).toBe('20261121-10:01:00.000');
    expect(wire('R', quoteRequestFields({ clientRfqId: 'r-1', instrument: 'X', side: 'sell', quantity: 1, settlementDate: '2026-11-24', expiresAt: 'garbage' })).has(126)).toBe(false);
  });

  it("takes the desk's SettlDate from a fill and a trade capture report; an impossible one is not passed on", () => {
    const fill: Field[] = [
      { tag: 11, value: 'r-1.h' }, { tag: 17, value: 'E-1' }, { tag: 150, value: 'F' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' },
      { tag: 32, value: '1000000' }, { tag: 31, value: '100.25' }, { tag: 60, value: '20261121-10:00:01.000' },
    ];
    const exec = (extra: Field[]) => { const r = readExecutionReport(msg('8', [...fill, ...extra])); return r?.kind === 'fill' ? r.execution : undefined; };
    expect(exec([{ tag: 64, value: '20261124' }])).toMatchObject({ settlementDate: '2026-11-24', tradeDate: '2026-11-21' });
    expect(exec([{ tag: 64, value: '20260230' }])?.settlementDate).toBeUndefined();
    expect(exec([])?.settlementDate).toBeUndefined();
    const ae: Field[] = [
      { tag: 571, value: 'T-1' }, { tag: 568, value: 'TH-1' }, { tag: 17, value: 'E-1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 32, value: '1' },
      { tag: 31, value: '99.5' }, { tag: 75, value: '20261121' }, { tag: 60, value: '20261121-10:00:01.000' }, { tag: 54, value: '2' }, { tag: 11, value: 'r-9.h' },
    ];
    expect(readTradeCapture(msg('AE', [...ae, { tag: 64, value: '20261124' }]))?.settlementDate).toBe('2026-11-24');
    // An old trade without one (or a damaged one) shows its trade date, as before, rather than an invalid date.
    expect(readTradeCapture(msg('AE', [...ae, { tag: 64, value: '20261131' }]))?.settlementDate).toBe('2026-11-21');
  });

  it("reads the risk officer's open-RFQ reports with their expiry and knows which ones close the row", () => {
    const ai: Field[] = [
      { tag: 131, value: 'r-1' }, { tag: 117, value: 'Q-1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 38, value: '5000000' },
      { tag: 132, value: '99' }, { tag: 133, value: '99.5' }, { tag: 62, value: '20261121-10:00:15.000' }, { tag: 126, value: '20261121-10:01:00.000' },
      { tag: 60, value: '20261121-10:00:00.000' }, { tag: 297, value: '0' }, { tag: 5024, value: 'DLR1' }, { tag: 5029, value: 'alice' },
    ];
    const read = (status: string, extra: Field[] = []) => readOpenRfqStatus(msg('AI', [...ai.filter((f) => f.tag !== 297), { tag: 297, value: status }, ...extra]));
    expect(read('0')).toEqual({
      closed: false,
      row: { rfqId: 'r-1', owner: 'alice', instrument: 'US912828ZT0', side: 'buy', quantity: 5_000_000, status: 'quoted', quoteCount: 1, createdAt: '2026-11-21T10:00:00.000Z', expiresAt: '2026-11-21T10:01:00.000Z' },
    });
    expect(read('6')).toMatchObject({ closed: true, row: { status: 'executed' } });
    expect(read('4')).toMatchObject({ closed: true, row: { status: 'cancelled' } });
    expect(read('7')).toMatchObject({ closed: true, row: { status: 'expired' } });
    expect(read('10', [])?.closed).toBe(false);
    const noExpiry = readOpenRfqStatus(msg('AI', ai.filter((f) => f.tag !== 126)));
    expect(noExpiry?.row.expiresAt).toBeUndefined();
    expect(readOpenRfqStatus(msg('AI', [...ai.filter((f) => f.tag !== 126), { tag: 126, value: 'soon' }]))?.row.expiresAt).toBeUndefined();
    // Not the risk view (no owner), hostile ids, no side or quantity: nothing is made up.
    expect(readOpenRfqStatus(msg('AI', ai.filter((f) => f.tag !== 5029)))).toBeUndefined();
    expect(readOpenRfqStatus(msg('AI', [...ai.filter((f) => f.tag !== 131), { tag: 131, value: 'r 1<script>' }]))).toBeUndefined();
    expect(readOpenRfqStatus(msg('AI', ai.filter((f) => f.tag !== 54)))).toBeUndefined();
    expect(readOpenRfqStatus(msg('AI', [...ai.filter((f) => f.tag !== 38), { tag: 38, value: '-1' }]))).toBeUndefined();
    expect(readOpenRfqStatus(msg('AI', []))).toBeUndefined();
    expect(readOpenRfqStatus(msg('AI', [...ai.filter((f) => f.tag !== 5029), { tag: 5029, value: 'x'.repeat(10_000) }]))?.row.owner).toHaveLength(200);
  });
});

