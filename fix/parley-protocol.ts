/**
 * Parley's user-defined FIX messages and tags (tags 5000–9999, MsgTypes U…), shared by the gateway and the
 * client: the dictionary extension (so both sides validate them like any FIX 4.4 message) and small builders
 * and readers over Field[] / FixMessage. docs/protocol.md documents each of them.
 *
 * Imports only fix/ files (layering).
 */
import type { Field, FixMessage } from './codec.ts';
import { readGroup } from './protocol/group.ts';
import { parseUtcTimestamp, utcTimestamp } from './protocol/time.ts';
import { safeText } from './protocol/values.ts';
import { extendDictionary, fix44Dictionary, type Dictionary } from './dictionary/dictionary.ts';
import {
  DECISION_WIRE, KEY_REG_STAGE_WIRE, KEY_REG_STATUS_WIRE, PARLEY_EXTENSION, PARLEY_MSG, PARLEY_TAG, SCOPE_WIRE, STEP_UP_RESULT_WIRE,
} from './dictionary/parley-extension.ts';

// The tags, message types and wire values are defined once, in fix/dictionary/parley-extension.ts (the generator
// renders them into fix/dictionary/tags.ts as `Tag` / `MsgType`); TAG and MSG stay here as short names.
export const TAG = PARLEY_TAG;
export const MSG = PARLEY_MSG;
export { PARLEY_EXTENSION };

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

let dict: Dictionary | undefined;
/** FIX 4.4 plus Parley's messages and tags (built on first use). */
export function parleyDictionary(): Dictionary {
  // extendDictionary also adds the U… MsgTypes to MsgType(35)'s enumeration (checked in the test).
  dict ??= extendDictionary(fix44Dictionary(), PARLEY_EXTENSION);
  return dict;
}

// ---------------------------------------------------------------------------------------------------------
// Values

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

// One strict UTCTimestamp parser and formatter, one text sanitiser, one group reader for all of fix/: they
// live in fix/protocol/ and are re-exported here under the names callers know. (A lax parser here once let
// 25:00:00 roll over into the next day.)
export { parseUtcTimestamp, utcTimestamp } from './protocol/time.ts';
export { safeText } from './protocol/values.ts';
export { readGroup } from './protocol/group.ts';

// ---------------------------------------------------------------------------------------------------------
// Builders (bodies without the standard header) and readers

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

export type SecurityStatus = {
  decision: Decision; scope: StatusScope; score?: number; factors: Factor[]; reasons?: string[]; controls?: string[];
  requestRef?: string; attestDeadline?: Date; role?: string; text?: string;
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
  const text = msg.get(TAG.Text);
  if (text) s.text = text;
  return s;
}

/** The decision a Logout carries: a refused Logon (DENY, scope LOGON) or a session the gateway ended (ENDED). */
export type LogoutDecision = { decision: Decision; scope: StatusScope; score?: number; factors: Factor[]; reason?: string };

export function logoutDecisionFields(d: LogoutDecision): Field[] {
  const f: Field[] = [
    { tag: TAG.Decision, value: decisionToWire(d.decision) },
    { tag: TAG.StatusScope, value: scopeToWire(d.scope) },
  ];
  if (d.score !== undefined) f.push({ tag: TAG.RiskScore, value: String(Math.round(d.score)) });
  f.push(...factorFields(d.factors));
  if (d.reason) f.push({ tag: TAG.PolicyReason, value: safeText(d.reason) });
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
  return d;
}

export type StepUpChallenge = {
  challengeId: string; methods: StepUpMethod[]; scope: StatusScope; score?: number; factors: Factor[];
  expiresAt: Date; attemptsLeft: number; requiredAcr?: string; maxAuthAgeSec?: number;
  webauthnOptions?: string; requestRef?: string; text?: string;
};

export function stepUpChallengeFields(c: StepUpChallenge): Field[] {
  const f: Field[] = [
    { tag: TAG.ChallengeID, value: c.challengeId },
    { tag: TAG.StepUpMethods, value: c.methods.join(' ') },
    { tag: TAG.StatusScope, value: scopeToWire(c.scope) },
  ];
  if (c.score !== undefined) f.push({ tag: TAG.RiskScore, value: String(Math.round(c.score)) });
  f.push(...factorFields(c.factors));
  f.push({ tag: TAG.ChallengeExpireTime, value: utcTimestamp(c.expiresAt) });
  f.push({ tag: TAG.AttemptsLeft, value: String(c.attemptsLeft) });
  if (c.requiredAcr) f.push({ tag: TAG.RequiredAcr, value: c.requiredAcr });
  if (c.maxAuthAgeSec !== undefined) f.push({ tag: TAG.MaxAuthAge, value: String(c.maxAuthAgeSec) });
  if (c.webauthnOptions) f.push({ tag: TAG.WebAuthnOptions, value: safeText(c.webauthnOptions, 8192) });
  if (c.requestRef) f.push({ tag: TAG.RequestRef, value: safeText(c.requestRef, 64) });
  if (c.text) f.push({ tag: TAG.Text, value: safeText(c.text) });
  return f;
}

export function readStepUpChallenge(msg: FixMessage): StepUpChallenge {
  const c: StepUpChallenge = {
    challengeId: msg.get(TAG.ChallengeID) ?? '',
    methods: (msg.get(TAG.StepUpMethods) ?? '').split(' ').filter((m): m is StepUpMethod => m === 'totp' || m === 'webauthn'),
    scope: scopeFromWire(msg.get(TAG.StatusScope)) ?? 'logon',
    factors: readFactors(msg),
    expiresAt: parseUtcTimestamp(msg.get(TAG.ChallengeExpireTime)) ?? new Date(0),
    attemptsLeft: msg.getInt(TAG.AttemptsLeft) ?? 0,
  };
  const score = msg.get(TAG.RiskScore);
  if (score !== undefined) c.score = Number(score);
  const acr = msg.get(TAG.RequiredAcr);
  if (acr) c.requiredAcr = acr;
  const age = msg.getInt(TAG.MaxAuthAge);
  if (age !== undefined) c.maxAuthAgeSec = age;
  const wo = msg.get(TAG.WebAuthnOptions);
  if (wo) c.webauthnOptions = wo;
  const ref = msg.get(TAG.RequestRef);
  if (ref) c.requestRef = ref;
  const text = msg.get(TAG.Text);
  if (text) c.text = text;
  return c;
}

export type StepUpResponse = { challengeId: string; method: StepUpMethod; code?: string; webauthnResponse?: string };

export function stepUpResponseFields(r: StepUpResponse): Field[] {
  const f: Field[] = [{ tag: TAG.ChallengeID, value: r.challengeId }, { tag: TAG.StepUpMethod, value: r.method }];
  if (r.code !== undefined) f.push({ tag: TAG.StepUpCode, value: r.code });
  if (r.webauthnResponse !== undefined) f.push({ tag: TAG.WebAuthnResponse, value: r.webauthnResponse });
  return f;
}

export function readStepUpResponse(msg: FixMessage): StepUpResponse | undefined {
  const challengeId = msg.get(TAG.ChallengeID);
  const method = msg.get(TAG.StepUpMethod);
  if (!challengeId || (method !== 'totp' && method !== 'webauthn')) return undefined;
  const r: StepUpResponse = { challengeId, method };
  const code = msg.get(TAG.StepUpCode);
  if (code !== undefined) r.code = code;
  const wa = msg.get(TAG.WebAuthnResponse);
  if (wa !== undefined) r.webauthnResponse = wa;
  return r;
}

export function stepUpResultFields(r: { challengeId: string; result: StepUpResultCode; attemptsLeft?: number; text?: string }): Field[] {
  const f: Field[] = [{ tag: TAG.ChallengeID, value: r.challengeId }, { tag: TAG.StepUpResult, value: resultToWire(r.result) }];
  if (r.attemptsLeft !== undefined) f.push({ tag: TAG.AttemptsLeft, value: String(r.attemptsLeft) });
  if (r.text) f.push({ tag: TAG.Text, value: safeText(r.text) });
  return f;
}

export function readStepUpResult(msg: FixMessage): { challengeId: string; result: StepUpResultCode; attemptsLeft?: number; text?: string } {
  const out: { challengeId: string; result: StepUpResultCode; attemptsLeft?: number; text?: string } = {
    challengeId: msg.get(TAG.ChallengeID) ?? '', result: resultFromWire(msg.get(TAG.StepUpResult)) ?? 'unknown',
  };
  const left = msg.getInt(TAG.AttemptsLeft);
  if (left !== undefined) out.attemptsLeft = left;
  const text = msg.get(TAG.Text);
  if (text) out.text = text;
  return out;
}

export function attestationRequestFields(deadline: Date, intervalSec?: number, text?: string): Field[] {
  const f: Field[] = [{ tag: TAG.AttestDeadline, value: utcTimestamp(deadline) }];
  if (intervalSec !== undefined) f.push({ tag: TAG.AttestInterval, value: String(Math.round(intervalSec)) });
  if (text) f.push({ tag: TAG.Text, value: safeText(text) });
  return f;
}

export type DealerInfo = { name: string; delayMs: number; spreadBps: number };

export function dealerListFields(dealers: readonly DealerInfo[], requestId?: string): Field[] {
  const f: Field[] = [];
  if (requestId) f.push({ tag: TAG.RequestID, value: safeText(requestId, 64) });
  f.push({ tag: TAG.NoDealers, value: String(dealers.length) });
  for (const d of dealers) {
    f.push({ tag: TAG.DealerName, value: safeText(d.name, 64) });
    f.push({ tag: TAG.DealerDelayMs, value: String(Math.round(d.delayMs)) });
    f.push({ tag: TAG.DealerSpreadBps, value: String(d.spreadBps) });
  }
  return f;
}

export function readDealerList(msg: FixMessage): DealerInfo[] {
  return readGroup(msg, TAG.NoDealers, TAG.DealerName, [TAG.DealerName, TAG.DealerDelayMs, TAG.DealerSpreadBps]).map((g) => ({
    name: g.get(TAG.DealerName) ?? '', delayMs: Number(g.get(TAG.DealerDelayMs) ?? 0), spreadBps: Number(g.get(TAG.DealerSpreadBps) ?? 0),
  }));
}

// ---------------------------------------------------------------------------------------------------------
// Security-key registration (UK request, UL result)

/** The longest WebAuthn JSON (creation options or attestation response) either side puts in one field. */
export const MAX_WEBAUTHN_JSON = 32 * 1024;

export type KeyRegistrationRequest = { requestId: string; stage: KeyRegStage; webauthnResponse?: string };

export function keyRegistrationRequestFields(r: KeyRegistrationRequest): Field[] {
  const f: Field[] = [{ tag: TAG.RequestID, value: safeText(r.requestId, 64) }, { tag: TAG.KeyRegStage, value: REG_STAGES[r.stage] }];
  if (r.webauthnResponse !== undefined) f.push({ tag: TAG.WebAuthnResponse, value: r.webauthnResponse });
  return f;
}

/** Undefined when the request id or the stage is missing or unknown (the caller refuses it). */
export function readKeyRegistrationRequest(msg: FixMessage): KeyRegistrationRequest | undefined {
  const requestId = msg.get(TAG.RequestID);
  const wire = msg.get(TAG.KeyRegStage);
  const stage = (Object.keys(REG_STAGES) as KeyRegStage[]).find((k) => REG_STAGES[k] === wire);
  if (!requestId || requestId.length > 64 || !stage) return undefined;
  const r: KeyRegistrationRequest = { requestId, stage };
  const wa = msg.get(TAG.WebAuthnResponse);
  if (wa !== undefined) r.webauthnResponse = wa;
  return r;
}

export type KeyRegistrationResult = {
  requestId: string; status: KeyRegStatus; webauthnOptions?: string; credentialId?: string; challengeId?: string; text?: string;
};

export function keyRegistrationResultFields(r: KeyRegistrationResult): Field[] {
  const f: Field[] = [{ tag: TAG.RequestID, value: safeText(r.requestId, 64) }, { tag: TAG.KeyRegStatus, value: REG_STATUSES[r.status] }];
  if (r.webauthnOptions) f.push({ tag: TAG.WebAuthnOptions, value: safeText(r.webauthnOptions, MAX_WEBAUTHN_JSON) });
  if (r.credentialId) f.push({ tag: TAG.CredentialID, value: safeText(r.credentialId, 1400) });
  if (r.challengeId) f.push({ tag: TAG.ChallengeID, value: safeText(r.challengeId, 64) });
  if (r.text) f.push({ tag: TAG.Text, value: safeText(r.text) });
  return f;
}

export function readKeyRegistrationResult(msg: FixMessage): KeyRegistrationResult {
  const wire = msg.get(TAG.KeyRegStatus);
  const r: KeyRegistrationResult = {
    requestId: msg.get(TAG.RequestID) ?? '',
    // An unknown status is read as a refusal: the client never treats garbage as success.
    status: (Object.keys(REG_STATUSES) as KeyRegStatus[]).find((k) => REG_STATUSES[k] === wire) ?? 'rejected',
  };
  const wo = msg.get(TAG.WebAuthnOptions);
  if (wo) r.webauthnOptions = wo;
  const cred = msg.get(TAG.CredentialID);
  if (cred) r.credentialId = cred;
  const ch = msg.get(TAG.ChallengeID);
  if (ch) r.challengeId = ch;
  const text = msg.get(TAG.Text);
  if (text) r.text = text;
  return r;
}
