import type { ConnectionEvent } from '../../../main/ipc/contract.ts';
import { useNow } from '../lib/useNow.ts';

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

/** A banner across the workspace while the session is not fully up, so no one trades on a stale screen. */
export function ConnectionBanner({ connection }: { connection: ConnectionEvent }) {
  const now = useNow(500);
  if (connection.state === 'connected') return null;
  let text: string;
  if (connection.state === 'reconnecting') text = `Connection lost — ${connectionLabel(connection, now).replace(/…$/, '')}. Quotes and trades resume when the session is back; nothing is lost.`;
  else if (connection.state === 'challenged') text = 'The gateway asks you to confirm it is you (step-up). Trading is paused until you answer.';
  else if (connection.state === 'offline') text = `Offline${connection.reason ? `: ${connection.reason}` : ''}. Parley reconnects when the network is back.`;
  else if (connection.state === 'connecting') text = 'Connecting to the gateway…';
  else text = `${connectionLabel(connection, now)}${connection.reason ? `: ${connection.reason}` : ''}`;
  return <div className={`conn-banner ${connectionTone(connection.state)}`} role="status" aria-live="polite">{text}</div>;
}
