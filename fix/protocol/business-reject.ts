/**
 * BusinessMessageReject(j), gateway → client: an application message the gateway will not act on, with
 * Parley's decision fields (ParleyDecision, ParleyChallengeID, ParleyPolicyReason) when the access policy is
 * the reason. BusinessRejectRefID(379) names what was refused: the RFQ, the hit, the history request.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { decisionFromWire, decisionToWire, type Decision } from './decision.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { safeText } from './values.ts';

/** BusinessRejectReason(380), FIX 4.4 values Parley uses. */
export const BusinessRejectReason = {
  Other: 0, UnknownId: 1, UnknownSecurity: 2, UnsupportedMessageType: 3, ApplicationNotAvailable: 4,
  ConditionallyRequiredFieldMissing: 5, NotAuthorized: 6,
} as const;

export interface BusinessRejectMsg {
  refMsgType: string;
  reason: number;
  text: string;
  refSeqNum?: number;
  refId?: string;
  decision?: Decision;
  challengeId?: string;
  policyReason?: string;
}

export function writeBusinessReject(r: BusinessRejectMsg): Field[] {
  const f: Field[] = [];
  if (r.refSeqNum !== undefined) f.push({ tag: Tag.RefSeqNum, value: String(r.refSeqNum) });
  f.push({ tag: Tag.Text, value: safeText(r.text) }, { tag: Tag.RefMsgType, value: safeText(r.refMsgType, 8) });
  if (r.refId) f.push({ tag: Tag.BusinessRejectRefID, value: safeText(r.refId, 64) });
  f.push({ tag: Tag.BusinessRejectReason, value: String(r.reason) });
  if (r.decision) f.push({ tag: Tag.ParleyDecision, value: decisionToWire(r.decision) });
  if (r.challengeId) f.push({ tag: Tag.ParleyChallengeID, value: safeText(r.challengeId, 64) });
  if (r.policyReason) f.push({ tag: Tag.ParleyPolicyReason, value: safeText(r.policyReason) });
  return f;
}

/**
 * What a reject refers to, from the refused message itself: its MsgType, MsgSeqNum and its first business id
 * (QuoteReqID, QuoteRespID, TradeRequestID, ClOrdID, in that order).
 */
export function rejectRefOf(m: FixMessage): Pick<BusinessRejectMsg, 'refMsgType' | 'refSeqNum' | 'refId'> {
  const out: Pick<BusinessRejectMsg, 'refMsgType' | 'refSeqNum' | 'refId'> = { refMsgType: m.msgType };
  const seq = m.getInt(Tag.MsgSeqNum);
  if (seq !== undefined && Number.isSafeInteger(seq) && seq > 0) out.refSeqNum = seq;
  const ref = m.get(Tag.QuoteReqID) ?? m.get(Tag.QuoteRespID) ?? m.get(Tag.TradeRequestID) ?? m.get(Tag.ClOrdID);
  if (ref) out.refId = ref;
  return out;
}

export function readBusinessReject(m: FixMessage): ReadResult<BusinessRejectMsg> {
  const refMsgType = m.get(Tag.RefMsgType);
  if (!refMsgType) return refuse('RefMsgType(372) missing');
  const reason = m.getInt(Tag.BusinessRejectReason);
  const out: BusinessRejectMsg = {
    refMsgType: refMsgType.slice(0, 8),
    reason: reason !== undefined && Number.isSafeInteger(reason) ? reason : BusinessRejectReason.Other,
    text: (m.get(Tag.Text) ?? 'the gateway refused the request').slice(0, 2_000),
  };
  const seq = m.getInt(Tag.RefSeqNum);
  if (seq !== undefined && Number.isSafeInteger(seq)) out.refSeqNum = seq;
  const refId = m.get(Tag.BusinessRejectRefID);
  if (refId) out.refId = refId.slice(0, 64);
  const decision = decisionFromWire(m.get(Tag.ParleyDecision));
  if (decision) out.decision = decision;
  const challengeId = m.get(Tag.ParleyChallengeID);
  if (challengeId) out.challengeId = challengeId.slice(0, 64);
  const policyReason = m.get(Tag.ParleyPolicyReason);
  if (policyReason) out.policyReason = policyReason.slice(0, 512);
  return ok(out);
}
