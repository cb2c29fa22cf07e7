import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FixMessage } from './codec.ts';
import { fix44Dictionary } from './dictionary/dictionary.ts';
import { TypedMessageError } from './errors.ts';
import {
  encodeTyped, fromMessage, fromMessageAs, isTypedMsgType, toFields, toFixMessage, type StandardHeader, type TypedMessage,
} from './messages.ts';
import { validateMessage } from './validate.ts';

const header: StandardHeader = {
  senderCompID: 'PARLEY-CLIENT', targetCompID: 'PARLEY-GW', msgSeqNum: 42, sendingTime: '20261121-10:00:00.123',
};
const T = '20261121-10:00:01.000';
const show = (b: Buffer): string => b.toString('latin1').replaceAll('\x01', '|');
const parties = [{ partyID: 'ACME', partyIDSource: 'D', partyRole: 3 }, { partyID: 'DESK-7', partyIDSource: 'D', partyRole: 11 }];

const SAMPLES: TypedMessage[] = [
  { msgType: 'A', encryptMethod: 0, heartBtInt: 30, resetSeqNumFlag: true, nextExpectedMsgSeqNum: 1, username: 'u', password: 'p',
    msgTypes: [{ refMsgType: 'R', msgDirection: 'S' }, { refMsgType: 'S', msgDirection: 'R' }] },
  { msgType: '0' },
  { msgType: '0', testReqID: 'TR-1' },
  { msgType: '1', testReqID: 'TR-2' },
  { msgType: '2', beginSeqNo: 5, endSeqNo: 0 },
  { msgType: '3', refSeqNum: 7, refTagID: 55, refMsgType: '0', sessionRejectReason: 2, text: 'Tag not defined for this message type' },
  { msgType: '4', gapFillFlag: true, newSeqNo: 12 },
  { msgType: '5', text: 'bye' },
  { msgType: 'R', quoteReqID: 'RFQ-1', rfqReqID: 'RR-1', clOrdID: 'C1', orderCapacity: 'A', text: 'two legs',
    relatedSym: [
      { symbol: 'EUR/USD', securityID: 'EURUSD', securityIDSource: '8', side: '1', orderQty: 1_000_000, settlType: '0',
        settlDate: '20261125', currency: 'EUR', account: 'ACC-1', quoteType: 1, transactTime: T, validUntilTime: T,
        expireTime: T, price: 1.08515, ordType: 'D', quotePriceType: 2, parties },
      { symbol: 'GBP/USD', orderQty: 2.5e6, side: '2', settlDate2: '20261226', orderQty2: 1_000_000 },
    ] },
  { msgType: 'S', quoteReqID: 'RFQ-1', quoteID: 'Q-1', quoteType: 1, parties, symbol: 'EUR/USD', securityID: 'EURUSD',
    securityIDSource: '8', side: '1', orderQty: 1_000_000, settlType: '0', settlDate: '20261125', currency: 'EUR',
    account: 'ACC-1', bidPx: 1.08498, offerPx: 1.08512, bidSize: 1_000_000, offerSize: 1_000_000, validUntilTime: T,
    bidSpotRate: 1.085, offerSpotRate: 1.0851, bidForwardPoints: -0.00002, offerForwardPoints: 0.00003, transactTime: T,
    ordType: 'D', text: 'indicative' },
  { msgType: 'AG', quoteReqID: 'RFQ-1', rfqReqID: 'RR-1', quoteRequestRejectReason: 99, text: 'no appetite',
    relatedSym: [{ symbol: 'EUR/USD', side: '1', orderQty: 1e6, settlDate: '20261125', currency: 'EUR' }] },
  { msgType: 'AJ', quoteRespID: 'QR-1', quoteID: 'Q-1', quoteRespType: 1, clOrdID: 'C1', parties, symbol: 'EUR/USD',
    side: '1', orderQty: 1e6, settlType: '0', settlDate: '20261125', currency: 'EUR', account: 'ACC-1', price: 1.08512,
    transactTime: T, ordType: 'D', text: 'hit' },
  { msgType: 'AI', quoteStatusReqID: 'QS-1', quoteReqID: 'RFQ-1', quoteID: 'Q-1', quoteType: 1, symbol: 'EUR/USD',
    side: '1', orderQty: 1e6, settlDate: '20261125', currency: 'EUR', bidPx: 1.08, offerPx: 1.09, validUntilTime: T,
    transactTime: T, quoteStatus: 7, text: 'expired', parties },
  { msgType: 'Z', quoteReqID: 'RFQ-1', quoteID: 'Q-1', quoteCancelType: 4, quoteResponseLevel: 0, account: 'ACC-1',
    parties, quoteEntries: [{ symbol: 'EUR/USD', securityID: 'EURUSD', securityIDSource: '8' }, { symbol: 'GBP/USD' }] },
  { msgType: '8', orderID: 'O-1', clOrdID: 'C1', quoteRespID: 'QR-1', parties, execID: 'E-1', execType: 'F', ordStatus: '2',
    account: 'ACC-1', settlType: '0', settlDate: '20261125', symbol: 'EUR/USD', securityID: 'EURUSD', securityIDSource: '8',
    side: '1', orderQty: 1e6, ordType: 'D', price: 1.08512, currency: 'EUR', lastQty: 1e6, lastPx: 1.08512, leavesQty: 0,
    cumQty: 1e6, avgPx: 1.08512, tradeDate: '20261121', transactTime: T, text: 'done' },
  { msgType: '8', orderID: 'O-2', execID: 'E-2', execType: '8', ordStatus: '8', ordRejReason: 99, symbol: 'EUR/USD', side: '2',
    leavesQty: 0, cumQty: 0, avgPx: 0 },
  { msgType: 'AD', tradeRequestID: 'TR-1', tradeRequestType: 0, subscriptionRequestType: '0', tradeReportID: 'T-1',
    execID: 'E-1', clOrdID: 'C1', parties, symbol: 'EUR/USD', securityID: 'EURUSD', securityIDSource: '8',
    dates: [{ tradeDate: '20261120' }, { tradeDate: '20261121', transactTime: T }], side: '1', text: 'today' },
  { msgType: 'AE', tradeReportID: 'T-1', tradeReportTransType: 0, tradeReportType: 0, tradeRequestID: 'TR-1', execType: 'F',
    totNumTradeReports: 1, lastRptRequested: true, previouslyReported: false, execID: 'E-1', ordStatus: '2',
    symbol: 'EUR/USD', securityID: 'EURUSD', securityIDSource: '8', lastQty: 1e6, lastPx: 1.08512, tradeDate: '20261121',
    transactTime: T, settlType: '0', settlDate: '20261125',
    sides: [
      { side: '1', orderID: 'O-1', clOrdID: 'C1', parties, account: 'ACC-1', currency: 'EUR', text: 'buyer' },
      { side: '2', orderID: 'O-1D', parties: [{ partyID: 'PARLEY', partyRole: 1 }] },
    ] },
];

/** Drops properties that are undefined, for comparing decoded objects with the literals above. */
function defined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(defined);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, defined(x)]));
  }
  return v;
}

describe('typed messages', () => {
  const dict = fix44Dictionary();

  it.each(SAMPLES.map((m) => [m.msgType, m] as const))('%s round-trips through bytes and validates', (_mt, sample) => {
    const bytes = encodeMessage('FIX.4.4', toFields(sample, header));
    const decoded = decodeMessage(bytes);
    expect(validateMessage(decoded, dict)).toBeNull();
    const typed = fromMessage(decoded);
    expect(defined(typed)).toEqual({ ...sample, header });
    expect(defined(fromMessage(decoded, { validated: true }))).toEqual({ ...sample, header });
    // And the same bytes again from the decoded object, and from the direct encoder.
    expect(encodeMessage('FIX.4.4', toFields(typed))).toEqual(bytes);
    expect(encodeTyped('FIX.4.4', sample, header)).toEqual(bytes);
    expect(encodeTyped('FIX.4.4', typed)).toEqual(bytes);
  });

  it('encodeTyped writes decimals exactly as the Field path does', () => {
    const values = [0, -0, 1, -1, 0.1, 1.08512, -0.00002, 1e-7, 123456789.125, 1e15, 1e20, 0.1 + 0.2, 1e-12, 2 ** 53, 1 / 3, 99.99999999999, 1.5e-10];
    for (const v of values) {
      const m: TypedMessage = { msgType: 'S', quoteID: 'Q', symbol: 'X', bidPx: v };
      expect(show(encodeTyped('FIX.4.4', m)), String(v)).toBe(show(encodeMessage('FIX.4.4', toFields(m))));
      expect((fromMessage(decodeMessage(encodeTyped('FIX.4.4', m))) as { bidPx: number }).bidPx).toBe(v === 0 ? 0 : v);
    }
  });

  it('encodeTyped refuses bad input like toFields does, and leaves the encoder usable', () => {
    expect(() => encodeTyped('FIX.4.4', { msgType: 'R', quoteReqID: 'Q', relatedSym: [{ symbol: 'X', side: 'Z' }] })).toThrow(/side="Z"/);
    expect(() => encodeTyped('FIX.4.4', { msgType: 'S', quoteID: 'Q', symbol: 'X', quoteType: 9 })).toThrow(/quoteType="9"/);
    expect(() => encodeTyped('FIX.4.4', { msgType: 'S', quoteID: 'Q', symbol: 'X', bidPx: Number.NaN })).toThrow(/finite/);
    expect(() => encodeTyped('FIX.4.4', { msgType: 'S', quoteID: 'Q', symbol: 'X€' })).toThrow(/Latin-1/);
    expect(() => encodeTyped('FIX.4.4', { msgType: 'Q' } as unknown as TypedMessage)).toThrow(/no typed form/);
    expect(decodeMessage(encodeTyped('FIX.4.4', { msgType: '0' }, header)).seqNum).toBe(42);
  });

  it('covers every typed MsgType', () => {
    const covered = new Set(SAMPLES.map((m) => m.msgType));
    for (const mt of ['A', '0', '1', '2', '3', '4', '5', 'R', 'S', 'AG', 'AJ', 'AI', 'Z', '8', 'AD', 'AE']) {
      expect(isTypedMsgType(mt)).toBe(true);
      expect(covered.has(mt as TypedMessage['msgType'])).toBe(true);
    }
    expect(isTypedMsgType('D')).toBe(false);
  });

  it('emits 35 first, then the header, then the body with groups in order', () => {
    const f = toFields(SAMPLES.find((m) => m.msgType === 'R')!, header);
    expect(f.slice(0, 5).map((x) => x.tag)).toEqual([35, 49, 56, 34, 52]);
    const tags = f.map((x) => x.tag);
    const g = tags.indexOf(146);
    expect(f[g]!.value).toBe('2');
    expect(tags[g + 1]).toBe(55); // the delimiter first in each instance
    expect(tags.lastIndexOf(55)).toBeGreaterThan(tags.indexOf(453));
    expect(toFields({ msgType: '0' }).map((x) => x.tag)).toEqual([35]);
  });

  it('formats numbers the FIX way', () => {
    const f = toFields({ msgType: 'S', quoteID: 'Q', symbol: 'X', bidPx: 1e-7, offerPx: 123456789.125, bidSize: 1e20 });
    const v = Object.fromEntries(f.map((x) => [x.tag, x.value]));
    expect(v[132]).toBe('0.0000001');
    expect(v[133]).toBe('123456789.125');
    expect(v[134]).toBe('100000000000000000000');
  });

  it('decodes numbers exactly as parseFloat would', () => {
    const values = ['1.08512', '0.1', '-0.00002', '1000000', '002000.00', '123456789012.345', '0.30000000000000004', '1.', '.5'];
    for (const s of values) {
      const m = new FixMessage([{ tag: 35, value: 'S' }, { tag: 117, value: 'Q' }, { tag: 55, value: 'X' }, { tag: 132, value: s }]);
      expect((fromMessage(m) as { bidPx: number }).bidPx, s).toBe(parseFloat(s));
    }
  });

  it('refuses bad typed input with a clear error', () => {
    const bad = (m: unknown): void => { toFields(m as TypedMessage); };
    expect(() => bad({ msgType: 'D' })).toThrow(/no typed form/);
    expect(() => bad({ msgType: '1' })).toThrow(/required tag 112 \(testReqID\) is missing/);
    expect(() => bad({ msgType: 'R', quoteReqID: 'Q', relatedSym: [{ side: '1' }] })).toThrow(/QuoteRequest.relatedSym: required tag 55/);
    expect(() => bad({ msgType: 'R', quoteReqID: 'Q', relatedSym: [{ symbol: 'X', side: 'Z' }] })).toThrow(/side="Z" is not a valid CHAR \(allowed: 1, 2/);
    expect(() => bad({ msgType: 'R', quoteReqID: 'Q', relatedSym: [{ symbol: 'X', orderQty: '5' }] })).toThrow(/orderQty must be a finite number/);
    expect(() => bad({ msgType: 'R', quoteReqID: 'Q', relatedSym: [{ symbol: 'X', orderQty: Infinity }] })).toThrow(/finite/);
    expect(() => bad({ msgType: 'R', quoteReqID: 'Q', relatedSym: { symbol: 'X' } })).toThrow(/must be an array/);
    expect(() => bad({ msgType: '2', beginSeqNo: 1.5, endSeqNo: 0 })).toThrow(/must be an integer/);
    expect(() => bad({ msgType: '4', newSeqNo: 1, gapFillFlag: 'Y' })).toThrow(/must be a boolean/);
    expect(() => bad({ msgType: '1', testReqID: '' })).toThrow(/must not be empty/);
    expect(() => bad({ msgType: 'S', quoteID: 'Q', symbol: 'X', transactTime: '2026-11-21' })).toThrow(/not a valid UTCTIMESTAMP/);
    expect(() => toFields({ msgType: '0' }, { ...header, msgSeqNum: undefined } as unknown as StandardHeader)).toThrow(/StandardHeader: required tag 34/);
  });

  it('refuses bad wire input with TypedMessageError naming the tag', () => {
    const wire = (body: string): FixMessage => new FixMessage(body.split('|').filter(Boolean).map((f) => ({ tag: Number(f.slice(0, f.indexOf('='))), value: f.slice(f.indexOf('=') + 1) })));
    const err = (body: string): TypedMessageError => {
      try {
        fromMessage(wire(body));
      } catch (e) {
        expect(e).toBeInstanceOf(TypedMessageError);
        return e as TypedMessageError;
      }
      throw new Error(`no error for ${body}`);
    };
    expect(err('35=D|11=X|').message).toMatch(/MsgType "D" has no typed form/);
    expect(err('35=1|').tag).toBe(112);
    expect(err('35=2|7=x|16=0|').message).toMatch(/tag 7 \(beginSeqNo\) is not an integer/);
    expect(err('35=S|117=Q|55=X|132=1.2.3|').tag).toBe(132);
    expect(err('35=4|36=5|123=X|').message).toMatch(/not Y or N/);
    expect(err('35=R|131=Q|146=2|55=A|').message).toMatch(/NumInGroup 146=2 but 1 instances follow/);
    expect(err('35=R|131=Q|146=1|54=1|55=A|').message).toMatch(/does not start with its delimiter 55/);
    expect(err('35=R|131=Q|146=x|').tag).toBe(146);
    expect(err('35=R|131=Q|146=1|55=A|54=Z|').message).toMatch(/tag 54 \(side\) has an invalid value "Z"/);
    expect(err('35=0|112=|').message).toMatch(/has no value/);
    expect(err('35=1|112=A|112=B|').message).toMatch(/appears more than once/);
    expect(err('35=R|131=Q|146=1|55=A|146=1|55=B|').message).toMatch(/tag 146 appears more than once/);
    expect(() => fromMessageAs(wire('35=0|'), 'A')).toThrow(/expected MsgType A/);
    expect(fromMessageAs(wire('35=0|112=X|'), '0').testReqID).toBe('X');
  });

  it('ignores fields and groups it does not model, keeping group boundaries right', () => {
    // QuoteRequest with an unmodelled NoUnderlyings group (and its nested NoUnderlyingSecurityAltID) inside the
    // modelled NoRelatedSym group, and an unmodelled Stipulations group after the modelled fields.
    const body = '35=R|131=Q|146=2|55=A|711=1|311=U|457=2|458=a|458=b|54=1|232=1|233=X|234=Y|55=B|38=5|';
    const m = new FixMessage(body.split('|').filter(Boolean).map((f) => ({ tag: Number(f.slice(0, f.indexOf('='))), value: f.slice(f.indexOf('=') + 1) })));
    const typed = defined(fromMessage(m));
    expect(typed).toEqual({ msgType: 'R', quoteReqID: 'Q', relatedSym: [{ symbol: 'A', side: '1' }, { symbol: 'B', orderQty: 5 }] });
  });

  it('builds a FixMessage directly', () => {
    const m = toFixMessage({ msgType: '1', testReqID: 'T' }, header);
    expect(m.msgType).toBe('1');
    expect(m.get(112)).toBe('T');
    expect(m.getInt(34)).toBe(42);
  });
});
