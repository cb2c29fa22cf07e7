import { useState, type FormEvent } from 'react';
import type { AppState } from '../../../main/ipc/contract.ts';
import { useStore } from '../storeContext.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { InlineError } from '../components/ErrorPanel.tsx';
import { Denied } from '../components/Denied.tsx';

const TOKEN = /^[\x21-\x7e]{8,512}$/;

const ENROLL_ACTIONS: Record<string, string> = {
  denied: 'The gateway refused this token (wrong, used or expired). Ask IT for a new enrollment token.',
  forbidden: 'The gateway refused this token (wrong, used or expired). Ask IT for a new enrollment token.',
  'not-found': 'The gateway does not know this token. Check it for typos or ask IT for a new one.',
  conflict: 'This token was already used. Ask IT for a new enrollment token.',
  'not-connected': 'Parley cannot reach the enrollment service. Check your network or VPN, then try again.',
  timeout: 'The enrollment service did not answer. Check your network, then try again.',
};

type Phase = { kind: 'idle' } | { kind: 'working'; step: number };
export interface EnrollResult { subject: string; notAfter: string }

const STEPS = ['Creating a private key in this computer\'s keychain', 'Asking the gateway to certify it', 'Storing the certificate'];

export function Enrollment({ app, onEnrolled }: { app: AppState; onEnrolled: (r: EnrollResult) => void }) {
  const store = useStore();
  const [token, setToken] = useState('');
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [error, setError] = useState<Explained | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (phase.kind === 'working') return;
    const t = token.trim();
    if (!TOKEN.test(t)) {
      setFieldError('The token is at least 8 characters, without spaces. Copy it exactly as IT sent it.');
      return;
    }
    setFieldError(null);
    setError(null);
    setPhase({ kind: 'working', step: 0 });
    // The call is one round trip; the steps show what it is doing rather than measure it.
    const timer = setInterval(() => setPhase((p) => (p.kind === 'working' && p.step < STEPS.length - 1 ? { kind: 'working', step: p.step + 1 } : p)), 700);
    try {
      const result = await store.api.enroll({ token: t });
      setPhase({ kind: 'idle' });
      onEnrolled({ subject: result.subject, notAfter: result.notAfter });
    } catch (err) {
      const ex = explainError(err);
      setError({ ...ex, action: ENROLL_ACTIONS[ex.code] ?? ex.action });
      setPhase({ kind: 'idle' });
    } finally {
      clearInterval(timer);
    }
  }

  const working = phase.kind === 'working';
  const revoked = app.connection.ended?.cause === 'certificate-revoked' ? app.connection.ended : undefined;
  return (
    <main className="center-screen">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="enroll-title" noValidate>
        <div className="brand auth-brand">Parley</div>
        <h1 id="enroll-title">Enroll this device</h1>
        {revoked ? (
          // The structured cause, not the gateway's text; and no words about an unused managed token here.
          <Denied reason={undefined} at={app.connection.at} ended={revoked} />
        ) : app.connection.state === 'enrollment-needed' && app.connection.reason && (
          <p className="notice warning" role="status">{app.connection.reason}</p>
        )}
        {app.silentEnrollment && !revoked ? (
          // The core tries IT's token before this screen can appear: being here means it did not enroll.
          <p>IT's managed configuration has an enrollment token, but it did not enroll this device (a token works once and expires). Paste a new one-time token from IT; the key Parley creates never leaves the keychain.</p>
        ) : (
          <p>Paste the one-time enrollment token IT sent you. Parley creates a key on this computer and the gateway certifies it; the key never leaves the keychain.</p>
        )}
        <label htmlFor="enroll-token">Enrollment token</label>
        <input
          id="enroll-token"
          className={fieldError ? 'invalid' : ''}
          autoFocus
          autoComplete="off"
          spellCheck={false}
          value={token}
          disabled={working}
          maxLength={512}
          aria-invalid={fieldError ? true : undefined}
          aria-describedby={fieldError ? 'enroll-token-error' : undefined}
          onChange={(e) => setToken(e.target.value)}
        />
        {fieldError && <p id="enroll-token-error" className="field-error">{fieldError}</p>}
        <button type="submit" className="btn primary" disabled={working}>
          {working ? 'Enrolling…' : 'Enroll'}
        </button>
        {working && (
          <ol className="progress-steps" aria-live="polite">
            {STEPS.map((s, i) => (
              <li key={s} className={i < phase.step ? 'done' : i === phase.step ? 'current' : ''}>{s}</li>
            ))}
          </ol>
        )}
        <InlineError error={error} />
      </form>
    </main>
  );
}

/** Stays up until the person moves on, even though the client core already changed state behind it. */
export function EnrollDone({ result, onContinue }: { result: EnrollResult; onContinue: () => void }) {
  return (
    <main className="center-screen">
      <section className="card auth-card" aria-labelledby="enroll-title">
        <h1 id="enroll-title">Device enrolled</h1>
        <p>This computer now has its own certificate, kept in the OS keychain.</p>
        <dl className="facts">
          <dt>Certificate</dt><dd>{result.subject}</dd>
          <dt>Valid until</dt><dd>{new Date(result.notAfter).toLocaleString()}</dd>
        </dl>
        <button type="button" className="btn primary" autoFocus onClick={onContinue}>Continue to sign in</button>
      </section>
    </main>
  );
}
