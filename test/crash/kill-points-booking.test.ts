// Issue 19 items 3 and 4: the gateway killed (SIGKILL, by a named kill point) while a hit is handled, before
// anything of it is on disk and right after the trade is: after the restart the resumed client's hit is answered
// exactly once — with the trade if it was booked, else refused with a true reason — and never booked twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tag } from '../../fix/dictionary/tags.ts';
import { MemoryStore } from '../../fix/store.ts';
import { CrashHarness } from './harness.ts';
import { hitThroughCrash } from './hit-crash.ts';

let h: CrashHarness;
// The client's FIX store outlives its connections, as the client core's does: it resumes, never resets.
const store = new MemoryStore();
beforeAll(async () => { h = await CrashHarness.create(); });
afterAll(async () => { await h?.close(); });

// Real processes, and TOTP steps are single-use: a logon may wait for the next 30-s step, hence the long timeout.
describe('kill points while a hit is handled, against the real gateway process', { timeout: 180_000 }, () => {
  it('killed after the hit was read, before it was handled: the resent hit is refused with the true reason, nothing is booked', async () => {
    const r = await hitThroughCrash(h, store, 'inbound-received:AJ', 'K1');
    expect(r.exit.signal).toBe('SIGKILL');
    expect(r.reports.map((m) => m.get(Tag.ExecType))).toEqual(['8']);
    expect(r.reports[0]!.get(Tag.Text)).toContain('the gateway restarted after sending it; nothing was traded');
    expect(r.booked).toBe(0);
    expect(r.reset).toBe(false);
    expect(r.senderAfter).toBeGreaterThan(r.senderBefore);
    expect(h.auditVerify().code).toBe(0);
  });

  it('killed right after the trade was recorded, before its report: the resent hit is answered with that trade, booked once', async () => {
    const r = await hitThroughCrash(h, store, 'after-trade-record', 'K2');
    expect(r.exit.signal).toBe('SIGKILL');
    expect(r.reports.map((m) => m.get(Tag.ExecType))).toEqual(['F']);
    const tradeId = r.reports[0]!.get(Tag.OrderID)!;
    expect(r.history.filter((t) => t === tradeId)).toEqual([tradeId]);
    expect(r.booked).toBe(1);
    expect(r.reset).toBe(false);
    expect(h.auditVerify().code).toBe(0);
  });
});
