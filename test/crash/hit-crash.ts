/**
 * One hit cut by a named kill point (fix/crash-point.ts), end to end: the real gateway child started with
 * PARLEY_CRASH_AT, a client that keeps its FIX store across connections (it resumes, never resets), an RFQ and a
 * hit during which the gateway SIGKILLs itself, a restart without the kill point and the same client logging on
 * again. What each side then holds is returned for the test to judge: every ExecutionReport the client got for
 * the hit over both connections, the trades the gateway reports, the trades.jsonl lines of the hit.
 */
import { readFileSync } from 'node:fs';
import { Tag } from '../../fix/dictionary/tags.ts';
import type { FixMessage } from '../../fix/codec.ts';
import type { MessageStore } from '../../fix/store.ts';
import { CrashHarness, type Exit } from './harness.ts';

export type HitCrash = {
  exit: Exit;
  /** ExecutionReports for the hit's QuoteRespID, over both connections. */
  reports: FixMessage[];
  /** TradeReportIDs the gateway reports after the restart. */
  history: string[];
  /** trades.jsonl lines of the hit. */
  booked: number;
  /** The gateway's Logon after the restart asked for a reset (it must not). */
  reset: boolean;
  senderBefore: number;
  senderAfter: number;
};

export async function hitThroughCrash(h: CrashHarness, store: MessageStore, point: string, id: string): Promise<HitCrash> {
  try {
    return await run(h, store, point, id);
  } finally {
    // Whatever failed, no gateway is left running into the next test.
    await h.stop();
  }
}

async function run(h: CrashHarness, store: MessageStore, point: string, id: string): Promise<HitCrash> {
  const started = await h.start({ crashAt: point });
  if (!started.started) throw new Error(`gateway did not start: ${started.exit.stderr}`);
  const c1 = await h.logon({ store });
  c1.send('R', [{ tag: Tag.QuoteReqID, value: `RFQ-${id}` }, { tag: Tag.NoRelatedSym, value: '1' }, { tag: Tag.Symbol, value: 'US912828ZT0' }, { tag: Tag.Side, value: '1' }, { tag: Tag.OrderQty, value: '1000000' }]);
  const q = await c1.waitFor('S', (m) => m.get(Tag.QuoteReqID) === `RFQ-${id}`);
  c1.send('AJ', [{ tag: Tag.QuoteRespID, value: `HIT-${id}` }, { tag: Tag.QuoteID, value: q.get(Tag.QuoteID)! }, { tag: Tag.QuoteRespType, value: '1' }, { tag: Tag.Side, value: '1' }, { tag: Tag.Symbol, value: 'US912828ZT0' }, { tag: Tag.OrderQty, value: '1000000' }]);
  // The gateway kills itself at the point: the connection closes, the child exits by SIGKILL.
  await c1.closed(60_000).catch((e: Error) => {
    const got = c1.received.map((m) => `${m.msgType}${m.msgType === '8' ? `(${m.get(Tag.ExecType)}: ${m.get(Tag.Text) ?? ''})` : ''}`).join(',');
    throw new Error(`${e.message} at kill point ${point}; the client received ${got}; gateway stderr: ${h.stderr}`);
  });
  const exit = await h.exited();
  const senderBefore = store.getNextSenderSeqNum();

  const again = await h.start();
  if (!again.started) throw new Error(`gateway did not restart: ${again.exit.stderr}`);
  const c2 = await h.logon({ store });
  // Messages over one connection arrive in order: once the history's ack and reports are in, so is any report of
  // the hit the restarted gateway sent (a resend, or the answer to the resent hit) before it.
  const history = (await CrashHarness.history(c2, `H-${id}`)).map((m) => m.get(Tag.TradeReportID)!);
  const reports = [...c1.received, ...c2.received].filter((m) => m.msgType === '8' && m.get(Tag.ClOrdID) === `HIT-${id}`);
  const booked = readFileSync(h.file('trades'), 'utf8').split('\n').filter((l) => l.includes(`"quoteRespId":"HIT-${id}"`)).length;
  const reset = c2.logonReply?.get(Tag.ResetSeqNumFlag) === 'Y';
  await c2.close();
  await h.stop();
  return { exit, reports, history, booked, reset, senderBefore, senderAfter: store.getNextSenderSeqNum() };
}
