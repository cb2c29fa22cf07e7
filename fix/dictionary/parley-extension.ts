/**
 * Parley's extension of the FIX 4.4 dictionary — the one source of Parley's own tags (user range 5000–9999) and
 * messages (MsgTypes U…). The generator (generate.ts) renders these, with the FIX 4.4 fields and messages, into
 * the `Tag` and `MsgType` constants of tags.ts; parleyDictionary() (fix/parley-protocol.ts) extends the FIX 4.4
 * dictionary with them so both sides validate Parley's messages like any FIX message. docs/protocol.md lists
 * each of them.
 *
 * This file is data only and imports nothing but types: the generator reads it, so it must never depend on
 * the generated file.
 */
import type { DictionaryExtension } from './dictionary.ts';

/** Short names used inside fix/ (the generated `Tag` spells them with their dictionary names, e.g. ParleyDecision). */
export const PARLEY_TAG = {
  // Standard FIX 4.4 tags Parley's messages reuse.
  Text: 58,
  Username: 553,
  Password: 554,
  SubscriptionRequestType: 263,
  // Parley's own (user range).
  Attestation: 5001,
  Decision: 5002,
  RiskScore: 5003,
  NoFactors: 5004,
  FactorName: 5005,
  FactorCondition: 5006,
  FactorScore: 5007,
  PolicyReason: 5008,
  StatusScope: 5009,
  ChallengeID: 5010,
  StepUpMethods: 5011,
  ChallengeExpireTime: 5012,
  AttemptsLeft: 5013,
  RequiredAcr: 5014,
  MaxAuthAge: 5015,
  WebAuthnOptions: 5016,
  StepUpMethod: 5017,
  StepUpCode: 5018,
  WebAuthnResponse: 5019,
  StepUpResult: 5020,
  AttestDeadline: 5021,
  AttestInterval: 5022,
  RequestRef: 5023,
  Dealer: 5024,
  NoDealers: 5025,
  DealerName: 5026,
  DealerDelayMs: 5027,
  DealerSpreadBps: 5028,
  RfqOwner: 5029,
  RequestID: 5030,
  ReportCount: 5031,
  SessionRole: 5032,
  Controls: 5033,
  KeyRegStage: 5034,
  KeyRegStatus: 5035,
  CredentialID: 5036,
  SessionStatus: 5037,
  EndedBy: 5038,
  EndDetail: 5039,
  NextStep: 5040,
} as const;

export const PARLEY_MSG = {
  Attestation: 'UA',
  SecurityStatus: 'UB',
  StepUpChallenge: 'UC',
  StepUpResponse: 'UD',
  StepUpResult: 'UE',
  AttestationRequest: 'UF',
  DealerList: 'UG',
  DealerListRequest: 'UH',
  OpenRfqsRequest: 'UI',
  OpenRfqsAck: 'UJ',
  KeyRegistrationRequest: 'UK',
  KeyRegistrationResult: 'UL',
} as const;

// Domain value → wire value of Parley's enumerated fields.
export const DECISION_WIRE = { allow: 'ALLOW', 'step-up': 'STEP_UP', deny: 'DENY', downgraded: 'DOWNGRADED', ended: 'ENDED', 'log-only': 'LOG_ONLY' } as const;
export const SCOPE_WIRE = { logon: 'LOGON', action: 'ACTION', posture: 'POSTURE', reattest: 'REATTEST', policy: 'POLICY', revocation: 'REVOCATION' } as const;
export const KEY_REG_STAGE_WIRE = { begin: 'BEGIN', finish: 'FINISH' } as const;
export const KEY_REG_STATUS_WIRE = { options: 'OPTIONS', registered: 'REGISTERED', rejected: 'REJECTED' } as const;
/** Why the engine itself ended a session, on its Logout: FIXT 1.1 SessionStatus(1409) values (FIX 4.4 has none). */
export const SESSION_STATUS_WIRE = { 'seq-too-low': '9' } as const;
/** Who (or what) ended a session, on the Logout and the UB ENDED that end it. */
export const ENDED_BY_WIRE = { it: 'IT', policy: 'POLICY', posture: 'POSTURE', revocation: 'REVOCATION', 'step-up': 'STEP_UP', shutdown: 'SHUTDOWN', network: 'NETWORK' } as const;
/** What the user does next after that end (the client words it; no text to parse). */
export const NEXT_STEP_WIRE = { 'sign-in': 'SIGN_IN', enroll: 'ENROLL', 'fix-device': 'FIX_DEVICE', reconnect: 'RECONNECT', 'contact-it': 'CONTACT_IT' } as const;
export const STEP_UP_RESULT_WIRE = { success: 'SUCCESS', failed: 'FAILED', locked: 'LOCKED', expired: 'EXPIRED', unknown: 'UNKNOWN' } as const;

/** Dictionary `values` are wire value → description. */
const wireValues = (m: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(m).map(([k, v]) => [v, k]));

const T = PARLEY_TAG;
const factorsGroup = { g: T.NoFactors, r: false, items: [
  { f: T.FactorName, r: true }, { f: T.FactorCondition, r: false }, { f: T.FactorScore, r: false },
] };
const o = (f: number) => ({ f, r: false });
const req = (f: number) => ({ f, r: true });
const M = PARLEY_MSG;

export const PARLEY_EXTENSION: DictionaryExtension = {
  fields: [
    { tag: T.Attestation, name: 'ParleyAttestation', type: 'STRING' },
    { tag: T.Decision, name: 'ParleyDecision', type: 'STRING', values: wireValues(DECISION_WIRE) },
    { tag: T.RiskScore, name: 'ParleyRiskScore', type: 'INT' },
    { tag: T.NoFactors, name: 'NoParleyFactors', type: 'NUMINGROUP' },
    { tag: T.FactorName, name: 'ParleyFactorName', type: 'STRING' },
    { tag: T.FactorCondition, name: 'ParleyFactorCondition', type: 'STRING' },
    { tag: T.FactorScore, name: 'ParleyFactorScore', type: 'INT' },
    { tag: T.PolicyReason, name: 'ParleyPolicyReason', type: 'STRING' },
    { tag: T.StatusScope, name: 'ParleyStatusScope', type: 'STRING', values: wireValues(SCOPE_WIRE) },
    { tag: T.ChallengeID, name: 'ParleyChallengeID', type: 'STRING' },
    { tag: T.StepUpMethods, name: 'ParleyStepUpMethods', type: 'MULTIPLEVALUESTRING', values: { totp: 'TOTP', webauthn: 'WEBAUTHN' } },
    { tag: T.ChallengeExpireTime, name: 'ParleyChallengeExpireTime', type: 'UTCTIMESTAMP' },
    { tag: T.AttemptsLeft, name: 'ParleyAttemptsLeft', type: 'INT' },
    { tag: T.RequiredAcr, name: 'ParleyRequiredAcr', type: 'STRING' },
    { tag: T.MaxAuthAge, name: 'ParleyMaxAuthAge', type: 'INT' },
    { tag: T.WebAuthnOptions, name: 'ParleyWebAuthnOptions', type: 'STRING' },
    { tag: T.StepUpMethod, name: 'ParleyStepUpMethod', type: 'STRING', values: { totp: 'TOTP', webauthn: 'WEBAUTHN' } },
    { tag: T.StepUpCode, name: 'ParleyStepUpCode', type: 'STRING' },
    { tag: T.WebAuthnResponse, name: 'ParleyWebAuthnResponse', type: 'STRING' },
    { tag: T.StepUpResult, name: 'ParleyStepUpResult', type: 'STRING', values: wireValues(STEP_UP_RESULT_WIRE) },
    { tag: T.AttestDeadline, name: 'ParleyAttestDeadline', type: 'UTCTIMESTAMP' },
    { tag: T.AttestInterval, name: 'ParleyAttestInterval', type: 'INT' },
    { tag: T.RequestRef, name: 'ParleyRequestRef', type: 'STRING' },
    { tag: T.Dealer, name: 'ParleyDealer', type: 'STRING' },
    { tag: T.NoDealers, name: 'NoParleyDealers', type: 'NUMINGROUP' },
    { tag: T.DealerName, name: 'ParleyDealerName', type: 'STRING' },
    { tag: T.DealerDelayMs, name: 'ParleyDealerDelayMs', type: 'INT' },
    { tag: T.DealerSpreadBps, name: 'ParleyDealerSpreadBps', type: 'FLOAT' },
    { tag: T.RfqOwner, name: 'ParleyRfqOwner', type: 'STRING' },
    { tag: T.RequestID, name: 'ParleyRequestID', type: 'STRING' },
    { tag: T.ReportCount, name: 'ParleyReportCount', type: 'INT' },
    { tag: T.SessionRole, name: 'ParleySessionRole', type: 'STRING' },
    { tag: T.Controls, name: 'ParleyControls', type: 'STRING' },
    { tag: T.KeyRegStage, name: 'ParleyKeyRegStage', type: 'STRING', values: wireValues(KEY_REG_STAGE_WIRE) },
    { tag: T.KeyRegStatus, name: 'ParleyKeyRegStatus', type: 'STRING', values: wireValues(KEY_REG_STATUS_WIRE) },
    { tag: T.CredentialID, name: 'ParleyCredentialID', type: 'STRING' },
    { tag: T.SessionStatus, name: 'ParleySessionStatus', type: 'INT', values: wireValues(SESSION_STATUS_WIRE) },
    { tag: T.EndedBy, name: 'ParleyEndedBy', type: 'STRING', values: wireValues(ENDED_BY_WIRE) },
    { tag: T.EndDetail, name: 'ParleyEndDetail', type: 'STRING' },
    { tag: T.NextStep, name: 'ParleyNextStep', type: 'STRING', values: wireValues(NEXT_STEP_WIRE) },
  ],
  messages: [
    { msgType: M.Attestation, name: 'ParleyAttestation', category: 'app', items: [req(T.Attestation)] },
    { msgType: M.SecurityStatus, name: 'ParleySecurityStatus', category: 'app', items: [
      req(T.Decision), req(T.StatusScope), o(T.RiskScore), factorsGroup, o(T.PolicyReason), o(T.Controls),
      o(T.RequestRef), o(T.AttestDeadline), o(T.SessionRole), o(T.EndedBy), o(T.EndDetail), o(T.NextStep), o(T.Text)] },
    { msgType: M.StepUpChallenge, name: 'ParleyStepUpChallenge', category: 'app', items: [
      req(T.ChallengeID), req(T.StepUpMethods), req(T.StatusScope), o(T.RiskScore), factorsGroup,
      req(T.ChallengeExpireTime), req(T.AttemptsLeft), o(T.RequiredAcr), o(T.MaxAuthAge),
      o(T.WebAuthnOptions), o(T.RequestRef), o(T.Text)] },
    { msgType: M.StepUpResponse, name: 'ParleyStepUpResponse', category: 'app', items: [
      req(T.ChallengeID), req(T.StepUpMethod), o(T.StepUpCode), o(T.WebAuthnResponse)] },
    { msgType: M.StepUpResult, name: 'ParleyStepUpResult', category: 'app', items: [
      req(T.ChallengeID), req(T.StepUpResult), o(T.AttemptsLeft), o(T.Text)] },
    { msgType: M.AttestationRequest, name: 'ParleyAttestationRequest', category: 'app', items: [
      req(T.AttestDeadline), o(T.AttestInterval), o(T.Text)] },
    { msgType: M.DealerList, name: 'ParleyDealerList', category: 'app', items: [
      o(T.RequestID), { g: T.NoDealers, r: true, items: [req(T.DealerName), o(T.DealerDelayMs), o(T.DealerSpreadBps)] }] },
    { msgType: M.DealerListRequest, name: 'ParleyDealerListRequest', category: 'app', items: [req(T.RequestID)] },
    { msgType: M.OpenRfqsRequest, name: 'ParleyOpenRfqsRequest', category: 'app', items: [
      req(T.RequestID), req(T.SubscriptionRequestType)] },
    { msgType: M.OpenRfqsAck, name: 'ParleyOpenRfqsAck', category: 'app', items: [
      req(T.RequestID), req(T.ReportCount), o(T.Text)] },
    { msgType: M.KeyRegistrationRequest, name: 'ParleyKeyRegistrationRequest', category: 'app', items: [
      req(T.RequestID), req(T.KeyRegStage), o(T.WebAuthnResponse)] },
    { msgType: M.KeyRegistrationResult, name: 'ParleyKeyRegistrationResult', category: 'app', items: [
      req(T.RequestID), req(T.KeyRegStatus), o(T.WebAuthnOptions), o(T.CredentialID), o(T.ChallengeID), o(T.Text)] },
  ],
  messageItems: [
    // Logon carries the attestation; the gateway's Logon answer and a refusing Logout carry the decision.
    { msgType: 'A', items: [o(T.Attestation), o(T.Decision), o(T.RiskScore), factorsGroup, o(T.SessionRole), o(T.AttestDeadline)] },
    // …and a Logout that ends a session says who ended it, their own reason and the next step.
    { msgType: '5', items: [o(T.Decision), o(T.StatusScope), o(T.RiskScore), factorsGroup, o(T.PolicyReason), o(T.SessionStatus), o(T.EndedBy), o(T.EndDetail), o(T.NextStep)] },
    { msgType: 'S', items: [o(T.Dealer)] },
    { msgType: 'AI', items: [o(T.Dealer), o(T.RfqOwner), o(T.RequestID)] },
    { msgType: 'AE', items: [o(T.Dealer)] },
    { msgType: 'j', items: [o(T.Decision), o(T.ChallengeID), o(T.PolicyReason)] },
    { msgType: '8', items: [o(T.Dealer), o(T.PolicyReason)] },
  ],
};
