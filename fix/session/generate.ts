/**
 * The session-level messages a session generates itself: Logon, Logout, Heartbeat, Reject and
 * ResendRequest (SequenceReset-GapFill is in writer.ts, as it is written without being stored), with the
 * state each one changes.
 */
import type { Field, FixMessage } from '../codec.ts';
import type { SessionContext } from './context.ts';
import type { RejectInfo } from './types.ts';
import { bodyOnly } from './writer.ts';

// Routing fields swapped on a Reject: OnBehalfOf* ↔ DeliverTo*.
const ROUTE_SWAP: ReadonlyArray<[number, number]> = [[115, 128], [116, 129], [144, 145], [128, 115], [129, 116], [145, 144]];

const REJECT_TEXT: Record<number, string> = {
  0: 'Invalid tag number', 1: 'Required tag missing', 2: 'Tag not defined for this message type', 3: 'Undefined Tag',
  4: 'Tag specified without a value', 5: 'Value is incorrect (out of range) for this tag', 6: 'Incorrect data format for value',
  7: 'Decryption problem', 8: 'Signature problem', 9: 'CompID problem', 10: 'SendingTime accuracy problem',
  11: 'Invalid MsgType', 13: 'Tag appears more than once', 14: 'Tag specified out of required order',
  15: 'Repeating group fields out of order', 16: 'Incorrect NumInGroup count for repeating group',
  17: 'Non Data value includes field delimiter',
};

export function generateLogout(ctx: SessionContext, text?: string, extra: Field[] = []): void {
  ctx.writer.sendRaw('5', [...(text ? [{ tag: 58, value: text }] : []), ...bodyOnly(extra)]);
  ctx.sentLogout = true;
  ctx.clock.logoutAt = Date.now();
  if (ctx.state !== 'closed') ctx.state = 'logout-sent';
}

export function generateHeartbeat(ctx: SessionContext, testReqId?: string): void {
  ctx.writer.sendRaw('0', testReqId !== undefined ? [{ tag: 112, value: testReqId }] : []);
}

export function generateLogon(ctx: SessionContext, extra: Field[] = []): void {
  const body: Field[] = [{ tag: 98, value: '0' }, { tag: 108, value: String(ctx.hbMs / ctx.unit) }];
  if (ctx.role === 'initiator' ? ctx.sentReset : ctx.receivedReset) body.push({ tag: 141, value: 'Y' });
  ctx.writer.sendRaw('A', [...body, ...extra]);
  ctx.sentLogon = true;
}

export function generateReject(ctx: SessionContext, msg: FixMessage, reason: number, refTag?: number, text?: string): void {
  const msgType = msg.get(35) ?? '';
  const refSeq = msg.get(34);
  const body: Field[] = [];
  if (refSeq) body.push({ tag: 45, value: refSeq });
  body.push({ tag: 58, value: text ?? REJECT_TEXT[reason] ?? 'Rejected' });
  if (refTag !== undefined) body.push({ tag: 371, value: String(refTag) });
  if (msgType) body.push({ tag: 372, value: msgType });
  body.push({ tag: 373, value: String(reason) });
  const route: Field[] = [];
  for (const [from, to] of ROUTE_SWAP) {
    const v = msg.get(from);
    if (v) route.push({ tag: to, value: v });
  }
  if (msgType !== 'A' && msgType !== '4' && msg.seqNum === ctx.store.getNextTargetSeqNum()) ctx.store.incrNextTargetSeqNum();
  if (!ctx.receivedLogon) {
    ctx.disconnect(`rejected before logon: ${REJECT_TEXT[reason] ?? reason}`, 'rejected-before-logon');
    return;
  }
  ctx.writer.sendRaw('3', body, route);
  ctx.session.emit('reject', { direction: 'sent', refSeqNum: refSeq ? Number(refSeq) : undefined, refMsgType: msgType, reason, refTagId: refTag, text: body[refSeq ? 1 : 0]!.value } satisfies RejectInfo);
}

export function generateResendRequest(ctx: SessionContext, seqNum: number): void {
  const begin = ctx.store.getNextTargetSeqNum();
  ctx.writer.sendRaw('2', [{ tag: 7, value: String(begin) }, { tag: 16, value: '0' }]);
  ctx.gaps.resendRange = [begin, seqNum - 1];
  ctx.event(`sent ResendRequest ${begin}..${seqNum - 1}`);
}
