// Issue 19 item 3: the gateway killed (SIGKILL, by a named kill point) right after the ExecutionReport and the
// hit's MsgSeqNum were stored (one record), and right after the hit counted as processed: the resumed client gets
// that report exactly once (live or resent), the trade is booked once and the session is not reset.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tag } from '../../fix/dictionary/tags.ts';
import { MemoryStore } from '../../fix/store.ts';
import { CrashHarness } from './harness.ts';
import { hitThroughCrash } from './hit-crash.ts';

let h: CrashHarness;
const store = new MemoryStore();
beforeAll(async () => { h = await CrashHarness.create(); });
afterAll(async () => { await h?.close(); });

describe('kill points after a hit was answered, against the real gateway process', { timeout: 180_000 }, () => {
  for (const [point, id] of [['after-store-save:8', 'K3'], ['after-inbound-seq:AJ', 'K4']] as const) {
    it(`killed at ${point}: the report reaches the client exactly once, the trade is booked once`, async () => {
      const r = await hitThroughCrash(h, store, point, id);
      expect(r.exit.signal).toBe('SIGKILL');
      expect(r.reports.map((m) => m.get(Tag.ExecType))).toEqual(['F']);
      const tradeId = r.reports[0]!.get(Tag.OrderID)!;
      expect(r.history.filter((t) => t === tradeId)).toEqual([tradeId]);
      expect(r.booked).toBe(1);
      expect(r.reset).toBe(false);
      expect(h.auditVerify().code).toBe(0);
    });
  }
});
