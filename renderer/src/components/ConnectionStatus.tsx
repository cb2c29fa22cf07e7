import type { ConnectionEvent } from '../../../main/ipc/contract.ts';
import { useNow } from '../lib/useNow.ts';
import { bannerView, type SessionView } from '../lib/sessionState.ts';

/** "reconnecting in 4 s", counted down locally from the event's time and delay. */
export function connectionLabel(c: ConnectionEvent, now: number): string {
  switch (c.state) {
    case 'reconnecting': {
      if (c.retryInSec === undefined) return 'reconnecting…';
      const left = Math.max(0, Math.ceil((Date.parse(c.at) + c.retryInSec * 1000 - now) / 1000));
      return left > 0 ? `reconnecting in ${left} s` : 'reconnecting now…';
    }
    case 'enrollment-needed':
      return 'enrollment needed';
    case 'signed-out':
      return 'signed out';
    case 'config-error':
      return 'configuration error';
    default:
      return c.state;
  }
}

export function connectionTone(state: ConnectionEvent['state']): 'ok' | 'warn' | 'bad' {
  if (state === 'connected') return 'ok';
  if (state === 'denied' || state === 'config-error') return 'bad';
  return 'warn';
}

export function ConnectionPill({ connection, onClick }: { connection: ConnectionEvent; onClick?: () => void }) {
  const now = useNow(500);
  const tone = connectionTone(connection.state);
  return (
    <button type="button" className={`conn-pill ${tone}`} onClick={onClick} title="Security panel (F2)" aria-label={`Connection: ${connectionLabel(connection, now)}. Open the security panel.`}>
      <span className="dot" aria-hidden="true" /> {connectionLabel(connection, now)}
    </button>
  );
}

/** An ended session in the "what happened / who acted / what to do" layout the user guide shows. */
export function SessionEndBlock({ view, at }: { view: SessionView; at?: string }) {
  return (
    <>
      <strong className="session-end-title">{view.title}</strong>{' '}
      <span className="session-end-reason">{view.reason}{view.detail ? <> Reason given: “{view.detail}”.</> : null}</span>{' '}
      <span className="session-end-actor">Who acted: {view.actor}.</span>{' '}
      <span className="session-end-next"><strong>What to do: </strong>{view.next}</span>
      {at && <span className="muted small"> ({new Date(at).toLocaleTimeString()})</span>}
    </>
  );
}

/**
 * One banner across the workspace while the session is not fully up, so no one trades on a stale screen. It
 * is the only place a session state is shown there: session notices are folded into it, not stacked as toasts.
 * `canTrade` is false for a role that cannot trade, which is never told that trading is paused.
 */
export function ConnectionBanner({ connection, canTrade = true }: { connection: ConnectionEvent; canTrade?: boolean }) {
  const now = useNow(500);
  if (connection.state === 'connected') return null;
  const ended = bannerView(connection, connectionLabel(connection, now).replace(/…$/, ''), canTrade);
  if (ended) {
    return <div className={`conn-banner ${ended.tone} session-end`} role="alert"><SessionEndBlock view={ended} at={connection.ended?.at} /></div>;
  }
  let text: string;
  if (connection.state === 'reconnecting') text = `Connection lost — ${connectionLabel(connection, now).replace(/…$/, '')}. ${canTrade ? 'Quotes and trades resume' : 'The view resumes'} when the session is back; nothing is lost.`;
  else if (connection.state === 'challenged') text = canTrade ? 'The gateway asks you to confirm it is you (step-up). Trading is paused until you answer.' : 'The gateway asks you to confirm it is you (step-up). Your view resumes when you answer.';
  else if (connection.state === 'offline') text = `Offline${connection.reason ? `: ${connection.reason}` : ''}. Parley reconnects when the network is back.`;
  else if (connection.state === 'connecting') text = 'Connecting to the gateway…';
  else text = `${connectionLabel(connection, now)}${connection.reason ? `: ${connection.reason}` : ''}`;
  return <div className={`conn-banner ${connectionTone(connection.state)}`} role="status" aria-live="polite">{text}</div>;
}
