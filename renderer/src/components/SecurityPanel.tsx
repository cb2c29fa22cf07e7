import { useEffect, useRef, useState } from 'react';
import type { Security } from '../../../main/ipc/contract.ts';
import { useSlice } from '../storeContext.ts';
import { explainError, type Explained } from '../lib/errors.ts';
import { useNow } from '../lib/useNow.ts';
import { useHotkeys } from '../lib/useHotkeys.ts';
import { InlineError } from './ErrorPanel.tsx';
import { connectionLabel, connectionTone } from './ConnectionStatus.tsx';
import { SecurityKeyRegistration } from './SecurityKeyRegistration.tsx';
import { certificateLevel, evidenceLines, readableValue } from '../lib/evidence.ts';

function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

function daysUntil(iso: string, now: number): number {
  return Math.floor((Date.parse(iso) - now) / 86_400_000);
}

/** Everything the zero-trust machinery knows about this session, one key (F2 / Ctrl+.) away. */
export function SecurityPanel({ onClose }: { onClose: () => void }) {
  const store = useSlice('security');
  useSlice('app');
  const [error, setError] = useState<Explained | null>(null);
  const [loading, setLoading] = useState(false);
  const closeRef = useRef<HTMLButtonElement>(null);
  const now = useNow(1000);

  async function load() {
    setLoading(true);
    setError(null);
    try {
      store.setSecurity(await store.api.getSecurity());
    } catch (e) {
      setError(explainError(e));
    } finally {
      setLoading(false);
    }
  }

  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    closeRef.current?.focus();
    void load();
    return () => previous?.focus?.();
    // Load once per opening; later changes arrive as 'security' events.
  }, []);

  useHotkeys({ Escape: onClose });

  const s: Security | null = store.security;
  const conn = store.app?.connection;
  return (
    <div className="drawer-backdrop" onMouseDown={(e) => { if (e.target === e.currentTarget) onClose(); }}>
      <aside className="drawer security" role="dialog" aria-modal="true" aria-labelledby="security-title">
        <div className="panel-head">
          <h2 id="security-title">Security</h2>
          <span className="muted small"><kbd>F2</kbd> / <kbd>Esc</kbd></span>
          <button type="button" className="btn small ghost" onClick={() => void load()} disabled={loading}>{loading ? 'Loading…' : 'Refresh'}</button>
          <button ref={closeRef} type="button" className="btn small" onClick={onClose}>Close</button>
        </div>
        <InlineError error={error} />
        {!s && !error && <p className="muted">Loading…</p>}
        {conn && (
          <section>
            <h3>Connection</h3>
            <p className={`conn-state ${connectionTone(conn.state)}`} data-testid="security-connection">
              {connectionLabel(conn, now)}
              {conn.reason && <span className="muted"> — {conn.reason}</span>}
            </p>
          </section>
        )}
        <SecurityKeyRegistration store={store} connection={conn?.state} />
        {s && (
          <>
            <section>
              <dl className="facts">
                <dt>Gateway</dt><dd className="mono">{s.gateway ? `${s.gateway.host}:${s.gateway.port}` : 'not connected'}</dd>
                <dt>TLS</dt><dd className="mono">{s.tls ? `${s.tls.version} · ${s.tls.cipher}` : '—'}</dd>
                <dt>Policy</dt><dd>{s.policySource ?? 'no managed configuration (user settings)'}</dd>
              </dl>
            </section>
            <section>
              <h3>Device certificate</h3>
              {s.certificate ? (
                <dl className="facts">
                  <dt>Subject</dt><dd className="mono">{s.certificate.subject}</dd>
                  <dt>Issuer</dt><dd className="mono">{s.certificate.issuer}</dd>
                  <dt>Serial</dt><dd className="mono">{s.certificate.serialNumber}</dd>
                  <dt>Expires</dt>
                  <dd>
                    {when(s.certificate.notAfter)}{' '}
                    <span className={{ ok: 'muted', warn: 'warn-text', bad: 'fail-text' }[certificateLevel(s.certificate, now)]} data-testid="cert-days">({daysUntil(s.certificate.notAfter, now)} days)</span>
                  </dd>
                  <dt>Renews</dt><dd>{when(s.certificate.renewAt)}</dd>
                </dl>
              ) : <p className="muted">No certificate: this device is not enrolled.</p>}
            </section>
            <section>
              <h3>Device posture</h3>
              {s.posture ? (
                <>
                  <p className="muted small">Collected {when(s.posture.collectedAt)} · last attestation {when(s.lastAttestationAt)}</p>
                  {relaxed(s) > 0 && (
                    <p className="notice warning" data-testid="policy-relaxed">
                      The gateway allowed this session although {relaxed(s)} device {relaxed(s) === 1 ? 'check fails' : 'checks fail'}: its access policy does not require {relaxed(s) === 1 ? 'it' : 'them'} (a relaxed policy, as in the demo). A stricter policy would deny or step up.
                    </p>
                  )}
                  <ul className="posture">
                    {s.posture.facts.map((f, i) => (
                      <li key={`${f.name}-${i}`} className={`fact ${f.status}`}>
                        <div className="fact-head">
                          <span className={`badge ${f.status}`}>{f.status.toUpperCase()}</span>
                          <strong>{f.name}</strong>
                        </div>
                        {f.value && <div className="fact-value small muted">{readableValue(f.value)}</div>}
                        {f.reason && <div className="small">{f.reason}</div>}
                        <Evidence name={f.name} text={f.evidence} />
                      </li>
                    ))}
                  </ul>
                </>
              ) : <p className="muted">No posture collected yet.</p>}
            </section>
            <section>
              <h3>Risk</h3>
              {s.risk ? (
                <>
                  <p>
                    Score <strong className="mono" data-testid="risk-score">{s.risk.score}</strong> · decision{' '}
                    <span className={`badge decision-${s.risk.decision}`}>{s.risk.decision}</span>
                  </p>
                  <table className="factors">
                    <thead><tr><th scope="col">Factor</th><th scope="col" className="num">Score</th><th scope="col">Detail</th></tr></thead>
                    <tbody>
                      {s.risk.factors.map((f, i) => (
                        <tr key={`${f.name}-${i}`}><td>{f.name}</td><td className="num mono">{f.score}</td><td className="small">{f.detail ?? ''}</td></tr>
                      ))}
                    </tbody>
                  </table>
                </>
              ) : <p className="muted">No risk decision yet (not signed in).</p>}
            </section>
          </>
        )}
      </aside>
    </div>
  );
}

/** Failing device checks on a session the gateway allowed: the policy in force does not require them. */
function relaxed(s: Security): number {
  if (s.risk?.decision !== 'allow' || !s.posture) return 0;
  return s.posture.facts.filter((f) => f.status === 'fail').length;
}

/** What was run or read, once, as "key: value" lines (the agent's JSON made readable). */
function Evidence({ name, text }: { name: string; text: string }) {
  const lines = evidenceLines(text);
  return (
    <details className="evidence-box">
      <summary className="small muted">Evidence</summary>
      {lines ? (
        <dl className="evidence" aria-label={`Evidence for ${name}`}>
          {lines.map((l) => <div key={l.key}><dt>{l.key}</dt><dd className="mono">{l.value}</dd></div>)}
        </dl>
      ) : (
        <pre className="evidence" aria-label={`Evidence for ${name}`}>{text}</pre>
      )}
    </details>
  );
}
