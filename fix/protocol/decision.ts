/**
 * Parley's decision vocabulary shared by its messages: the decision, its scope, step-up methods and results,
 * key-registration stages, and the risk factors group (NoParleyFactors) — domain value ↔ wire value.
 */
import type { Field, FixMessage } from '../codec.ts';
import {
  DECISION_WIRE, ENDED_BY_WIRE, KEY_REG_STAGE_WIRE, KEY_REG_STATUS_WIRE, NEXT_STEP_WIRE, PARLEY_TAG as TAG, SCOPE_WIRE,
  STEP_UP_RESULT_WIRE,
} from '../dictionary/parley-extension.ts';
import { readGroup } from './group.ts';
import { safeText } from './values.ts';

export type Decision = 'allow' | 'step-up' | 'deny' | 'downgraded' | 'ended' | 'log-only';
export type StatusScope = 'logon' | 'action' | 'posture' | 'reattest' | 'policy' | 'revocation';
export type StepUpMethod = 'totp' | 'webauthn';
export type StepUpResultCode = 'success' | 'failed' | 'locked' | 'expired' | 'unknown';
/** Security-key registration: BEGIN asks for creation options, FINISH carries the authenticator's attestation. */
export type KeyRegStage = 'begin' | 'finish';
/** OPTIONS answers BEGIN; REGISTERED / REJECTED answer FINISH (REJECTED may also answer BEGIN). */
export type KeyRegStatus = 'options' | 'registered' | 'rejected';

const DECISIONS = DECISION_WIRE;
const SCOPES = SCOPE_WIRE;
const REG_STAGES = KEY_REG_STAGE_WIRE;
const REG_STATUSES = KEY_REG_STATUS_WIRE;
const RESULTS = STEP_UP_RESULT_WIRE;

export function decisionToWire(d: Decision): string { return DECISIONS[d]; }
export function decisionFromWire(v: string | undefined): Decision | undefined {
  return (Object.keys(DECISIONS) as Decision[]).find((k) => DECISIONS[k] === v);
}
export function scopeToWire(s: StatusScope): string { return SCOPES[s]; }
export function scopeFromWire(v: string | undefined): StatusScope | undefined {
  return (Object.keys(SCOPES) as StatusScope[]).find((k) => SCOPES[k] === v);
}
export function resultToWire(r: StepUpResultCode): string { return RESULTS[r]; }
export function resultFromWire(v: string | undefined): StepUpResultCode | undefined {
  return (Object.keys(RESULTS) as StepUpResultCode[]).find((k) => RESULTS[k] === v);
}

export type Factor = { name: string; condition: string; score: number };

export function factorFields(factors: readonly Factor[]): Field[] {
  if (factors.length === 0) return [];
  const out: Field[] = [{ tag: TAG.NoFactors, value: String(factors.length) }];
  for (const f of factors) {
    out.push({ tag: TAG.FactorName, value: safeText(f.name, 64) });
    out.push({ tag: TAG.FactorCondition, value: safeText(f.condition, 128) });
    out.push({ tag: TAG.FactorScore, value: String(Math.round(f.score)) });
  }
  return out;
}

export function readFactors(msg: FixMessage): Factor[] {
  return readGroup(msg, TAG.NoFactors, TAG.FactorName, [TAG.FactorName, TAG.FactorCondition, TAG.FactorScore]).map((g) => ({
    name: g.get(TAG.FactorName) ?? '', condition: g.get(TAG.FactorCondition) ?? '', score: Number(g.get(TAG.FactorScore) ?? 0),
  }));
}

/** Key-registration stage / status ↔ wire (unknown → undefined). */
export function regStageToWire(s: KeyRegStage): string { return REG_STAGES[s]; }
export function regStageFromWire(v: string | undefined): KeyRegStage | undefined {
  return (Object.keys(REG_STAGES) as KeyRegStage[]).find((k) => REG_STAGES[k] === v);
}
export function regStatusToWire(s: KeyRegStatus): string { return REG_STATUSES[s]; }
export function regStatusFromWire(v: string | undefined): KeyRegStatus | undefined {
  return (Object.keys(REG_STATUSES) as KeyRegStatus[]).find((k) => REG_STATUSES[k] === v);
}

/**
 * Who (or what) ended a session: the scope says which check spoke (REVOCATION, POLICY, …) but not who acted —
 * an IT kill, a policy deny and a gateway shutdown all end with scope POLICY — so the end says it itself.
 */
export type EndedBy = keyof typeof ENDED_BY_WIRE;
/** What the user does next; the client words it. */
export type NextStep = keyof typeof NEXT_STEP_WIRE;
/** The structured end of a session (ParleyEndedBy / ParleyEndDetail / ParleyNextStep) on a Logout or a UB ENDED. */
export type SessionEndSignal = { by: EndedBy; next?: NextStep; detail?: string };

const fromWire = <K extends string>(m: Record<K, string>, v: string | undefined): K | undefined =>
  v === undefined ? undefined : (Object.keys(m) as K[]).find((k) => m[k] === v);

export function sessionEndFields(e: SessionEndSignal): Field[] {
  const f: Field[] = [{ tag: TAG.EndedBy, value: ENDED_BY_WIRE[e.by] }];
  if (e.detail) f.push({ tag: TAG.EndDetail, value: safeText(e.detail, 200) });
  if (e.next) f.push({ tag: TAG.NextStep, value: NEXT_STEP_WIRE[e.next] });
  return f;
}

/** The end a message carries, or undefined without one (an unknown actor is no end: the caller falls back). */
export function readSessionEnd(msg: FixMessage): SessionEndSignal | undefined {
  const by = fromWire(ENDED_BY_WIRE, msg.get(TAG.EndedBy));
  if (!by) return undefined;
  const e: SessionEndSignal = { by };
  const next = fromWire(NEXT_STEP_WIRE, msg.get(TAG.NextStep));
  if (next) e.next = next;
  const detail = msg.get(TAG.EndDetail);
  if (detail) e.detail = safeText(detail, 200);
  return e;
}
