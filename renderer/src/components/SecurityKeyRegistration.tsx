import { useState } from 'react';
import { startRegistration, type PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/browser';
import type { ConnectionState, WebAuthnRegistration } from '../../../main/ipc/contract.ts';
import type { Store } from '../store.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { InlineError } from './ErrorPanel.tsx';

type Phase =
  | { kind: 'idle' }
  | { kind: 'asking' }
  | { kind: 'touch' }
  | { kind: 'saving' }
  | { kind: 'done' }
  | { kind: 'refused'; reason: string };

/** Only the fields the contract allows: the client core's strict schema refuses anything extra. */
export function toRegistration(r: Awaited<ReturnType<typeof startRegistration>>): WebAuthnRegistration {
  const c: WebAuthnRegistration = {
    id: r.id,
    rawId: r.rawId,
    type: 'public-key',
    response: { clientDataJSON: r.response.clientDataJSON, attestationObject: r.response.attestationObject },
    clientExtensionResults: { ...(r.clientExtensionResults as Record<string, unknown>) },
  };
  if (r.response.transports?.length) c.response.transports = r.response.transports.slice(0, 10);
  if (r.response.authenticatorData) c.response.authenticatorData = r.response.authenticatorData;
  if (r.response.publicKeyAlgorithm !== undefined) c.response.publicKeyAlgorithm = r.response.publicKeyAlgorithm;
  if (r.response.publicKey) c.response.publicKey = r.response.publicKey;
  if (r.authenticatorAttachment) c.authenticatorAttachment = r.authenticatorAttachment;
  return c;
}

/** What the browser's WebAuthn errors mean for the person holding the key. */
function keyErrorText(err: unknown): string | null {
  const name = err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : '';
  const code = err && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') {
    return 'This security key is already registered for you. Use another key, or use this one when Parley asks.';
  }
  if (name === 'NotAllowedError' || name === 'AbortError') return 'The security key request was cancelled or timed out. Nothing was registered; try again.';
  if (/not supported|WebAuthn/i.test(err instanceof Error ? err.message : '')) {
    return 'This browser cannot use security keys here. Use the Parley desktop app, or a browser with security-key support.';
  }
  return null;
}

/** "Register a security key" in the security panel: begin (the gateway may ask for a step-up first) → touch → saved. */
export function SecurityKeyRegistration({ store, connection }: { store: Store; connection: ConnectionState | undefined }) {
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [error, setError] = useState<Explained | null>(null);
  const busy = phase.kind === 'asking' || phase.kind === 'touch' || phase.kind === 'saving';
  const connected = connection === 'connected';

  async function register() {
    if (busy) return;
    setError(null);
    setPhase({ kind: 'asking' });
    try {
      const begun = await store.api.registerSecurityKey({ stage: 'begin' });
      if (begun.status !== 'options') {
        setPhase({ kind: 'refused', reason: begun.status === 'rejected' ? begun.reason : 'the gateway did not send options' });
        return;
      }
      setPhase({ kind: 'touch' });
      let made: Awaited<ReturnType<typeof startRegistration>>;
      try {
        made = await startRegistration({ optionsJSON: begun.options as PublicKeyCredentialCreationOptionsJSON });
      } catch (err) {
        const text = keyErrorText(err);
        if (text) { setPhase({ kind: 'refused', reason: text }); return; }
        throw err;
      }
      setPhase({ kind: 'saving' });
      const done = await store.api.registerSecurityKey({ stage: 'finish', registrationId: begun.registrationId, credential: toRegistration(made) });
      if (done.status === 'registered') {
        // The client core also announces it as a notification (a toast); the panel keeps the lasting line.
        setPhase({ kind: 'done' });
      } else {
        setPhase({ kind: 'refused', reason: done.status === 'rejected' ? done.reason : 'unexpected answer' });
      }
    } catch (err) {
      setPhase({ kind: 'idle' });
      setError(explainError(err));
    }
  }

  return (
    <section aria-labelledby="key-reg-title">
      <h3 id="key-reg-title">Security keys</h3>
      <p className="muted small">
        A security key (FIDO2 / WebAuthn) is the strongest second factor: it lowers your risk score and works where a code is not enough.
      </p>
      {connected ? (
        <button type="button" className="btn small" onClick={() => void register()} disabled={busy} data-testid="register-key">
          {busy ? 'Registering…' : 'Register a security key'}
        </button>
      ) : (
        <p className="muted small">Sign in to register a security key.</p>
      )}
      <div role="status" aria-live="polite" data-testid="key-reg-status">
        {phase.kind === 'asking' && <p className="small">Asking the gateway… If it asks you to confirm it's you, answer that first.</p>}
        {phase.kind === 'touch' && <p className="small">Insert your security key and touch it now.</p>}
        {phase.kind === 'saving' && <p className="small">Checking the key with the gateway…</p>}
        {phase.kind === 'done' && <p className="small pass-text">Security key registered. Parley will offer it the next time you confirm it's you.</p>}
        {phase.kind === 'refused' && <p className="small fail-text">Not registered: {phase.reason}</p>}
      </div>
      <InlineError error={error} />
    </section>
  );
}
