/**
 * Inbound processing of a decoded message once the session is named: validation, the per-type handlers and
 * sequence checking (QuickFIX's verify: too high is queued behind a ResendRequest, too low without PossDup
 * ends the session), and draining the gap queue.
 */
import type { Field, FixMessage } from '../codec.ts';
import { parseUtcTimestampMs as parseUtcTimestamp } from '../protocol/time.ts';
import { crashPoint } from '../crash-point.ts';
import { validateMessage } from '../validate.ts';
import type { SessionContext } from './context.ts';
import { generateHeartbeat, generateLogon, generateLogout, generateReject, generateResendRequest } from './generate.ts';
import { answerResendRequest } from './resend.ts';
import { MAX_QUEUED } from './sequence.ts';
import { tick } from './timers.ts';
import type { RejectInfo } from './types.ts';

export function next(ctx: SessionContext, msg: FixMessage, queued: boolean): void {
  if (ctx.closed) return;
  const msgType = msg.msgType;
  if (msg.get(8) !== ctx.beginString) {
    if (msgType === '5') { nextLogout(ctx, msg); return; }
    if (!ctx.receivedLogon) { ctx.disconnect('wrong BeginString', 'wrong-begin-string'); return; }
    // As QuickFIX: Logout, then wait (logoutTimeoutMs) for the peer's Logout before closing.
    generateLogout(ctx, 'Incorrect BeginString');
    ctx.store.incrNextTargetSeqNum();
    return;
  }
  const rej = validateMessage(msg, ctx.dict, { checkFieldsHaveValues: ctx.cfg.checkFieldsHaveValues ?? true });
  if (rej) {
    if (msgType === 'A') { ctx.disconnect(`invalid Logon: ${rej.text}`, 'invalid-logon'); return; }
    generateReject(ctx, msg, rej.reason, rej.refTagId, rej.text);
  } else {
    switch (msgType) {
      case 'A': nextLogon(ctx, msg, []); break;
      case '0': if (verify(ctx, msg, true, true)) { ctx.store.incrNextTargetSeqNum(); } break;
      case '1': nextTestRequest(ctx, msg); break;
      case '2': nextResendRequest(ctx, msg); break;
      case '3': nextReject(ctx, msg); break;
      case '4': nextSequenceReset(ctx, msg); break;
      case '5': nextLogout(ctx, msg); break;
      default:
        if (verify(ctx, msg, true, true)) deliver(ctx, msg);
    }
  }
  if (!queued) nextQueued(ctx);
}

/**
 * An application message to the application. Its MsgSeqNum is persisted as processed only with the application's
 * first answer (or once the handler returns): a crash while it is being handled leaves it unprocessed on disk, so
 * the restarted side asks for it again instead of silently skipping it (issue 19 item 4).
 */
function deliver(ctx: SessionContext, msg: FixMessage): void {
  const store = ctx.store;
  store.beginInbound(msg.seqNum + 1);
  try {
    crashPoint('inbound-received', msg.msgType);
    ctx.session.emit('message', msg);
  } finally {
    store.endInbound();
  }
  crashPoint('after-inbound-seq', msg.msgType);
}

function nextQueued(ctx: SessionContext): void {
  for (let guard = 0; guard < MAX_QUEUED && !ctx.closed; guard++) {
    const expected = ctx.store.getNextTargetSeqNum();
    const msg = ctx.gaps.take(expected);
    if (!msg) return;
    ctx.event(`processing queued message ${expected}`);
    if (msg.msgType === 'A' || msg.msgType === '2') ctx.store.incrNextTargetSeqNum();
    else next(ctx, msg, true);
  }
}

export function goodTime(ctx: SessionContext, msg: FixMessage): boolean {
  const t = parseUtcTimestamp(msg.get(52) ?? '');
  if (t === undefined) return false;
  return Math.abs(Date.now() - t) <= (ctx.config?.sendingTimeToleranceSec ?? 120) * 1000;
}

function verify(ctx: SessionContext, msg: FixMessage, checkTooHigh: boolean, checkTooLow: boolean): boolean {
  const msgType = msg.msgType;
  // Before the Logon exchange only a Logon, or a Logout answering ours (a refusal), is acceptable.
  if (!ctx.receivedLogon && msgType !== 'A' && !(msgType === '5' && ctx.sentLogon)) {
    ctx.disconnect('message before Logon', 'message-before-logon');
    return false;
  }
  if (!goodTime(ctx, msg)) {
    generateReject(ctx, msg, 10);
    if (!ctx.closed) generateLogout(ctx);
    return false;
  }
  if (msg.get(49) !== ctx.cfg.targetCompId || msg.get(56) !== ctx.cfg.senderCompId) {
    generateReject(ctx, msg, 9);
    if (!ctx.closed) generateLogout(ctx);
    return false;
  }
  const seq = msg.seqNum;
  const expected = ctx.store.getNextTargetSeqNum();
  if (checkTooHigh && seq > expected) {
    doTargetTooHigh(ctx, msg);
    return false;
  }
  if (checkTooLow && seq < expected) {
    doTargetTooLow(ctx, msg);
    return false;
  }
  const range = ctx.gaps.resendRange;
  if ((checkTooHigh || checkTooLow) && range && seq >= range[1]) {
    ctx.event(`ResendRequest ${range[0]}..${range[1]} satisfied`);
    ctx.gaps.resendRange = null;
  }
  ctx.clock.lastRecv = Date.now();
  ctx.clock.testRequests = 0;
  return true;
}

function doTargetTooHigh(ctx: SessionContext, msg: FixMessage): void {
  const seq = msg.seqNum;
  ctx.event(`MsgSeqNum too high, expecting ${ctx.store.getNextTargetSeqNum()} but received ${seq}`);
  if (ctx.gaps.size >= MAX_QUEUED) {
    generateLogout(ctx, 'Too many messages queued for a gap');
    ctx.disconnect('queue overflow', 'queue-overflow');
    return;
  }
  ctx.gaps.add(seq, msg);
  ctx.clock.lastRecv = Date.now();
  const range = ctx.gaps.resendRange;
  if (range && seq >= range[0]) return;
  generateResendRequest(ctx, seq);
}

function doTargetTooLow(ctx: SessionContext, msg: FixMessage): void {
  const seq = msg.seqNum;
  if (msg.get(43) !== 'Y') {
    const text = `MsgSeqNum too low, expecting ${ctx.store.getNextTargetSeqNum()} but received ${seq}`;
    generateLogout(ctx, text, ctx.cfg.logoutFields?.('seq-too-low') ?? []);
    ctx.disconnect(text, 'seq-too-low');
    return;
  }
  // A possible duplicate of something already processed: check it, then drop it.
  if (msg.msgType !== '4') {
    const orig = msg.get(122);
    if (orig === undefined) { generateReject(ctx, msg, 1, 122); return; }
    const o = parseUtcTimestamp(orig);
    const s = parseUtcTimestamp(msg.get(52) ?? '');
    if (o === undefined || s === undefined || o > s) {
      generateReject(ctx, msg, 10);
      if (!ctx.closed) generateLogout(ctx);
    }
  }
  ctx.clock.lastRecv = Date.now();
}

export function nextLogon(ctx: SessionContext, msg: FixMessage, extra: Field[]): void {
  const store = ctx.store;
  const resetFlag = msg.get(141) === 'Y';
  ctx.receivedReset = resetFlag;
  if (resetFlag && !ctx.sentReset) {
    ctx.event('Logon with ResetSeqNumFlag=Y: sequence numbers reset to 1');
    store.reset();
    ctx.gaps.clear();
    ctx.gaps.resendRange = null;
  }
  if (ctx.role === 'acceptor' && ctx.cfg.resetOnLogon && !ctx.receivedLogon) {
    store.reset();
    ctx.gaps.clear();
  }
  if (!verify(ctx, msg, false, true)) return;
  const first = !ctx.receivedLogon;
  ctx.receivedLogon = true;
  if (ctx.role === 'acceptor' || (ctx.receivedReset && !ctx.sentReset)) {
    if (ctx.role === 'acceptor') ctx.hbMs = (msg.getInt(108) ?? 0) * ctx.unit;
    generateLogon(ctx, extra);
  }
  ctx.sentReset = false;
  ctx.receivedReset = false;
  ctx.state = 'active';
  ctx.clock.lastRecv = Date.now();
  if (ctx.hbMs > 0) ctx.clock.start(Math.min(500, Math.max(10, Math.floor(ctx.hbMs / 20))), () => tick(ctx));
  if (first) ctx.clock.scheduleDailyReset(ctx.config?.dailyReset?.atUtc);
  if (msg.seqNum > store.getNextTargetSeqNum() && !resetFlag) doTargetTooHigh(ctx, msg);
  else { store.incrNextTargetSeqNum(); nextQueued(ctx); }
  ctx.session.emit('logon', msg);
}

function nextTestRequest(ctx: SessionContext, msg: FixMessage): void {
  if (!verify(ctx, msg, true, true)) return;
  generateHeartbeat(ctx, msg.get(112) ?? '');
  ctx.store.incrNextTargetSeqNum();
}

function nextLogout(ctx: SessionContext, msg: FixMessage): void {
  if (!verify(ctx, msg, false, false)) return;
  const text = msg.get(58);
  if (!ctx.receivedLogon) {
    // A refusal of our Logon: no session was established, so it is neither answered nor counted (the
    // acceptor did not store it either), and the next Logon starts from the same sequence numbers.
    ctx.session.emit('logout', text, msg);
    ctx.disconnect('logged out', 'logged-out');
    return;
  }
  if (!ctx.sentLogout) generateLogout(ctx);
  ctx.store.incrNextTargetSeqNum();
  ctx.session.emit('logout', text, msg);
  ctx.disconnect('logged out', 'logged-out');
}

function nextReject(ctx: SessionContext, msg: FixMessage): void {
  if (!verify(ctx, msg, false, true)) return;
  ctx.store.incrNextTargetSeqNum();
  const g = (t: number): number | undefined => msg.getInt(t);
  ctx.session.emit('reject', { direction: 'received', refSeqNum: g(45), refMsgType: msg.get(372), reason: g(373), refTagId: g(371), text: msg.get(58) } satisfies RejectInfo);
}

function nextSequenceReset(ctx: SessionContext, msg: FixMessage): void {
  const gapFill = msg.get(123) === 'Y';
  if (!verify(ctx, msg, gapFill, gapFill)) return;
  const newSeqNo = msg.getInt(36);
  if (newSeqNo === undefined) return;
  ctx.event(`received SequenceReset${gapFill ? '-GapFill' : ''} to ${newSeqNo}`);
  const expected = ctx.store.getNextTargetSeqNum();
  if (newSeqNo > expected) ctx.store.setNextTargetSeqNum(newSeqNo);
  else if (newSeqNo < expected) generateReject(ctx, msg, 5);
}

function nextResendRequest(ctx: SessionContext, msg: FixMessage): void {
  if (!verify(ctx, msg, false, false)) return;
  answerResendRequest(ctx, msg);
  if (msg.seqNum === ctx.store.getNextTargetSeqNum()) ctx.store.incrNextTargetSeqNum();
}
