import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './codec.ts';
import {
  MSG, PARLEY_EXTENSION, TAG, logoutDecisionFields, parleyDictionary, readLogoutDecision, readDealerList, readSecurityStatus, readStepUpChallenge, readStepUpResponse,
  securityStatusFields, stepUpChallengeFields, keyRegistrationRequestFields, keyRegistrationResultFields, readKeyRegistrationRequest, readKeyRegistrationResult, stepUpResponseFields, dealerListFields, parseUtcTimestamp, utcTimestamp, safeText,
} from './parley-protocol.ts';

function roundTrip(msgType: string, body: { tag: number; value: string }[]) {
  return decodeMessage(encodeMessage('FIX.4.4', [{ tag: 35, value: msgType }, { tag: 49, value: 'A' }, { tag: 56, value: 'B' }, { tag: 34, value: '2' }, { tag: 52, value: utcTimestamp(new Date()) }, ...body]));
}

describe('Parley protocol', () => {
  it('extends the FIX 4.4 dictionary with user-range tags and U MsgTypes only', () => {
    const d = parleyDictionary();
    for (const f of PARLEY_EXTENSION.fields ?? []) {
      expect(f.tag).toBeGreaterThanOrEqual(5000);
      expect(f.tag).toBeLessThanOrEqual(9999);
      expect(d.field(f.tag)?.name).toBe(f.name);
    }
    for (const m of Object.values(MSG)) {
      expect(d.message(m)?.msgType).toBe(m);
      expect(d.field(35)?.values?.has(m), `MsgType(35) value ${m}`).toBe(true);
    }
    expect(d.message('A')?.fields.has(TAG.Attestation)).toBe(true);
    expect(d.field(TAG.Decision)?.values?.has('STEP_UP')).toBe(true);
    expect(d.field(TAG.StatusScope)?.values?.has('LOGON')).toBe(true);
    expect(d.field(TAG.StepUpResult)?.values?.has('SUCCESS')).toBe(true);
  });

  it('security status and step-up messages survive the wire', () => {
    const exp = new Date('2026-01-01T10:00:00.123Z');
    const st = readSecurityStatus(roundTrip(MSG.SecurityStatus, securityStatusFields({
      decision: 'step-up', scope: 'logon', score: 30,
      factors: [{ name: 'authentication', condition: 'password only', score: 30 }, { name: 'device', condition: 'managed and compliant', score: 0 }],
      reasons: ['a', 'b'], text: 'line\u0001break\u00e9\u4e2d',
    })));
    expect(st).toMatchObject({ decision: 'step-up', scope: 'logon', score: 30, reasons: ['a', 'b'] });
    expect(st.factors).toEqual([{ name: 'authentication', condition: 'password only', score: 30 }, { name: 'device', condition: 'managed and compliant', score: 0 }]);
    expect(st.text).toBe('line break\u00e9?');
    const ch = readStepUpChallenge(roundTrip(MSG.StepUpChallenge, stepUpChallengeFields({
      challengeId: 'C1', methods: ['totp', 'webauthn'], scope: 'action', factors: [], expiresAt: exp, attemptsLeft: 3,
      requiredAcr: 'urn:parley:acr:mfa', maxAuthAgeSec: 900, requestRef: 'R1',
    })));
    expect(ch).toMatchObject({ challengeId: 'C1', methods: ['totp', 'webauthn'], scope: 'action', attemptsLeft: 3, maxAuthAgeSec: 900, requestRef: 'R1' });
    expect(ch.expiresAt.toISOString()).toBe(exp.toISOString());
    expect(readStepUpResponse(roundTrip(MSG.StepUpResponse, stepUpResponseFields({ challengeId: 'C1', method: 'totp', code: '123456' }))))
      .toEqual({ challengeId: 'C1', method: 'totp', code: '123456' });
    expect(readStepUpResponse(roundTrip(MSG.StepUpResponse, [{ tag: TAG.ChallengeID, value: 'C1' }, { tag: TAG.StepUpMethod, value: 'sms' }]))).toBeUndefined();
    expect(readDealerList(roundTrip(MSG.DealerList, dealerListFields([{ name: 'D1', delayMs: 5, spreadBps: 2.5 }]))))
      .toEqual([{ name: 'D1', delayMs: 5, spreadBps: 2.5 }]);
  });

  it('a Logout carries the decision fields the dictionary allows on it, and reads back', () => {
    const fields = logoutDecisionFields({ decision: 'deny', scope: 'logon', score: 55, factors: [{ name: 'device', condition: 'non-compliant posture', score: 25 }], reason: 'risk score 55' });
    const m = roundTrip('5', [{ tag: 58, value: 'logon denied: risk score 55' }, ...fields]);
    const logout = parleyDictionary().message('5')!;
    for (const f of fields) expect(logout.fields.has(f.tag) || f.tag === TAG.FactorName || f.tag === TAG.FactorCondition || f.tag === TAG.FactorScore, `tag ${f.tag}`).toBe(true);
    expect(readLogoutDecision(m)).toEqual({ decision: 'deny', scope: 'logon', score: 55, factors: [{ name: 'device', condition: 'non-compliant posture', score: 25 }], reason: 'risk score 55' });
    expect(readLogoutDecision(roundTrip('5', [{ tag: 58, value: 'bye' }]))).toBeUndefined();
    expect(readLogoutDecision(roundTrip('5', [{ tag: TAG.Decision, value: 'NOPE' }]))).toBeUndefined();
    expect(readLogoutDecision(roundTrip('5', [{ tag: TAG.Decision, value: 'DENY' }, { tag: TAG.RiskScore, value: 'x' }]))).toEqual({ decision: 'deny', scope: 'logon', factors: [] });
  });

  it('reads hostile groups without running away', () => {
    const m = roundTrip(MSG.SecurityStatus, [{ tag: TAG.Decision, value: 'ALLOW' }, { tag: TAG.StatusScope, value: 'LOGON' }, { tag: TAG.NoFactors, value: '999999999' }, { tag: TAG.FactorName, value: 'x' }]);
    expect(readSecurityStatus(m).factors).toHaveLength(1);
    expect(parseUtcTimestamp('garbage')).toBeUndefined();
    expect(parseUtcTimestamp('20260101-10:00:00')?.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(safeText('x'.repeat(2000)).length).toBe(512);
  });

  it('security-key registration request and result survive the wire; garbage reads as nothing or a refusal', () => {
    const json = JSON.stringify({ id: 'abc', response: { clientDataJSON: 'x' } });
    expect(readKeyRegistrationRequest(roundTrip(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'K1', stage: 'finish', webauthnResponse: json }))))
      .toEqual({ requestId: 'K1', stage: 'finish', webauthnResponse: json });
    expect(readKeyRegistrationRequest(roundTrip(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'K2', stage: 'begin' }))))
      .toEqual({ requestId: 'K2', stage: 'begin' });
    expect(readKeyRegistrationRequest(roundTrip(MSG.KeyRegistrationRequest, [{ tag: TAG.RequestID, value: 'K3' }, { tag: TAG.KeyRegStage, value: 'MAYBE' }]))).toBeUndefined();
    expect(readKeyRegistrationRequest(roundTrip(MSG.KeyRegistrationRequest, [{ tag: TAG.KeyRegStage, value: 'BEGIN' }]))).toBeUndefined();
    const opts = JSON.stringify({ challenge: 'c', rp: { id: 'localhost', name: 'Parley' } });
    expect(readKeyRegistrationResult(roundTrip(MSG.KeyRegistrationResult, keyRegistrationResultFields({ requestId: 'K1', status: 'options', webauthnOptions: opts }))))
      .toEqual({ requestId: 'K1', status: 'options', webauthnOptions: opts });
    expect(readKeyRegistrationResult(roundTrip(MSG.KeyRegistrationResult, keyRegistrationResultFields({ requestId: 'K1', status: 'registered', credentialId: 'cred-1' }))))
      .toEqual({ requestId: 'K1', status: 'registered', credentialId: 'cred-1' });
    expect(readKeyRegistrationResult(roundTrip(MSG.KeyRegistrationResult, [{ tag: TAG.RequestID, value: 'K1' }, { tag: TAG.KeyRegStatus, value: 'YES' }])))
      .toEqual({ requestId: 'K1', status: 'rejected' });
    const d = parleyDictionary();
    expect(d.field(TAG.KeyRegStatus)?.values?.has('REGISTERED')).toBe(true);
    expect(d.message(MSG.KeyRegistrationResult)?.fields.has(TAG.WebAuthnOptions)).toBe(true);
  });
});
