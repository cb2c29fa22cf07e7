/**
 * What a closed FIX session means for the connection loop, decided from the gateway's structured Logout
 * decision (ParleyDecision / ParleyStatusScope, read by readLogoutDecision) — never from the Logout's Text,
 * which is for people and only shown:
 *
 *   scope REVOCATION (a refused Logon or an ended session)  → the certificate is refused: enroll again
 *   DENY (a refused Logon, or a session ended as denied)     → denied: not retried until the user signs in again
 *   any other Logout answering our Logon (another peer's     → denied with its text
 *     refusal, without Parley's fields)
 *   a session the gateway ended (ENDED) or a lost connection → reconnect with backoff (a new Logon is decided
 *                                                              afresh: a lockout or a deny then refuses it)
 *   closed before the Logon without any Logout              → ask the CRL whether the certificate is revoked,
 *                                                              else reconnect
 *
 * Before all of these: a Logon refused because the two sides' sequence numbers are out of step — our session's
 * own close cause 'seq-too-low' (the gateway's numbers are behind ours), or the gateway's Logout carrying
 * ParleySessionStatus "MsgSeqNum too low" (ours are behind its) — starts a new FIX session (resync).
 */
import type { SessionStatus } from '../../fix/protocol/index.ts';
import type { LogoutDecision } from '../../fix/parley-protocol.ts';
import type { CloseKind } from '../../fix/session.ts';
import { denialText } from './security-view.ts';

export interface ClosedSession {
  /** fix/session's close reason (our engine's words: connection lost, logged out, …). */
  reason: string;
  /** The session had logged on (the Logon was answered) before it closed. */
  wasLoggedOn: boolean;
  /** fix/session's structured close cause (closeCause.kind), when it gave one. */
  closeCause?: CloseKind;
  /** A Logout was received; its Text, structured decision and session status (when the gateway sent them). */
  logout?: { text: string | undefined; decision: LogoutDecision | undefined; sessionStatus?: SessionStatus | undefined };
}

export type CloseOutcome =
  | { kind: 'certificate-refused'; reason: string }
  | { kind: 'denied'; reason: string }
  | { kind: 'check-revocation'; otherwise: string }
  | { kind: 'reconnect'; reason: string }
  | { kind: 'resync'; reason: string };

export function closeOutcome(c: ClosedSession): CloseOutcome {
  // (A Logout refusing our Logon moved no sequence number: fix/session does not count it.)
  if (!c.wasLoggedOn && (c.closeCause === 'seq-too-low' || c.logout?.sessionStatus === 'seq-too-low')) {
    return { kind: 'resync', reason: 'the FIX session is out of step with the gateway; starting a new one' };
  }
  const decision = c.logout?.decision;
  const text = denialText(c.logout?.text, decision);
  if (decision?.scope === 'revocation') {
    return { kind: 'certificate-refused', reason: text ? (c.wasLoggedOn ? text : `the device certificate is revoked: ${text}`) : 'the device certificate is revoked' };
  }
  if (decision?.decision === 'deny') return { kind: 'denied', reason: text ?? 'the gateway denied the session' };
  if (!c.wasLoggedOn) {
    // A Logout in answer to our Logon is the peer's refusal (a credential problem, a policy), not retried.
    if (c.logout && text) return { kind: 'denied', reason: text };
    return { kind: 'check-revocation', otherwise: `connection lost (${c.reason})` };
  }
  return { kind: 'reconnect', reason: text ? `the gateway ended the session: ${text}` : `connection lost (${c.reason})` };
}
