/**
 * The desk's settlement date and the end of an RFQ as the client core sees them, against the REAL gateway, the
 * REAL keychain and the REAL posture agent: the settlement date the trader picked (not the trade date) is on
 * the execution and in the history the CSV is built from, and once the RFQ fills, the other dealers' quotes on
 * it are void (cancelled) while the hit one reads hit.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import type { ClientCore } from '../core.ts';
import type { EventEnvelope, Execution, Rfq } from '../ipc/contract.ts';
import { businessDayAfter } from '../testing/dates.ts';
import { hasSecretService, startClientCore, until, type TestClientCore } from '../testing/client-core.ts';

describe.runIf(hasSecretService)('desk fields in the client core', () => {
  let t: TestGateway;
  let core: ClientCore;
  let client: TestClientCore | undefined;
  const events: EventEnvelope[] = [];
  const of = <T>(name: string) => events.filter((e) => e.event === name).map((e) => e.payload as T);

  beforeAll(async () => {
    t = await startTestGateway({
      posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 },
      desk: { dealers: [{ name: 'DLR1', delayMs: 0, spreadBps: 8 }, { name: 'DLR2', delayMs: 0, spreadBps: 12 }, { name: 'DLR3', delayMs: 0, spreadBps: 20 }], quoteTtlMs: 60_000 },
    }, { users: ['alice'] });
    client = startClientCore(t, { name: 'desk' });
    core = client.core;
    core.events.subscribe((e) => events.push(e));
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
  });

  it('settles on the date the trader asked for, and a fill voids the other quotes', async () => {
    await core.start();
    await core.services.enroll({ token: t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 }).token });
    const r = await core.services.signIn({ username: 'alice', password: t.users.alice!.password });
    if (r.state === 'challenged') {
      const c = await until(async () => (await core.services.getState()).pendingStepUp ?? undefined, 'the step-up challenge');
      expect((await core.services.answerStepUp({ challengeId: c.challengeId, method: 'totp', code: freshTotp(t.users.alice!) })).outcome).toBe('accepted');
    }
    await until(() => core.connection.state === 'connected', 'connected');

    const settlementDate = businessDayAfter();
    const instrument = (await core.services.listInstruments())[0]!.symbol;
    const req = { clientRfqId: `sd-${randomUUID().slice(0, 8)}`, instrument, side: 'buy' as const, quantity: 1_000_000, settlementDate, dealers: 'all' as const, expirySeconds: 60 };
    await core.services.createRfq(req);
    const rfq = await until(() => of<Rfq>('rfq').filter((x) => x.clientRfqId === req.clientRfqId && x.quotes.length >= 3).at(-1), 'three quotes');
    const best = rfq.quotes.reduce((a, b) => (b.price < a.price ? b : a));
    const hit = await core.services.hitQuote({ clientRfqId: req.clientRfqId, quoteId: best.quoteId });
    expect(hit).toMatchObject({ status: 'filled', execution: { settlementDate } });
    expect(of<Execution>('execution').find((e) => e.clientRfqId === req.clientRfqId)?.settlementDate).toBe(settlementDate);

    const done = await until(() => of<Rfq>('rfq').filter((x) => x.clientRfqId === req.clientRfqId && x.status === 'executed').at(-1), 'the RFQ executed');
    expect(done.quotes.map((q) => q.status).sort()).toEqual(['cancelled', 'cancelled', 'hit']);
    expect(done.quotes.find((q) => q.quoteId === best.quoteId)?.status).toBe('hit');
    const other = done.quotes.find((q) => q.quoteId !== best.quoteId)!;
    expect(await core.services.hitQuote({ clientRfqId: req.clientRfqId, quoteId: other.quoteId })).toMatchObject({ status: 'rejected' });

    // History (and so its CSV) carries the desk's settlement date from the TradeCaptureReport, not the trade date.
    const today = new Date().toISOString().slice(0, 10);
    const history = await core.services.queryHistory({ from: today, to: today });
    expect(history.find((h) => h.clientRfqId === req.clientRfqId)?.settlementDate).toBe(settlementDate);
    expect(settlementDate).not.toBe(today);
  }, 180_000);
});
