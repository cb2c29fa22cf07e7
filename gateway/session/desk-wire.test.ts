/**
 * The desk's fields on the wire, against a real gateway over mutual TLS: SettlDate(64) asked on the
 * QuoteRequest comes back on Quote, ExecutionReport and TradeCaptureReport (T+2 business days when the request
 * names none); a past or malformed one is a QuoteRequestReject naming it; the risk officer's QuoteStatusReport
 * carries the RFQ's ExpireTime(126); a traded RFQ leaves the risk view (QuoteStatus 6) and its other quotes
 * can no longer be hit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Field } from '../../fix/codec.ts';
import { MSG, TAG, utcTimestamp } from '../../fix/parley-protocol.ts';
import { defaultSettlDate, toFixDate } from '../desk/settlement.ts';
import { loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway({
    desk: { dealers: [{ name: 'FAST', delayMs: 0, spreadBps: 5 }, { name: 'NEXT', delayMs: 0, spreadBps: 9 }], quoteTtlMs: 60_000 },
  }, { memoryStores: true });
});
afterAll(async () => { await t?.close(); });

const rfq = (id: string, leg: Field[] = []): Field[] =>
  [{ tag: 131, value: id }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 38, value: '1000000' }, ...leg];

/** A business day a week or so ahead: never past, never a weekend. */
function nextBusinessDay(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

describe('desk fields on the wire', () => {
  it('SettlDate travels from the QuoteRequest to Quote, ExecutionReport and TradeCaptureReport', async () => {
    const c = await loggedIn(t, 'bob');
    const settle = toFixDate(nextBusinessDay(7));
    c.send('R', rfq('SD-1', [{ tag: 64, value: settle }]));
    const q = await c.waitFor('S', (m) => m.get(131) === 'SD-1');
    expect(q.get(64)).toBe(settle);
    c.send('AJ', [{ tag: 693, value: 'SD-1.h' }, { tag: 117, value: q.get(117)! }, { tag: 694, value: '1' }, { tag: 54, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 38, value: '1000000' }]);
    const er = await c.waitFor('8', (m) => m.get(11) === 'SD-1.h');
    expect(er.get(150)).toBe('F');
    expect(er.get(64)).toBe(settle);
    c.send('AD', [{ tag: 568, value: 'TH-1' }, { tag: 569, value: '0' }]);
    const ae = await c.waitFor('AE', (m) => m.get(568) === 'TH-1' && m.get(571) === er.get(37));
    expect(ae.get(64)).toBe(settle);

    // No SettlDate: the desk's T+2 business days, told back on the quote.
    c.send('R', rfq('SD-2'));
    const q2 = await c.waitFor('S', (m) => m.get(131) === 'SD-2');
    expect([toFixDate(defaultSettlDate(new Date(Date.now() - 60_000))), toFixDate(defaultSettlDate(new Date()))]).toContain(q2.get(64));
    await c.close();
  });

  it('a past or impossible SettlDate is a QuoteRequestReject that says why, and the session goes on', async () => {
    // (A SettlDate that is not eight digits never reaches the desk: the session layer's dictionary check answers
    // it with Reject(3), SessionRejectReason 6, RefTagID 64.)
    const c = await loggedIn(t, 'carol');
    const past = toFixDate(new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10));
    c.send('R', rfq('SD-P', [{ tag: 64, value: past }]));
    expect((await c.waitFor('AG', (m) => m.get(131) === 'SD-P')).get(58)).toBe(`SettlDate(64) ${past} is in the past`);
    c.send('R', rfq('SD-M', [{ tag: 64, value: '20270230' }]));
    expect((await c.waitFor('AG', (m) => m.get(131) === 'SD-M')).get(58)).toBe('SettlDate(64) "20270230" is not a date (YYYYMMDD)');
    c.send('R', rfq('SD-OK', [{ tag: 64, value: toFixDate(nextBusinessDay(3)) }]));
    expect((await c.waitFor('S', (m) => m.get(131) === 'SD-OK')).get(64)).toBe(toFixDate(nextBusinessDay(3)));
    await c.close();
  });

  it("the risk officer sees each open RFQ's ExpireTime, and a traded RFQ leaves the view; its other quote is void", async () => {
    const trader = await loggedIn(t, 'dave');
    const rita = await loggedIn(t, 'rita');
    rita.send(MSG.OpenRfqsRequest, [{ tag: TAG.RequestID, value: 'V1' }, { tag: 263, value: '1' }]);
    await rita.waitFor(MSG.OpenRfqsAck);
    const expire = utcTimestamp(new Date(Date.now() + 90_000));
    trader.send('R', rfq('EXP-1', [{ tag: 126, value: expire }]));
    const quotes = [await trader.waitFor('S', (m) => m.get(131) === 'EXP-1' && m.get(TAG.Dealer) === 'FAST'), await trader.waitFor('S', (m) => m.get(131) === 'EXP-1' && m.get(TAG.Dealer) === 'NEXT')];
    const ai = await rita.waitFor('AI', (m) => m.get(131) === 'EXP-1' && m.get(297) === '0');
    expect(ai.get(126)).toBe(expire);
    // Quotes never outlive the RFQ: the 60 s TTL is within the 90 s ExpireTime here.
    for (const q of quotes) expect(q.get(62)! <= expire).toBe(true);

    const hit = (respId: string, quoteId: string): Field[] => [{ tag: 693, value: respId }, { tag: 117, value: quoteId }, { tag: 694, value: '1' }, { tag: 54, value: '1' }, { tag: 55, value: 'US912828ZT0' }];
    trader.send('AJ', hit('EXP-1.h', quotes[0]!.get(117)!));
    expect((await trader.waitFor('8', (m) => m.get(11) === 'EXP-1.h')).get(150)).toBe('F');
    const done = await rita.waitFor('AI', (m) => m.get(131) === 'EXP-1' && m.get(297) === '6');
    expect(done.get(58)).toBe('RFQ done');
    trader.send('AJ', hit('EXP-1.h1', quotes[1]!.get(117)!));
    const refused = await trader.waitFor('8', (m) => m.get(11) === 'EXP-1.h1');
    expect(refused.get(150)).toBe('8');
    expect(refused.get(58)).toMatch(/RFQ EXP-1 already traded/);
    await trader.close();
    await rita.close();
  });
});
