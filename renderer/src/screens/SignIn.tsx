import { useState, type FormEvent } from 'react';
import type { AppState, ConnectionEvent } from '../../../main/ipc/contract.ts';
import { useStore } from '../storeContext.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { InlineError } from '../components/ErrorPanel.tsx';
import { Denied } from '../components/Denied.tsx';

export function SignIn({ app, openSecurity }: { app: AppState; openSecurity: () => void }) {
  const store = useStore();
  const [username, setUsername] = useState(app.user?.username ?? '');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Explained | null>(null);
  const [result, setResult] = useState<ConnectionEvent | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (username.trim() === '' || password === '') {
      setError({ code: 'invalid-request', message: 'Enter your username and password.', action: 'Both fields are required.' });
      return;
    }
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      const r = await store.api.signIn({ username: username.trim(), password });
      setResult(r);
      setPassword('');
      await store.refreshState();
    } catch (err) {
      setError(explainError(err));
    } finally {
      setBusy(false);
    }
  }

  const conn = result ?? app.connection;
  // One session state: a denial, or a session IT or the policy ended (the core then signs out or waits).
  const ended = conn.ended && conn.ended.cause !== 'network-lost' ? conn.ended : undefined;
  const denied = conn.state === 'denied' || ended !== undefined;
  return (
    <main className="center-screen">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="signin-title" noValidate>
        <div className="brand auth-brand">Parley</div>
        <h1 id="signin-title">Sign in to Parley</h1>
        {denied && <Denied reason={conn.reason} at={conn.at} ended={ended} openSecurity={openSecurity} />}
        {conn.state === 'challenged' && <p className="notice" role="status">The gateway asks you to confirm it is you: answer the step-up prompt.</p>}
        {conn.state === 'offline' && <p className="notice warning" role="status">Offline{conn.reason ? `: ${conn.reason}` : ''}. Parley will connect when the network is back.</p>}
        <label htmlFor="signin-user">Username</label>
        <input id="signin-user" autoFocus={!app.user} autoComplete="username" value={username} maxLength={200} disabled={busy} onChange={(e) => setUsername(e.target.value)} />
        <label htmlFor="signin-password">Password</label>
        <input id="signin-password" type="password" autoFocus={!!app.user} autoComplete="current-password" value={password} maxLength={1024} disabled={busy} onChange={(e) => setPassword(e.target.value)} />
        <button type="submit" className="btn primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
        {busy && <p className="muted" role="status">Connecting over mutual TLS and sending this device's posture…</p>}
        <InlineError error={error} />
        <p className="muted small">
          <button type="button" className="link" onClick={openSecurity}>Connection and device security</button> <kbd>F2</kbd>
        </p>
      </form>
    </main>
  );
}
