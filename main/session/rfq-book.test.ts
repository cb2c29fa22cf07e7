import { describe, expect, it } from 'vitest';
import { RfqSchema } from '../ipc/contract.ts';
import { RfqBook } from './rfq-book.ts';

const req = { clientRfqId: 'c-1', instrument: 'UST10Y', side: 'buy' as const, quantity: 1_000_000, settlementDate: '2026-11-24', dealers: 'all' as const, expirySeconds: 60 };

function book() {
  let now = new Date('2026-11-21T10:00:00Z');
  const changes: string[] = [];
  const b = new RfqBook({ now: () => now, onChange: (r) => { RfqSchema.parse(r); changes.push(r.status); } });
  return { b, changes, advance: (ms: number) => { now = new Date(now.getTime() + ms); }, now: () => now };
}

describe('RfqBook', () => {
  it('the same RFQ id twice is one RFQ; a different request under the same id is a conflict', () => {
    const { b } = book();
    expect(b.create(req).isNew).toBe(true);
    expect(b.create(req).isNew).toBe(false);
    expect(() => b.create({ ...req, quantity: 2 })).toThrow(/already used/);
    expect(b.list()).toHaveLength(1);
  });

  it('takes the offer for a buy, ignores unasked dealers, merges repeated quotes', () => {
    const { b, now } = book();
    b.create({ ...req, dealers: ['D1', 'D2'] });
    const validUntil = new Date(now().getTime() + 10_000);
    expect(b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil })?.price).toBe(101);
    expect(b.addQuote({ quoteReqId: 'c-1', quoteId: 'q3', dealer: 'D3', bidPx: 99, offerPx: 100, validUntil })).toBeUndefined();
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil });
    expect(b.get('c-1')!.quotes).toHaveLength(1);
    expect(b.get('c-1')!.status).toBe('quoted');
  });

  it('a hit goes out once; a retry is a duplicate; a resent execution is recorded once', () => {
    const { b, now } = book();
    b.create(req);
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil: new Date(now().getTime() + 10_000) });
    const first = b.hit('c-1', 'q1');
    expect(first.send).toBe(true);
    expect(b.hit('c-1', 'q1')).toEqual({ send: false, result: { status: 'duplicate' } });
    const exec = { execId: 'E1', clientRfqId: 'c-1', quoteId: 'q1', dealer: 'D1', instrument: 'UST10Y', side: 'buy' as const, quantity: 1_000_000, price: 101, settlementDate: '2026-11-24', transactTime: now().toISOString() };
    expect(b.addExecution(exec)).toBeDefined();
    expect(b.addExecution(exec)).toBeUndefined();
    expect(b.executions()).toHaveLength(1);
    expect(b.hit('c-1', 'q1')).toMatchObject({ send: false, result: { status: 'duplicate', execution: { execId: 'E1' } } });
    expect(b.get('c-1')!.status).toBe('executed');
  });

  it('refuses an expired quote and expires RFQs on sweep', () => {
    const { b, now, advance } = book();
    b.create(req);
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil: new Date(now().getTime() + 1_000) });
    advance(2_000);
    expect(b.hit('c-1', 'q1')).toMatchObject({ send: false, result: { status: 'rejected' } });
    advance(60_000);
    b.sweep();
    expect(b.get('c-1')!.status).toBe('expired');
  });

  it('after a rejected hit another quote may be hit', () => {
    const { b, now } = book();
    b.create(req);
    const validUntil = new Date(now().getTime() + 10_000);
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil });
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q2', dealer: 'D2', bidPx: 99, offerPx: 102, validUntil });
    const h1 = b.hit('c-1', 'q1');
    b.hitRejected('c-1', 'expired at the desk');
    const h2 = b.hit('c-1', 'q2');
    expect(h1.send && h2.send && h1.quoteRespId !== h2.quoteRespId).toBe(true);
  });

  it('a fill ends the RFQ: the hit quote reads hit, every other live quote is void, a late quote is ignored', () => {
    const { b, now } = book();
    b.create(req);
    const validUntil = new Date(now().getTime() + 10_000);
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil });
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q2', dealer: 'D2', bidPx: 99, offerPx: 102, validUntil });
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q3', dealer: 'D3', bidPx: 99, offerPx: 103, validUntil });
    b.pass('c-1', 'q3');
    expect(b.hit('c-1', 'q1').send).toBe(true);
    b.addExecution({ execId: 'E1', clientRfqId: 'c-1', quoteId: 'q1', dealer: 'D1', instrument: 'UST10Y', side: 'buy', quantity: 1_000_000, price: 101, settlementDate: '2026-11-24', transactTime: now().toISOString() });
    const rfq = b.get('c-1')!;
    expect(rfq.status).toBe('executed');
    expect(rfq.quotes.map((q) => [q.quoteId, q.status])).toEqual([['q1', 'hit'], ['q2', 'cancelled'], ['q3', 'passed']]);
    expect(b.hit('c-1', 'q2')).toMatchObject({ send: false, result: { status: 'rejected' } });
    expect(b.addQuote({ quoteReqId: 'c-1', quoteId: 'q4', dealer: 'D4', bidPx: 99, offerPx: 100, validUntil })).toBeUndefined();
    expect(b.get('c-1')!.quotes).toHaveLength(3);
  });

  it('a fill learned only from the ExecutionReport (the hit was sent before a restart) still voids the others', () => {
    const { b, now } = book();
    b.create(req);
    const validUntil = new Date(now().getTime() + 10_000);
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q1', dealer: 'D1', bidPx: 99, offerPx: 101, validUntil });
    b.addQuote({ quoteReqId: 'c-1', quoteId: 'q2', dealer: 'D2', bidPx: 99, offerPx: 102, validUntil });
    b.addExecution({ execId: 'E1', clientRfqId: 'c-1', quoteId: 'q2', dealer: 'D2', instrument: 'UST10Y', side: 'buy', quantity: 1_000_000, price: 102, settlementDate: '2026-11-24', transactTime: now().toISOString() });
    expect(b.get('c-1')!.quotes.map((q) => q.status)).toEqual(['cancelled', 'hit']);
  });
});

