/**
 * The readers of fix/protocol/ against garbage, truncated, oversized and hostile messages: they answer with
 * a refusal (or a value that holds only what could be trusted), never an exception, and never a value that
 * breaks their own rules (identifiers, positive quantities, real dates).
 */
import { describe, expect, it } from 'vitest';
import { FixMessage, type Field } from '../codec.ts';
import { MsgType, Tag } from '../dictionary/tags.ts';
import {
  fromFixDate, isIsoDate, MAX_GROUP_INSTANCES, parseUtcTimestamp, readAttestation, readAttestationRequest, readBusinessReject,
  readDealerListRequest, readExecutionReport, readLogonDecision, readLogonRequest, readOpenRfqsAck, readOpenRfqsRequest, readQuote, readQuoteCancel, readQuoteRequest,
  readQuoteRequestReject, readQuoteResponse, readQuoteStatus, readRfqStatus, readSecurityList, readSecurityListRequest,
  readTradeCapture, readTradeCaptureAck, readTradeCaptureRequest, utcTimestamp, writeExecutionFill, writeQuote, writeQuoteRequest,
  writeRfqStatus, writeSecurityList, writeTradeCapture, type ReadResult,
  readDealerList, readKeyRegistrationRequest, readKeyRegistrationResult, readLogoutDecision, readSecurityStatus, readStepUpChallenge,
  readStepUpResponse, readStepUpResult,
} from './index.ts';

const READERS: [string, (m: FixMessage) => ReadResult<unknown>][] = [
  ['R', readQuoteRequest], ['AG', readQuoteRequestReject], ['S', readQuote], ['AJ', readQuoteResponse], ['Z', readQuoteCancel],
  ['AI', readQuoteStatus], ['AI', readRfqStatus], ['8', readExecutionReport], ['AD', readTradeCaptureRequest], ['AQ', readTradeCaptureAck],
  ['AE', readTradeCapture], ['x', readSecurityListRequest], ['y', readSecurityList], ['j', readBusinessReject], ['UA', readAttestation],
  ['A', readLogonRequest], ['A', readLogonDecision], ['UF', readAttestationRequest], ['UH', readDealerListRequest], ['UI', readOpenRfqsRequest], ['UJ', readOpenRfqsAck],
];

const msg = (type: string, body: Field[]) => new FixMessage([{ tag: Tag.MsgType, value: type }, ...body]);

/** A small seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const t = new Date('2026-11-21T10:00:00Z');
const VALID: [string, Field[]][] = [
  ['R', writeQuoteRequest({ quoteReqId: 'r-1', symbol: 'XS1', side: 'buy', qty: 5, settlDate: '2026-11-24', expireTime: t })],
  ['S', writeQuote({ quoteReqId: 'r-1', quoteId: 'Q-1', symbol: 'XS1', qty: 5, currency: 'EUR', bidPx: 1, offerPx: 2, settlDate: '2026-11-24', validUntil: t, sentAt: t, dealer: 'D' })],
  ['8', writeExecutionFill({ orderId: 'T', quoteRespId: 'r.h', execId: 'E', symbol: 'XS1', side: 'buy', qty: 5, price: 1, transactTime: t })],
  ['AI', writeRfqStatus({ quoteReqId: 'r-1', owner: 'o', symbol: 'XS1', side: 'buy', qty: 5, state: 'pending', settlDate: '2026-11-24', createdAt: t, expiresAt: t })],
  ['AE', writeTradeCapture({ tradeId: 'T', reqId: 'H', total: 1, last: true, execId: 'E', symbol: 'XS1', side: 'sell', qty: 5, price: 1, transactTime: t, quoteRespId: 'r.h', currency: 'EUR', dealer: 'D' })],
  ['y', writeSecurityList({ reqId: 'SL', instruments: [{ symbol: 'XS1', description: 'd', currency: 'EUR' }] })],
];

describe('fix/protocol readers on hostile input', () => {
  it('never throw on empty, garbage or oversized messages', () => {
    const huge = 'A'.repeat(1_000_000);
    const bodies: Field[][] = [
      [],
      [{ tag: Tag.QuoteReqID, value: '' }],
      [{ tag: 0, value: '\x01\x00' }, { tag: -5, value: '=' }, { tag: 2 ** 31, value: 'x' }],
      Object.values(Tag).slice(0, 400).map((tag) => ({ tag, value: huge })),
      Object.values(Tag).map((tag) => ({ tag, value: '\u0000\uFFFF\u{1F600}' })),
      Object.values(Tag).map((tag) => ({ tag, value: '-1e309' })),
      Object.values(Tag).map((tag) => ({ tag, value: '999999999999999999999999999999' })),
    ];
    for (const [type, read] of READERS) {
      for (const body of bodies) {
        const r = read(msg(type, body));
        expect(typeof r.ok, type).toBe('boolean');
        if (!r.ok) expect(r.reason.length, type).toBeLessThan(200);
      }
    }
  });

  it("Parley's own readers (UB UC UD UE UG UK UL, Logout decision) never throw and never read garbage as success", () => {
    const huge = 'B'.repeat(200_000);
    const bodies: Field[][] = [
      [], Object.values(Tag).filter((t) => t >= 5000).map((tag) => ({ tag, value: huge })),
      Object.values(Tag).filter((t) => t >= 5000).map((tag) => ({ tag, value: '999999999999999999999' })),
      [{ tag: Tag.NoParleyFactors, value: '99999999' }, { tag: Tag.ParleyFactorName, value: 'x' }, { tag: Tag.NoParleyDealers, value: '-3' }],
    ];
    for (const body of bodies) {
      const m = msg('UB', body);
      expect(readSecurityStatus(m).decision).not.toBe('allow');
      readLogoutDecision(m); readStepUpChallenge(m); readStepUpResponse(m); readDealerList(m); readKeyRegistrationRequest(m);
      expect(readStepUpResult(m).result).not.toBe('success');
      expect(readKeyRegistrationResult(m).status).toBe('rejected');
    }
  });

  it('never throw on valid messages mutated, truncated and shuffled (seeded fuzz)', () => {
    const next = rng(9);
    const junk = ['', '0', '-1', 'NaN', 'Infinity', '1e5', '20261131', '20261121-25:00:00', '2'.repeat(64), 'Y', 'N', '\x01', ' ', '1'.repeat(5000)];
    for (let round = 0; round < 3000; round++) {
      const [type, body] = VALID[Math.floor(next() * VALID.length)]!;
      let fields = body.map((f) => ({ ...f }));
      const op = Math.floor(next() * 4);
      if (op === 0) fields = fields.slice(0, Math.floor(next() * fields.length)); // truncated
      else if (op === 1) fields[Math.floor(next() * fields.length)]!.value = junk[Math.floor(next() * junk.length)]!; // mutated
      else if (op === 2) fields.sort(() => next() - 0.5); // shuffled
      else fields.push(...fields.slice(0, Math.floor(next() * fields.length))); // repeated
      for (const [, read] of READERS) {
        const r = read(msg(type, fields));
        if (!r.ok) continue;
        // What a reader does return keeps its promises.
        const v = r.value as Record<string, unknown>;
        if ('qty' in v && typeof v.qty === 'number' && (type === 'R' || type === '8' || type === 'AE')) expect(v.qty).toBeGreaterThan(0);
        for (const k of ['settlDate', 'tradeDate']) if (typeof v[k] === 'string') expect(isIsoDate(v[k])).toBe(true);
        for (const k of ['validUntil', 'transactTime', 'expireTime', 'createdAt', 'expiresAt']) {
          if (v[k] !== undefined) expect(Number.isFinite((v[k] as Date).getTime())).toBe(true);
        }
      }
    }
  });

  it('refuses with a reason that names the field', () => {
    expect(readQuoteRequest(msg('R', []))).toEqual({ ok: false, reason: 'QuoteReqID(131) missing' });
    expect(readQuoteRequest(msg('R', [{ tag: Tag.QuoteReqID, value: 'r' }, { tag: Tag.NoRelatedSym, value: '2' }, { tag: Tag.Symbol, value: 'A' }, { tag: Tag.Symbol, value: 'B' }])))
      .toEqual({ ok: false, reason: 'exactly one NoRelatedSym(146) entry is supported, got 2' });
    expect(readQuoteResponse(msg('AJ', [{ tag: Tag.QuoteRespID, value: 'h' }, { tag: Tag.QuoteID, value: 'q' }, { tag: Tag.QuoteRespType, value: '2' }])))
      .toEqual({ ok: false, reason: 'QuoteRespType(694)=2 is not supported (only 1 = hit/lift)' });
    expect(readQuote(msg('S', [{ tag: Tag.QuoteReqID, value: 'r 1; DROP' }]))).toEqual({ ok: false, reason: 'QuoteReqID(131) missing or not an identifier' });
    expect(readExecutionReport(msg('8', [{ tag: Tag.QuoteRespID, value: 'h' }, { tag: Tag.ExecType, value: '0' }])).ok).toBe(false);
    expect(readTradeCaptureRequest(msg('AD', [{ tag: Tag.TradeRequestID, value: 'H' }, { tag: Tag.TradeRequestType, value: '4' }])).ok).toBe(false);
    expect(readOpenRfqsRequest(msg('UI', [{ tag: Tag.ParleyRequestID, value: 'x'.repeat(65) }])).ok).toBe(false);
    expect(readOpenRfqsRequest(msg('UI', [{ tag: Tag.ParleyRequestID, value: 'OR' }, { tag: Tag.SubscriptionRequestType, value: '9' }])).ok).toBe(false);
    expect(readAttestation(msg('UA', [{ tag: Tag.ParleyAttestation, value: 'x'.repeat(64 * 1024 + 1) }])).ok).toBe(false);
  });

  it('a failed trade-history result is never read as success', () => {
    for (const v of ['9', 'x', '-1', '1e3', '']) {
      const r = readTradeCaptureAck(msg('AQ', [{ tag: Tag.TradeRequestID, value: 'H' }, { tag: Tag.TradeRequestResult, value: v }]));
      expect(r.ok && r.value.result, v).not.toBe(0);
    }
  });

  it('a lying group count reads no more than what follows, and at most MAX_GROUP_INSTANCES', () => {
    const lying = msg(MsgType.SecurityList, [{ tag: Tag.SecurityReqID, value: 'SL' }, { tag: Tag.NoRelatedSym, value: '999999999' }, { tag: Tag.Symbol, value: 'A' }]);
    expect(readSecurityList(lying)).toEqual({ ok: true, value: { reqId: 'SL', instruments: [{ symbol: 'A' }] } });
    const many: Field[] = [{ tag: Tag.SecurityReqID, value: 'SL' }, { tag: Tag.NoRelatedSym, value: String(MAX_GROUP_INSTANCES * 3) }];
    for (let i = 0; i < MAX_GROUP_INSTANCES * 3; i++) many.push({ tag: Tag.Symbol, value: `S${i}` });
    const r = readSecurityList(msg(MsgType.SecurityList, many));
    expect(r.ok && r.value.instruments.length).toBe(MAX_GROUP_INSTANCES);
    const hostile = readSecurityList(msg(MsgType.SecurityList, [{ tag: Tag.NoRelatedSym, value: '2' }, { tag: Tag.Symbol, value: '../../etc' }, { tag: Tag.Symbol, value: 'OK' }, { tag: Tag.Currency, value: 'euro' }]));
    expect(hostile).toEqual({ ok: true, value: { reqId: '', instruments: [{ symbol: 'OK' }] } });
  });
});

describe('the one UTCTimestamp parser and FIX date helper', () => {
  it('read back what they write', () => {
    const d = new Date(Date.UTC(2024, 1, 29, 23, 59, 58, 7));
    expect(utcTimestamp(d)).toBe('20240229-23:59:58.007');
    expect(parseUtcTimestamp(utcTimestamp(d))).toEqual(d);
    expect(fromFixDate('20280229')).toBe('2028-02-29');
  });
  it('refuse what Date.UTC would roll over, and garbage', () => {
    for (const bad of [undefined, '', '20261121-25:00:00', '20261131-10:00:00', '20261301-00:00:00', '20240229-23:60:00', '20240229-23:59:60',
      ' 20240229-23:59:58', '20240229-23:59:58.', `20240229-23:59:58.${'1'.repeat(10_000)}`]) {
      expect(parseUtcTimestamp(bad), String(bad).slice(0, 30)).toBeUndefined();
    }
    for (const bad of [undefined, '', '20270229', '20261301', '20261100', '18991231', '00501121', '2026-11-24', '202611245', ' 20261124']) {
      expect(fromFixDate(bad), String(bad)).toBeUndefined();
    }
  });
});
