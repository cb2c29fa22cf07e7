/**
 * ParleySecurityStatus(UB), gateway → client: a decision about the session or one action, with its score,
 * factors, policy reasons and controls; and the same decision carried on a Logout(5) that refuses a Logon or
 * ends a session.
 */
import type { Field, FixMessage } from '../codec.ts';
import { PARLEY_TAG as TAG } from '../dictionary/parley-extension.ts';
import {
  decisionFromWire, decisionToWire, factorFields, readFactors, readSessionEnd, scopeFromWire, scopeToWire, sessionEndFields,
  type Decision, type Factor, type SessionEndSignal, type StatusScope,
} from './decision.ts';
import { parseUtcTimestamp, utcTimestamp } from './time.ts';
import { safeText } from './values.ts';

export type SecurityStatus = {
  decision: Decision; scope: StatusScope; score?: number; factors: Factor[]; reasons?: string[]; controls?: string[];
  requestRef?: string; attestDeadline?: Date; role?: string; text?: string;
  /** On ENDED: who ended the session, their reason, the next step. */
  end?: SessionEndSignal;
};

export function securityStatusFields(s: SecurityStatus): Field[] {
  const f: Field[] = [
    { tag: TAG.Decision, value: decisionToWire(s.decision) },
    { tag: TAG.StatusScope, value: scopeToWire(s.scope) },
  ];
  if (s.score !== undefined) f.push({ tag: TAG.RiskScore, value: String(Math.round(s.score)) });
  f.push(...factorFields(s.factors));
  if (s.reasons?.length) f.push({ tag: TAG.PolicyReason, value: safeText(s.reasons.join('; ')) });
  if (s.controls?.length) f.push({ tag: TAG.Controls, value: safeText(s.controls.join(' ')) });
  if (s.requestRef) f.push({ tag: TAG.RequestRef, value: safeText(s.requestRef, 64) });
  if (s.attestDeadline) f.push({ tag: TAG.AttestDeadline, value: utcTimestamp(s.attestDeadline) });
  if (s.role) f.push({ tag: TAG.SessionRole, value: safeText(s.role, 64) });
  if (s.end) f.push(...sessionEndFields(s.end));
  if (s.text) f.push({ tag: TAG.Text, value: safeText(s.text) });
  return f;
}

export function readSecurityStatus(msg: FixMessage): SecurityStatus {
  const reasons = msg.get(TAG.PolicyReason);
  const controls = msg.get(TAG.Controls);
  const score = msg.get(TAG.RiskScore);
  const deadline = parseUtcTimestamp(msg.get(TAG.AttestDeadline));
  const s: SecurityStatus = {
    decision: decisionFromWire(msg.get(TAG.Decision)) ?? 'deny',
    scope: scopeFromWire(msg.get(TAG.StatusScope)) ?? 'logon',
    factors: readFactors(msg),
  };
  if (score !== undefined) s.score = Number(score);
  if (reasons) s.reasons = reasons.split('; ');
  if (controls) s.controls = controls.split(' ');
  const ref = msg.get(TAG.RequestRef);
  if (ref) s.requestRef = ref;
  if (deadline) s.attestDeadline = deadline;
  const role = msg.get(TAG.SessionRole);
  if (role) s.role = role;
  const end = readSessionEnd(msg);
  if (end) s.end = end;
  const text = msg.get(TAG.Text);
  if (text) s.text = text;
  return s;
}

/** The decision a Logout carries: a refused Logon (DENY, scope LOGON) or a session the gateway ended (ENDED). */
export type LogoutDecision = {
  decision: Decision; scope: StatusScope; score?: number; factors: Factor[]; reason?: string;
  /** On a session the gateway ended: who ended it, their reason, the next step. */
  end?: SessionEndSignal;
};

export function logoutDecisionFields(d: LogoutDecision): Field[] {
  const f: Field[] = [
    { tag: TAG.Decision, value: decisionToWire(d.decision) },
    { tag: TAG.StatusScope, value: scopeToWire(d.scope) },
  ];
  if (d.score !== undefined) f.push({ tag: TAG.RiskScore, value: String(Math.round(d.score)) });
  f.push(...factorFields(d.factors));
  if (d.reason) f.push({ tag: TAG.PolicyReason, value: safeText(d.reason) });
  if (d.end) f.push(...sessionEndFields(d.end));
  return f;
}

/** The structured decision on a Logout, or undefined when it carries none (a plain Logout, another peer). */
export function readLogoutDecision(msg: FixMessage): LogoutDecision | undefined {
  const decision = decisionFromWire(msg.get(TAG.Decision));
  if (!decision) return undefined;
  const d: LogoutDecision = { decision, scope: scopeFromWire(msg.get(TAG.StatusScope)) ?? 'logon', factors: readFactors(msg) };
  const score = msg.getInt(TAG.RiskScore);
  if (score !== undefined && Number.isFinite(score)) d.score = score;
  const reason = msg.get(TAG.PolicyReason);
  if (reason) d.reason = reason;
  const end = readSessionEnd(msg);
  if (end) d.end = end;
  return d;
}
