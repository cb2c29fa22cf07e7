/**
 * Parley's user-defined FIX messages and tags (tags 5000–9999, MsgTypes U…), shared by the gateway and the
 * client: the dictionary both sides validate with, and — re-exported from fix/protocol/, where each message
 * has its module — the builders and readers of Parley's messages. docs/protocol.md documents each of them.
 *
 * Imports only fix/ files (layering).
 */
import type { Field } from './codec.ts';
import { extendDictionary, fix44Dictionary, type Dictionary } from './dictionary/dictionary.ts';
import { PARLEY_EXTENSION, PARLEY_MSG, PARLEY_TAG } from './dictionary/parley-extension.ts';
import { writeAttestationRequest } from './protocol/parley-requests.ts';

// The tags, message types and wire values are defined once, in fix/dictionary/parley-extension.ts (the generator
// renders them into fix/dictionary/tags.ts as `Tag` / `MsgType`); TAG and MSG stay here as short names.
export const TAG = PARLEY_TAG;
export const MSG = PARLEY_MSG;
export { PARLEY_EXTENSION };

let dict: Dictionary | undefined;
/** FIX 4.4 plus Parley's messages and tags (built on first use). */
export function parleyDictionary(): Dictionary {
  // extendDictionary also adds the U… MsgTypes to MsgType(35)'s enumeration (checked in the test).
  dict ??= extendDictionary(fix44Dictionary(), PARLEY_EXTENSION);
  return dict;
}

// One strict UTCTimestamp parser and formatter, one text sanitiser, one group reader for all of fix/: they
// live in fix/protocol/ and are re-exported here under the names callers know. (A lax parser here once let
// 25:00:00 roll over into the next day.)
export { parseUtcTimestamp, utcTimestamp } from './protocol/time.ts';
export { safeText } from './protocol/values.ts';
export { readGroup } from './protocol/group.ts';

export {
  decisionFromWire, decisionToWire, factorFields, readFactors, resultFromWire, resultToWire, scopeFromWire, scopeToWire,
  type Decision, type Factor, type KeyRegStage, type KeyRegStatus, type StatusScope, type StepUpMethod, type StepUpResultCode,
} from './protocol/decision.ts';
export {
  logoutDecisionFields, readLogoutDecision, readSecurityStatus, securityStatusFields, type LogoutDecision, type SecurityStatus,
} from './protocol/security-status.ts';
export {
  readStepUpChallenge, readStepUpResponse, readStepUpResult, stepUpChallengeFields, stepUpResponseFields, stepUpResultFields,
  type StepUpChallenge, type StepUpResponse,
} from './protocol/step-up.ts';
export { dealerListFields, readDealerList, type DealerInfo } from './protocol/dealer-list.ts';
export {
  keyRegistrationRequestFields, keyRegistrationResultFields, MAX_WEBAUTHN_JSON, readKeyRegistrationRequest, readKeyRegistrationResult,
  type KeyRegistrationRequest, type KeyRegistrationResult,
} from './protocol/key-registration.ts';

/** ParleyAttestationRequest(UF) body: the writer is fix/protocol's writeAttestationRequest. */
export function attestationRequestFields(deadline: Date, intervalSec?: number, text?: string): Field[] {
  return writeAttestationRequest({ deadline, ...(intervalSec !== undefined ? { intervalSec } : {}), ...(text ? { text } : {}) });
}
