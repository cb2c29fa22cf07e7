/**
 * Step-up: ParleyStepUpChallenge(UC, gateway → client), ParleyStepUpResponse(UD, client → gateway) and
 * ParleyStepUpResult(UE, gateway → client).
 */
import type { Field, FixMessage } from '../codec.ts';
import { PARLEY_TAG as TAG } from '../dictionary/parley-extension.ts';
import {
  factorFields, readFactors, resultFromWire, resultToWire, scopeFromWire, scopeToWire, type Factor, type StatusScope, type StepUpMethod,
  type StepUpResultCode,
} from './decision.ts';
import { parseUtcTimestamp, utcTimestamp } from './time.ts';
import { safeText } from './values.ts';

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
