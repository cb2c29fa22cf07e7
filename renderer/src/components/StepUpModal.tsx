import { useEffect, useRef, useState, type FormEvent } from 'react';
import { startAuthentication, type PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/browser';
import type { StepUpChallenge, StepUpResult, WebAuthnCredential } from '../../../main/ipc/contract.ts';
import { useSlice } from '../storeContext.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { formatCountdown, remainingMs } from '../lib/quotes.ts';
import { useNow } from '../lib/useNow.ts';
import { useHotkeys } from '../lib/useHotkeys.ts';
import { outcomeText } from '../store.ts';
import type { Store } from '../store.ts';
import { InlineError } from './ErrorPanel.tsx';
import { endView } from '../lib/sessionState.ts';

/** Shown whenever the gateway wants more proof: from sign-in, a risky RFQ, or mid-session re-evaluation. */
export function StepUpModal() {
  const store = useSlice('stepUp');
  const challenge = store.stepUp;
  if (!challenge) return null;
  return <StepUpDialog key={challenge.challengeId} store={store} challenge={challenge} />;
}

/** Only the fields the contract allows: the gateway's strict schema refuses anything extra. */
export function toCredential(r: Awaited<ReturnType<typeof startAuthentication>>): WebAuthnCredential {
  const c: WebAuthnCredential = {
    id: r.id,
    rawId: r.rawId,
    type: 'public-key',
    response: {
      clientDataJSON: r.response.clientDataJSON,
      authenticatorData: r.response.authenticatorData,
      signature: r.response.signature,
    },
    clientExtensionResults: { ...(r.clientExtensionResults as Record<string, unknown>) },
  };
  if (r.response.userHandle) c.response.userHandle = r.response.userHandle;
  if (r.authenticatorAttachment) c.authenticatorAttachment = r.authenticatorAttachment;
  return c;
}

function StepUpDialog({ store, challenge }: { store: Store; challenge: StepUpChallenge }) {
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState<'' | 'totp' | 'webauthn' | 'cancel'>('');
  const [attemptsLeft, setAttemptsLeft] = useState(challenge.attemptsLeft);
  const [message, setMessage] = useState<string | null>(null);
  /** A refused code: shown as an error on the code field, which gets the focus back. */
  const [codeError, setCodeError] = useState<string | null>(null);
  const [refocus, setRefocus] = useState(0);
  const [final, setFinal] = useState<string | null>(null);
  const [error, setError] = useState<Explained | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const now = useNow(500);
  const left = remainingMs(Date.parse(challenge.expiresAt), now);
  const expired = left <= 0;
  // The factors that raised the score are the reason; the ones that scored nothing are not.
  const raised = challenge.reason.filter((f) => f.score !== 0);
  const why = raised.length > 0 ? raised : challenge.reason;
  const canTotp = challenge.methods.includes('totp');
  // After IT or the policy ended the session, that is why the gateway asks: say so before the risk factors.
  const end = store.app?.connection.ended;
  const ended = end && end.cause !== 'network-lost' ? endView(end) : null;
  const canKey = challenge.methods.includes('webauthn') && !!challenge.webauthnOptions;

  // Also after a refused code: the field is disabled while the answer is checked, so it can take the focus
  // only once the check is over (focusing a disabled input does nothing and typing would go nowhere).
  useEffect(() => {
    if (!busy) codeRef.current?.focus();
  }, [refocus, busy]);

  useHotkeys({ Escape: () => void cancel() });

  function handle(result: StepUpResult) {
    if (result.attemptsLeft !== undefined) setAttemptsLeft(result.attemptsLeft);
    if (result.outcome === 'accepted') {
      store.clearStepUp('accepted');
      store.refreshState().catch(() => undefined);
      return;
    }
    const text = result.reason ? `${outcomeText(result.outcome)} ${result.reason}` : outcomeText(result.outcome);
    if (result.outcome === 'rejected') {
      setCodeError(text);
      setCode('');
      setRefocus((n) => n + 1);
    } else setFinal(text);
  }

  async function submitTotp(e: FormEvent) {
    e.preventDefault();
    if (busy || expired) return;
    const digits = code.replace(/\s/g, '');
    if (!/^\d{6,8}$/.test(digits)) {
      setCodeError('Enter the 6-digit code from your authenticator app.');
      setRefocus((n) => n + 1);
      return;
    }
    setBusy('totp');
    setMessage(null);
    setCodeError(null);
    setError(null);
    try {
      handle(await store.api.answerStepUp({ challengeId: challenge.challengeId, method: 'totp', code: digits }));
    } catch (err) {
      setError(explainError(err));
    } finally {
      setBusy('');
    }
  }

  async function useKey() {
    if (busy || expired || !challenge.webauthnOptions) return;
    setBusy('webauthn');
    setMessage('Touch your security key…');
    setError(null);
    try {
      const assertion = await startAuthentication({ optionsJSON: challenge.webauthnOptions as PublicKeyCredentialRequestOptionsJSON });
      setMessage(null);
      handle(await store.api.answerStepUp({ challengeId: challenge.challengeId, method: 'webauthn', credential: toCredential(assertion) }));
    } catch (err) {
      const name = err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : '';
      if (name === 'NotAllowedError' || name === 'AbortError') {
        setMessage('The security key request was cancelled or timed out. Try again, or use a code.');
      } else {
        setMessage(null);
        setError(explainError(err));
      }
    } finally {
      setBusy('');
    }
  }

  async function cancel() {
    if (busy === 'cancel') return;
    if (final || expired) {
      store.clearStepUp('closed');
      return;
    }
    setBusy('cancel');
    try {
      await store.api.cancelStepUp({ challengeId: challenge.challengeId });
      store.clearStepUp('cancelled');
      store.toast('warning', 'Step-up cancelled', outcomeText('cancelled'));
    } catch (err) {
      setError(explainError(err));
      setBusy('');
    }
  }

  return (
    <div className="modal-backdrop">
      <div className="modal stepup" role="alertdialog" aria-modal="true" aria-labelledby="stepup-title" aria-describedby="stepup-why">
        <h2 id="stepup-title">Confirm it's you</h2>
        <div id="stepup-why">
          {ended && (
            <p className="notice error">
              <strong>{ended.title}</strong> ({ended.actor}): {ended.reason}{ended.detail ? ` “${ended.detail}”` : ''}
            </p>
          )}
          <p>{ended ? 'To let you back in, the gateway needs a second factor. It also scored:' : 'The gateway needs a second factor before it continues, because:'}</p>
          <ul className="factors-list">
            {why.length === 0 && <li>the session's risk is above what this action allows.</li>}
            {why.map((f, i) => (
              <li key={`${f.name}-${i}`}><strong>{f.name}</strong>{f.detail ? ` — ${f.detail}` : ''} <span className="muted mono">+{f.score}</span></li>
            ))}
          </ul>
        </div>
        <p className="stepup-meta">
          <span className={expired ? 'fail-text' : ''} role="timer">{expired ? 'Expired' : `Expires in ${formatCountdown(left)}`}</span>
          {' · '}
          <span>{attemptsLeft} attempt{attemptsLeft === 1 ? '' : 's'} left</span>
        </p>
        {final ? (
          <p className="notice warning" role="alert">{final}</p>
        ) : expired ? (
          <p className="notice warning" role="alert">{outcomeText('expired')}</p>
        ) : (
          <>
            {canTotp && (
              <form onSubmit={submitTotp} className="totp" noValidate>
                <label htmlFor="stepup-code">Code from your authenticator app</label>
                <div className="inline">
                  <input
                    id="stepup-code"
                    ref={codeRef}
                    className="mono code-input"
                    inputMode="numeric"
                    autoComplete="one-time-code"
                    maxLength={10}
                    placeholder="123456"
                    value={code}
                    disabled={!!busy}
                    aria-invalid={codeError ? true : undefined}
                    aria-describedby={codeError ? 'stepup-code-error' : undefined}
                    onChange={(e) => setCode(e.target.value.replace(/[^\d\s]/g, ''))}
                  />
                  <button type="submit" className="btn primary" disabled={!!busy}>{busy === 'totp' ? 'Checking…' : 'Verify'}</button>
                </div>
                {codeError && <p id="stepup-code-error" className="field-error" role="alert">{codeError}</p>}
              </form>
            )}
            {canKey && (
              <div className="key">
                {canTotp && <div className="or muted small">or</div>}
                <button type="button" className="btn" onClick={() => void useKey()} disabled={!!busy}>
                  {busy === 'webauthn' ? 'Waiting for key…' : 'Use security key'}
                </button>
              </div>
            )}
          </>
        )}
        {message && <p className="notice" role="status">{message}</p>}
        <InlineError error={error} />
        <div className="modal-actions">
          <button type="button" className="btn ghost" onClick={() => void cancel()} disabled={busy === 'cancel'}>
            {final || expired ? 'Close' : 'Cancel'} <kbd>Esc</kbd>
          </button>
        </div>
      </div>
    </div>
  );
}
