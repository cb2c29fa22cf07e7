import { mkdtempSync, readFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DealerDesk, type Owner, type Quote } from './desk.ts';
import { TradeStore } from './trade-store.ts';

const alice: Owner = { user: 'alice', compId: 'ALICE', sessionId: 's1' };
const bob: Owner = { user: 'bob', compId: 'BOB', sessionId: 's2' };
const instruments = [{ symbol: 'XS1', description: 'bond', currency: 'EUR', mid: 100 }];

function makeDesk(store = TradeStore.open(null), clock = { t: Date.parse('2026-01-01T10:00:00Z') }) {
  const desk = new DealerDesk({
    dealers: [{ name: 'D1', delayMs: 0, spreadBps: 10 }, { name: 'D2', delayMs: 5, spreadBps: 20 }],
    instruments, quoteTtlMs: 1000, trades: store, now: () => new Date(clock.t),
  });
  return { desk, clock, store };
}
function quotesFor(desk: DealerDesk, owner: Owner, quoteReqId: string, n = 2, qty = 1_000_000): Promise<Quote[]> {
  return new Promise((resolve, reject) => {
    const got: Quote[] = [];
    const r = desk.submitRfq(owner, { quoteReqId, symbol: 'XS1', side: 'buy', qty }, (q) => {
      got.push(q);
      if (got.length === n) resolve(got);
    });
    if (!r.ok) reject(new Error(r.reason));
  });
}

describe('dealer desk', () => {
  it('every dealer quotes with its spread and a ValidUntilTime', async () => {
    const { desk } = makeDesk();
    const qs = await quotesFor(desk, alice, 'R1');
    expect(qs.map((q) => q.dealer).sort()).toEqual(['D1', 'D2']);
    for (const q of qs) {
      expect(q.offerPx).toBeGreaterThan(q.bidPx);
      expect(q.validUntil.getTime() - q.sentAt.getTime()).toBe(1000);
    }
    const d2 = qs.find((q) => q.dealer === 'D2')!;
    expect(d2.offerPx - d2.bidPx).toBeCloseTo(0.2, 1);
    desk.close();
  });

  it('a hit on a live quote trades once; repeats, late and unknown hits are refused', async () => {
    const { desk, clock, store } = makeDesk();
    const [q1, q2] = await quotesFor(desk, alice, 'R1');
    const hit = desk.hit(alice, { quoteRespId: 'H1', quoteId: q1!.quoteId });
    expect(hit.ok).toBe(true);
    if (!hit.ok) return;
    expect(hit.trade.price).toBe(q1!.offerPx);
    const again = desk.hit(alice, { quoteRespId: 'H1', quoteId: q1!.quoteId });
    expect(again).toMatchObject({ ok: false, code: 'duplicate' });
    expect(desk.hit(alice, { quoteRespId: 'H2', quoteId: q1!.quoteId })).toMatchObject({ ok: false, code: 'already-traded' });
    expect(desk.hit(alice, { quoteRespId: 'H3', quoteId: q2!.quoteId })).toMatchObject({ ok: false, code: 'closed' });
    expect(desk.hit(alice, { quoteRespId: 'H4', quoteId: 'Q-nope' })).toMatchObject({ ok: false, code: 'unknown' });

    const [q3] = await quotesFor(desk, alice, 'R2');
    clock.t += 1001;
    expect(desk.hit(alice, { quoteRespId: 'H5', quoteId: q3!.quoteId })).toMatchObject({ ok: false, code: 'expired' });
    expect(store.size).toBe(1);
    desk.close();
  });

  it('another user cannot hit my quote, and duplicate QuoteReqIDs are refused', async () => {
    const { desk } = makeDesk();
    const [q] = await quotesFor(desk, alice, 'R1');
    expect(desk.hit(bob, { quoteRespId: 'B1', quoteId: q!.quoteId })).toMatchObject({ ok: false, code: 'not-yours' });
    expect(desk.submitRfq(alice, { quoteReqId: 'R1', symbol: 'XS1', qty: 1 }, () => {})).toMatchObject({ ok: false });
    expect(desk.submitRfq(alice, { quoteReqId: 'R9', symbol: 'NOPE', qty: 1 }, () => {})).toMatchObject({ ok: false, reason: expect.stringMatching(/unknown instrument/) });
    expect(desk.submitRfq(alice, { quoteReqId: 'R9', symbol: 'XS1', qty: -1 }, () => {})).toMatchObject({ ok: false });
    expect(desk.submitRfq(alice, { quoteReqId: 'R9', symbol: 'XS1', qty: Number.NaN }, () => {})).toMatchObject({ ok: false });
    desk.close();
  });

  it('risk officers see open RFQs; a dropped session cancels its RFQs', async () => {
    const { desk } = makeDesk();
    await quotesFor(desk, alice, 'R1');
    expect(desk.openRfqs().map((r) => r.quoteReqId)).toEqual(['R1']);
    desk.dropSession('s1');
    expect(desk.openRfqs()).toEqual([]);
    desk.close();
  });

  it('ending a FIX session cancels the RFQs it opened on any connection, and only those', async () => {
    const { desk } = makeDesk();
    await quotesFor(desk, alice, 'R1');
    await quotesFor(desk, { ...alice, sessionId: 's2' }, 'R2');
    await quotesFor(desk, { ...alice, compId: 'ALICE2', sessionId: 's3' }, 'R3');
    desk.endFixSession(alice.compId);
    expect(desk.openRfqs().map((r) => r.quoteReqId)).toEqual(['R3']);
    desk.close();
  });

  it('trades persist as JSON lines and stay idempotent across a restart; corrupt lines are skipped', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'desk-')), 'trades.jsonl');
    const first = makeDesk(TradeStore.open(file));
    const [q] = await quotesFor(first.desk, alice, 'R1');
    expect(first.desk.hit(alice, { quoteRespId: 'H1', quoteId: q!.quoteId }).ok).toBe(true);
    first.desk.close();
    appendFileSync(file, '{"truncated": \n\u0000garbage\n');
    const bad: number[] = [];
    const store = TradeStore.open(file, (line) => bad.push(line));
    expect(bad).toEqual([2, 3]);
    expect(store.size).toBe(1);
    const second = makeDesk(store);
    expect(second.desk.hit(alice, { quoteRespId: 'H1', quoteId: q!.quoteId })).toMatchObject({ ok: false, code: 'duplicate' });
    expect(store.query({ user: 'alice' })).toHaveLength(1);
    expect(store.query({ user: 'bob' })).toHaveLength(0);
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"tradeId"'))).toHaveLength(1);
  });

  it('an RFQ keeps the settlement date it asked for (T+2 business days without one) on its quotes and its trade', async () => {
    // 2026-01-01 is a Thursday: T+2 business days is Monday 2026-01-05.
    const { desk, store } = makeDesk();
    const [q] = await quotesFor(desk, alice, 'R1');
    expect(q!.settlDate).toBe('2026-01-05');
    const hit = desk.hit(alice, { quoteRespId: 'H1', quoteId: q!.quoteId });
    expect(hit.ok && hit.trade.settlDate).toBe('2026-01-05');
    const got: Quote[] = [];
    const r = desk.submitRfq(alice, { quoteReqId: 'R2', symbol: 'XS1', side: 'sell', qty: 5, settlDate: '2026-01-09' }, (x) => got.push(x));
    expect(r.ok && r.rfq.settlDate).toBe('2026-01-09');
    expect(desk.openRfqs().find((v) => v.quoteReqId === 'R2')?.settlDate).toBe('2026-01-09');
    await new Promise((res) => setTimeout(res, 50));
    expect(got.map((x) => x.settlDate)).toEqual(['2026-01-09', '2026-01-09']);
    expect(store.size).toBe(1);
    desk.close();
  });

  it('refuses a past, weekend, distant or malformed settlement date with a clear reason and opens nothing', () => {
    const { desk } = makeDesk();
    const ask = (settlDate: string) => desk.submitRfq(alice, { quoteReqId: `S-${settlDate}`, symbol: 'XS1', qty: 1, settlDate }, () => {});
    expect(ask('2025-12-29')).toEqual({ ok: false, reason: 'SettlDate(64) 20251229 is in the past' });
    expect(ask('2026-01-03')).toEqual({ ok: false, reason: 'SettlDate(64) 20260103 falls on a weekend' });
    expect(ask('2027-06-01')).toMatchObject({ ok: false, reason: expect.stringMatching(/more than 366 days away/) });
    expect(ask('2026-02-30')).toMatchObject({ ok: false, reason: expect.stringMatching(/is not a date/) });
    expect(ask('2026-01-01').ok).toBe(true);
    expect(desk.openRfqs().map((r) => r.quoteReqId)).toEqual(['S-2026-01-01']);
    desk.close();
  });

  it("the trader's ExpireTime closes the RFQ and bounds its quotes; a past or far one is refused", async () => {
    const { desk, clock } = makeDesk();
    const at = (ms: number) => new Date(clock.t + ms);
    expect(desk.submitRfq(alice, { quoteReqId: 'E0', symbol: 'XS1', qty: 1, expireTime: at(-1) }, () => {})).toEqual({ ok: false, reason: 'ExpireTime(126) is in the past' });
    expect(desk.submitRfq(alice, { quoteReqId: 'E0', symbol: 'XS1', qty: 1, expireTime: at(3_660_001) }, () => {})).toMatchObject({ ok: false, reason: expect.stringMatching(/ExpireTime\(126\) is more than 3660 s away/) });
    const got: Quote[] = [];
    const r = desk.submitRfq(alice, { quoteReqId: 'E1', symbol: 'XS1', qty: 1, expireTime: at(400) }, (q) => got.push(q));
    expect(r.ok && r.rfq.expiresAt.toISOString()).toBe(at(400).toISOString());
    expect(desk.openRfqs()[0]?.expiresAt).toBe(at(400).toISOString());
    // The default RFQ (no ExpireTime) lives until the slowest dealer's quote lapses: 5 ms + 1000 ms.
    const d = desk.submitRfq(alice, { quoteReqId: 'E2', symbol: 'XS1', qty: 1 }, () => {});
    expect(d.ok && d.rfq.expiresAt.getTime() - clock.t).toBe(1005);
    for (let i = 0; i < 200 && got.length < 2; i++) await new Promise((res) => setTimeout(res, 10));
    // quoteTtlMs is 1000, but no quote outlives the RFQ's 400 ms.
    expect(got.map((q) => q.validUntil.toISOString())).toEqual([at(400).toISOString(), at(400).toISOString()]);
    desk.close();
  });

  it('old trade lines without a settlement date still load; a damaged one loses only the date', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'desk-')), 'trades.jsonl');
    const base = { execId: 'E', quoteReqId: 'R', user: 'alice', compId: 'ALICE', dealer: 'D1', symbol: 'XS1', side: 'buy', qty: 1, price: 100, currency: 'EUR', time: '2025-06-02T10:00:00.000Z' };
    appendFileSync(file, `${JSON.stringify({ ...base, tradeId: 'T1', quoteId: 'Q1', quoteRespId: 'H1' })}\n`);
    appendFileSync(file, `${JSON.stringify({ ...base, tradeId: 'T2', quoteId: 'Q2', quoteRespId: 'H2', settlDate: '2025-06-04' })}\n`);
    appendFileSync(file, `${JSON.stringify({ ...base, tradeId: 'T3', quoteId: 'Q3', quoteRespId: 'H3', settlDate: '=HYPERLINK("x")' })}\n`);
    const bad: string[] = [];
    const store = TradeStore.open(file, (line, reason) => bad.push(`${line}: ${reason}`));
    expect(store.size).toBe(3);
    expect(store.query().map((t) => t.settlDate)).toEqual([undefined, '2025-06-04', undefined]);
    expect(bad).toEqual(['3: settlDate is not a date; ignored']);
  });
});

