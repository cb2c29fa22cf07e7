/**
 * Answering the peer's ResendRequest from the store: application messages again as PossDup, session-level
 * ones (and anything missing from the store) as SequenceReset-GapFill, as QuickFIX does.
 */
import { decodeMessage, type FixMessage } from '../codec.ts';
import type { SessionContext } from './context.ts';

// Session-level message types (everything else is an application message).
const ADMIN = new Set(['0', '1', '2', '3', '4', '5', 'A']);

/** Everything of a (verified) ResendRequest but counting it. */
export function answerResendRequest(ctx: SessionContext, msg: FixMessage): void {
  const store = ctx.store;
  const out = ctx.writer;
  const begin = msg.getInt(7) ?? 1;
  let end = msg.getInt(16) ?? 0;
  const nextSender = store.getNextSenderSeqNum();
  if (end === 0 || end >= nextSender) end = nextSender - 1;
  ctx.event(`received ResendRequest ${begin}..${end}`);
  let gapStart = 0;
  let current = begin;
  let last = 0;
  if (begin >= 1 && begin <= end) {
    for (const s of store.getSent(begin, end)) {
      let stored: FixMessage;
      try { stored = decodeMessage(s.bytes); } catch { continue; }
      last = s.seqNum;
      if (current !== s.seqNum && !gapStart) gapStart = current;
      if (ADMIN.has(stored.msgType)) {
        if (!gapStart) gapStart = s.seqNum;
      } else {
        if (gapStart) out.sequenceReset(gapStart, s.seqNum);
        out.resend(stored);
        gapStart = 0;
      }
      current = s.seqNum + 1;
    }
  }
  if (gapStart) out.sequenceReset(gapStart, last + 1);
  if (end > last) out.sequenceReset(begin, Math.min(end + 1, nextSender));
}
