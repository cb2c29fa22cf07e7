/**
 * Security-key registration: ParleyKeyRegistrationRequest(UK, client → gateway) and
 * ParleyKeyRegistrationResult(UL, gateway → client).
 */
import type { Field, FixMessage } from '../codec.ts';
import { PARLEY_TAG as TAG } from '../dictionary/parley-extension.ts';
import { regStageFromWire, regStageToWire, regStatusFromWire, regStatusToWire, type KeyRegStage, type KeyRegStatus } from './decision.ts';
import { safeText } from './values.ts';

/** The longest WebAuthn JSON (creation options or attestation response) either side puts in one field. */
export const MAX_WEBAUTHN_JSON = 32 * 1024;

export type KeyRegistrationRequest = { requestId: string; stage: KeyRegStage; webauthnResponse?: string };

export function keyRegistrationRequestFields(r: KeyRegistrationRequest): Field[] {
  const f: Field[] = [{ tag: TAG.RequestID, value: safeText(r.requestId, 64) }, { tag: TAG.KeyRegStage, value: regStageToWire(r.stage) }];
  if (r.webauthnResponse !== undefined) f.push({ tag: TAG.WebAuthnResponse, value: r.webauthnResponse });
  return f;
}

/** Undefined when the request id or the stage is missing or unknown (the caller refuses it). */
export function readKeyRegistrationRequest(msg: FixMessage): KeyRegistrationRequest | undefined {
  const requestId = msg.get(TAG.RequestID);
  const stage = regStageFromWire(msg.get(TAG.KeyRegStage));
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
  const f: Field[] = [{ tag: TAG.RequestID, value: safeText(r.requestId, 64) }, { tag: TAG.KeyRegStatus, value: regStatusToWire(r.status) }];
  if (r.webauthnOptions) f.push({ tag: TAG.WebAuthnOptions, value: safeText(r.webauthnOptions, MAX_WEBAUTHN_JSON) });
  if (r.credentialId) f.push({ tag: TAG.CredentialID, value: safeText(r.credentialId, 1400) });
  if (r.challengeId) f.push({ tag: TAG.ChallengeID, value: safeText(r.challengeId, 64) });
  if (r.text) f.push({ tag: TAG.Text, value: safeText(r.text) });
  return f;
}

export function readKeyRegistrationResult(msg: FixMessage): KeyRegistrationResult {
  const r: KeyRegistrationResult = {
    requestId: msg.get(TAG.RequestID) ?? '',
    // An unknown status is read as a refusal: the client never treats garbage as success.
    status: regStatusFromWire(msg.get(TAG.KeyRegStatus)) ?? 'rejected',
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

