/**
 * One model of the session's state for every screen: the workspace banner, the sign-in and enrollment screens
 * and the step-up prompt all word an ended session from here, so they cannot disagree (no yellow "nothing is
 * lost" beside a red "session ended"). The cause comes from the core's structured `ended` field, read from the
 * gateway's decision; the gateway's Logout text is never shown as the reason.
 */
import type { ConnectionEvent, SessionEnd, SessionEndCause } from '../../../main/ipc/contract.ts';

export type Actor = 'IT' | 'Access policy' | 'Network';

export interface SessionView {
  tone: 'warn' | 'bad';
  title: string;
  /** What happened, in words. */
  reason: string;
  /** IT's or the policy's own short reason, quoted as given. */
  detail?: string;
  actor: Actor;
  /** The next step. */
  next: string;
}

const CAUSES: Record<SessionEndCause, { actor: Actor; title: string; reason: string; next: string }> = {
  'ended-by-it': {
    actor: 'IT',
    title: 'Session ended by IT',
    reason: 'IT ended this session.',
    next: 'Sign in again; the gateway decides afresh and may ask for a step-up. If you did not expect this, call the service desk.',
  },
  'certificate-revoked': {
    actor: 'IT',
    title: 'Access denied',
    reason: 'IT revoked this device\'s certificate: the gateway no longer accepts this device.',
    next: 'Ask IT for a new enrollment token, then enroll this device again below.',
  },
  'policy-denied': {
    actor: 'Access policy',
    title: 'Access denied',
    reason: 'The access policy refused this session.',
    next: 'If the reason names something you can fix, fix it and sign in again; otherwise contact the service desk and quote the time shown.',
  },
  'posture-lapsed': {
    actor: 'Access policy',
    title: 'Device check failed',
    reason: 'This device no longer passes the device checks the access policy requires.',
    next: 'Open the security panel (F2), fix the failing check, then sign in again.',
  },
  'step-up-failed': {
    actor: 'Access policy',
    title: 'Access denied',
    reason: 'The second factor was not accepted.',
    next: 'Sign in again. If step-up is locked, ask the service desk to unlock it.',
  },
  'network-lost': {
    actor: 'Network',
    title: 'Connection lost',
    reason: 'The connection to the gateway dropped.',
    next: 'Parley reconnects by itself. If it takes long, check your network or VPN.',
  },
};

export function endView(end: SessionEnd): SessionView {
  const c = CAUSES[end.cause];
  const view: SessionView = { tone: end.cause === 'network-lost' ? 'warn' : 'bad', title: c.title, reason: c.reason, actor: c.actor, next: c.next };
  if (end.detail) view.detail = end.detail;
  return view;
}

/**
 * The banner over the workspace for a session that is not fully up, or null when it is. While Parley
 * reconnects after IT or the policy ended the session, the banner says so (red), not "nothing is lost".
 */
export function bannerView(c: ConnectionEvent, retryLabel: string, canTrade: boolean): SessionView | null {
  if (c.state === 'connected' || c.state === 'connecting') return null;
  if (c.ended && c.ended.cause !== 'network-lost') {
    const v = endView(c.ended);
    if (c.state === 'reconnecting' || c.state === 'challenged') {
      v.next = c.state === 'challenged'
        ? 'Answer the step-up to continue; the gateway asks because the session was ended.'
        : `Parley is signing in again (${retryLabel}); the gateway decides afresh and may ask for a step-up.${canTrade ? ' Trading is paused until then.' : ''}`;
    }
    return v;
  }
  return null;
}
