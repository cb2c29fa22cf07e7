import type { SessionEnd } from '../../../main/ipc/contract.ts';
import { endView } from '../lib/sessionState.ts';

/**
 * A denial names the gateway's reason and what the person can do. The gateway's reason is written for
 * users; the advice below adds the next step for the usual causes.
 */
export function adviceFor(reason: string | undefined): string {
  const r = (reason ?? '').toLowerCase();
  // Most specific first: a risk denial names "password only" as a factor, a lockout mentions passwords,
  // and neither is a wrong password.
  if (/locked/.test(r)) {
    return /\bfor \d+ ?s\b/.test(r)
      ? 'Your account is locked for a short while after repeated wrong passwords. Wait, then sign in again; if you forgot the password, ask the service desk.'
      : 'Your account is locked after too many attempts. Ask the service desk to unlock it.';
  }
  if (/does not belong to user|issued to another user/.test(r)) {
    return 'This device is enrolled for another user. Sign in as that user, or use a device enrolled for you (IT issues the enrollment token).';
  }
  if (/revoked|certificate/.test(r)) return 'This device\'s certificate is no longer valid. Ask IT for a new enrollment token and enroll again.';
  if (/username or password|wrong password|credential/.test(r)) return 'Check your username and password and try again. After repeated failures, ask the service desk to reset your password.';
  if (/disabled/.test(r)) return 'Your account is disabled. Ask the service desk.';
  if (/encrypt|firewall|patch|update|os version|antivirus|screen ?lock|posture|attest|device/.test(r)) {
    return 'Fix the device setting named above (the security panel, F2, shows each check and its evidence), then sign in again.';
  }
  if (/country|geo|location|travel|network|\bip\b/.test(r)) return 'Access from this network or location is not allowed. Connect from an approved network (office or corporate VPN), or ask the service desk.';
  if (/hours|time of day|schedule/.test(r)) return 'Access is not allowed at this time. Try again during your desk\'s trading hours.';
  return 'If you think this is wrong, contact the service desk and quote the reason and time shown here.';
}

/**
 * The "Access denied / What to do" screen. With the core's structured `ended` the cause, who acted and the next
 * step come from the session-state model and the gateway's text is not shown; without it (an older core, a
 * peer without Parley's fields) the reason the core gave is shown with advice for the usual causes.
 */
export function Denied({ reason, at, ended, openSecurity }: { reason: string | undefined; at: string; ended?: SessionEnd | undefined; openSecurity?: () => void }) {
  const view = ended ? endView(ended) : null;
  return (
    <div className="denied" role="alert">
      <h2>{view?.title ?? 'Access denied'}</h2>
      {view ? (
        <>
          <p className="denied-reason">{view.reason}{view.detail ? <> Reason given: “{view.detail}”.</> : null}</p>
          <p><strong>Who acted: </strong>{view.actor}</p>
          <p><strong>What to do: </strong>{view.next}</p>
        </>
      ) : (
        <>
          <p className="denied-reason">{reason ?? 'The gateway denied access without giving a reason.'}</p>
          <p><strong>What to do: </strong>{adviceFor(reason)}</p>
        </>
      )}
      <p className="muted small">
        {view ? 'Ended' : 'Denied'} at {new Date(ended?.at ?? at).toLocaleTimeString()}
        {openSecurity && <> · <button type="button" className="link" onClick={openSecurity}>Show security details (F2)</button></>}
      </p>
    </div>
  );
}
