/**
 * How a session ended, for the screens (ConnectionEvent.ended): read from the gateway's structured end
 * (ParleyEndedBy / ParleyEndDetail on the Logout, fix/protocol/decision.ts) — who acted and their own reason —
 * or, from an older gateway, from its decision's scope; a session that closed without any Logout was lost on
 * the network. Never from the Logout's Text. Also the words of the one 'session' notice an end makes.
 */
import type { LogoutDecision, SecurityStatus } from '../../fix/parley-protocol.ts';
import type { EndedBy } from '../../fix/protocol/index.ts';
import type { SessionEnd, SessionEndCause } from '../ipc/contract.ts';

/** The gateway's actor → the contract's cause. A gateway shutdown is, to the user, a connection that comes back. */
const CAUSE: Record<EndedBy, SessionEndCause> = {
  it: 'ended-by-it', revocation: 'certificate-revoked', policy: 'policy-denied', posture: 'posture-lapsed',
  'step-up': 'step-up-failed', shutdown: 'network-lost', network: 'network-lost',
};

const MAX_DETAIL = 500;

export interface EndedSession {
  /** The session had logged on before it closed (an end, not a refused Logon). */
  wasLoggedOn: boolean;
  /** The structured decision of the Logout received, if any. */
  decision: LogoutDecision | undefined;
}

function end(cause: SessionEndCause, detail: string | undefined, at: Date): SessionEnd {
  const d = detail?.trim().slice(0, MAX_DETAIL);
  return { cause, ...(d ? { detail: d } : {}), at: at.toISOString() };
}

/**
 * The end of a closed session, or undefined when nothing ended (a Logon refused for its credentials: the denial
 * says why; a close before any session).
 */
export function sessionEndOf(c: EndedSession, at = new Date()): SessionEnd | undefined {
  const d = c.decision;
  if (d?.end) return end(CAUSE[d.end.by], d.end.detail, at);
  // A revoked certificate is news whether the Logon was answered or refused.
  if (d?.scope === 'revocation') return end('certificate-revoked', undefined, at);
  if (!c.wasLoggedOn) return undefined;
  // An older gateway: the scope says which check ended it, not who acted; its reason is the policy's words.
  if (d?.scope === 'posture') return end('posture-lapsed', d.reason, at);
  if (d && (d.decision === 'ended' || d.decision === 'deny')) return end('policy-denied', d.reason, at);
  // Closed without a decision: our engine's or the network's doing (a plain Logout, a cut, a timeout).
  return end('network-lost', undefined, at);
}

/** The end the CRL says: revoked, no reason known. */
export function revokedPerCrl(at = new Date()): SessionEnd {
  return end('certificate-revoked', undefined, at);
}

/** The one notice for a UB ENDED, in words, from its structured end (the gateway's text only without one). */
export function endedNotice(s: SecurityStatus): string {
  const e = s.end;
  if (!e) return s.text ?? 'the gateway ended the session';
  const why = e.detail ? `: ${e.detail}` : '';
  switch (e.by) {
    case 'it': return `IT ended the session${why}`;
    case 'revocation': return `IT revoked this device's certificate${why}`;
    case 'policy': return `The access policy ended the session${why}`;
    case 'posture': return `The device check failed${why}`;
    case 'step-up': return `The second factor was not accepted${why}`;
    case 'shutdown': return 'The gateway is restarting; Parley reconnects by itself.';
    case 'network': return 'The connection to the gateway dropped; Parley reconnects by itself.';
  }
}
