// Issue 19 item 8: closed RFQs (and their quotes) are bounded by count as well as by time. Not timed: the bound is
// asserted on what the desk holds, with a fake clock.
import { describe, expect, it } from 'vitest';
import { DealerDesk, type DeskOptions, type Owner, type Quote } from './desk.ts';
import { TradeStore } from './trade-store.ts';

const alice: Owner = { user: 'alice', compId: 'ALICE', sessionId: 's1' };
const instruments = [{ symbol: 'XS1', description: 'bond', currency: 'EUR', mid: 100 }];

function makeDesk(extra: Partial<DeskOptions> = {}) {
  const clock = { t: Date.parse('2026-01-01T10:00:00Z') };
  const desk = new DealerDesk({
    dealers: [{ name: 'D1', delayMs: 0, spreadBps: 10 }], instruments, quoteTtlMs: 1000, trades: TradeStore.open(null), now: () => new Date(clock.t), ...extra,
  });
  return { desk, clock };
}

function quoted(desk: DealerDesk, id: string): Promise<Quote> {
  return new Promise((resolve, reject) => {
    const r = desk.submitRfq(alice, { quoteReqId: id, symbol: 'XS1', side: 'buy', qty: 1 }, resolve);
    if (!r.ok) reject(new Error(r.reason));
  });
}

describe('closed-RFQ retention', () => {
  it('keeps at most maxClosedRfqs closed RFQs and their quotes, oldest closed first out', async () => {
    const { desk } = makeDesk({ maxClosedRfqs: 5 });
    const quotes: Quote[] = [];
    for (let i = 0; i < 30; i++) {
      const q = await quoted(desk, `R${i}`);
      quotes.push(q);
      if (i === 1) expect(desk.hit(alice, { quoteRespId: 'H1', quoteId: q.quoteId }).ok).toBe(true);
      else desk.cancel(alice, `R${i}`);
    }
    expect(desk.held).toEqual({ rfqs: 5, closedRfqs: 5, quotes: 5 });
    expect(desk.quote(quotes[24]!.quoteId)).toBeUndefined();
    expect(desk.quote(quotes[25]!.quoteId)).toBeDefined();
    expect(desk.hit(alice, { quoteRespId: 'H2', quoteId: quotes[0]!.quoteId })).toMatchObject({ ok: false, code: 'unknown' });
    // The trade store still answers for a traded quote the book has forgotten, and the retry for its trade.
    expect(desk.hit(alice, { quoteRespId: 'H3', quoteId: quotes[1]!.quoteId })).toMatchObject({ ok: false, code: 'already-traded' });
    expect(desk.hit(alice, { quoteRespId: 'H1', quoteId: quotes[1]!.quoteId })).toMatchObject({ ok: false, code: 'duplicate' });
    // A forgotten QuoteReqID may be used again without the old entry deleting the new one.
    const again = await quoted(desk, 'R0');
    expect(desk.quote(again.quoteId)).toBeDefined();
    desk.close();
  });

  it('forgets closed RFQs older than retainMs even under the count bound; open ones stay', async () => {
    const { desk, clock } = makeDesk({ retainMs: 60_000 });
    for (let i = 0; i < 10; i++) { await quoted(desk, `C${i}`); desk.cancel(alice, `C${i}`); }
    await quoted(desk, 'OPEN');
    expect(desk.held).toMatchObject({ rfqs: 11, closedRfqs: 10 });
    clock.t += 60_000 + 2_000; // past the RFQs' expiry plus the retention
    const r = desk.submitRfq(alice, { quoteReqId: 'NEXT', symbol: 'XS1', qty: 1 }, () => {});
    expect(r.ok).toBe(true);
    expect(desk.held).toMatchObject({ rfqs: 2, closedRfqs: 0 });
    expect(desk.openRfqs().map((v) => v.quoteReqId).sort()).toEqual(['NEXT', 'OPEN']);
    desk.close();
  });

  it('has a count bound by default (20,000 closed RFQs)', () => {
    const { desk } = makeDesk();
    for (let i = 0; i < 20_050; i++) {
      expect(desk.submitRfq(alice, { quoteReqId: `F${i}`, symbol: 'XS1', qty: 1 }, () => {}).ok).toBe(true);
      desk.cancel(alice, `F${i}`);
    }
    expect(desk.held).toEqual({ rfqs: 20_000, closedRfqs: 20_000, quotes: 0 });
    desk.close();
  });
});
