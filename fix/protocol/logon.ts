/**
 * What Parley adds to Logon(A): the client's credentials and posture attestation, and the decision the
 * gateway's Logon answer carries (ParleyDecision, score, factors, the user's role). The session fields of the
 * Logon itself (HeartBtInt, ResetSeqNumFlag, ...) are fix/session's.
 */
import type { Field, FixMessage } from '../codec.ts';
import { Tag } from '../dictionary/tags.ts';
import { decisionFromWire, decisionToWire, factorFields, readFactors, type Decision, type Factor } from './decision.ts';
import { ok, refuse, type ReadResult } from './result.ts';
import { safeText } from './values.ts';

export interface LogonCredentials { username: string; password: string; attestation?: string }

export function writeLogonCredentials(c: LogonCredentials): Field[] {
  const f: Field[] = [{ tag: Tag.Username, value: c.username }, { tag: Tag.Password, value: c.password }];
  if (c.attestation !== undefined) f.push({ tag: Tag.ParleyAttestation, value: c.attestation });
  return f;
}

/** What the gateway authorises a Logon on. `heartBtInt` is undefined when absent or not an integer. */
export interface LogonRequest {
  compId: string;
  username: string;
  password: string;
  heartBtInt?: number;
  attestation?: string;
}

export function readLogonRequest(m: FixMessage): ReadResult<LogonRequest> {
  const username = m.get(Tag.Username);
  const password = m.get(Tag.Password);
  if (!username || password === undefined) return refuse('Username(553) and Password(554) are required');
  const out: LogonRequest = { compId: m.get(Tag.SenderCompID) ?? '', username, password };
  const hb = m.getInt(Tag.HeartBtInt);
  if (hb !== undefined && Number.isSafeInteger(hb)) out.heartBtInt = hb;
  const attestation = m.get(Tag.ParleyAttestation);
  if (attestation) out.attestation = attestation;
  return ok(out);
}

/** The decision on the gateway's Logon answer. */
export interface LogonDecision { decision: Decision; score: number; factors: Factor[]; role?: string }

export function writeLogonDecision(d: LogonDecision): Field[] {
  const f: Field[] = [
    { tag: Tag.ParleyDecision, value: decisionToWire(d.decision) },
    { tag: Tag.ParleyRiskScore, value: String(Math.round(d.score)) },
    ...factorFields(d.factors),
  ];
  if (d.role) f.push({ tag: Tag.ParleySessionRole, value: safeText(d.role, 64) });
  return f;
}

/** A Logon answer without a decision (another FIX peer) reads as allow with score 0: nothing was scored. */
export function readLogonDecision(m: FixMessage): ReadResult<LogonDecision> {
  const score = m.getInt(Tag.ParleyRiskScore);
  const out: LogonDecision = {
    decision: decisionFromWire(m.get(Tag.ParleyDecision)) ?? 'allow',
    score: score !== undefined && Number.isSafeInteger(score) ? score : 0,
    factors: readFactors(m),
  };
  const role = m.get(Tag.ParleySessionRole);
  if (role) out.role = role.slice(0, 100);
  return ok(out);
}
