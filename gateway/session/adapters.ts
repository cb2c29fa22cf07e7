/**
 * Binds the session ports to the real checks: agent/'s attestation verification (signature with the client
 * certificate's key, channel binding to this connection's TLS exporter, freshness) plus replay refusal, the
 * posture evaluation, and the second factors (TOTP with replay protection, WebAuthn).
 */
import { createHash } from 'node:crypto';
import { EXPORTER_LABEL, EXPORTER_LENGTH, verifyAttestation } from '../../agent/attestation.ts';
import type { PostureReport } from '../../agent/report.ts';
import type { StepUpMethod } from '../../fix/parley-protocol.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { User } from '../identity/directory.ts';
import type { TotpVerifier } from '../mfa/totp.ts';
import type { WebAuthnService } from '../mfa/webauthn.ts';
import type { DeviceCompliance } from '../policy/engine.ts';
import type { FactorAnswer, PostureOutcome, PostureVerifier, SecondFactor } from './ports.ts';

export type PostureEvaluation = { compliance: DeviceCompliance; reasons: string[] };

type Seen = { lastIat: number; hashes: Set<string> };

export function postureVerifier(o: { maxAgeMs: number; maxReportAgeMs?: number; evaluate: (r: PostureReport) => PostureEvaluation }): PostureVerifier {
  const seen = new WeakMap<FixsConnection, Seen>();
  return {
    async check(jws: string, conn: FixsConnection): Promise<PostureOutcome> {
      let exporter: Buffer;
      try {
        exporter = conn.exporter(EXPORTER_LABEL, EXPORTER_LENGTH);
      } catch (e) {
        return { ok: false, kind: 'unbound', reason: `no TLS exporter on this connection: ${(e as Error).message}` };
      }
      const v = await verifyAttestation(jws, { publicKey: conn.peerCertificate, exporter, maxAgeMs: o.maxAgeMs, ...(o.maxReportAgeMs ? { maxReportAgeMs: o.maxReportAgeMs } : {}) });
      if (!v.ok) {
        const kind = v.reason === 'bad signature' ? 'forged' : v.reason === 'stale' || v.reason === 'issued in the future' ? 'stale'
          : v.reason === 'bound to another TLS channel' ? 'unbound' : 'malformed';
        return { ok: false, kind, reason: v.detail ? `${v.reason} (${v.detail})` : v.reason };
      }
      // Within one channel an attestation may be used once, and never an older one after a newer.
      const hash = createHash('sha256').update(jws).digest('base64url');
      const s = seen.get(conn) ?? { lastIat: 0, hashes: new Set<string>() };
      const iat = v.issuedAt.getTime();
      if (s.hashes.has(hash)) return { ok: false, kind: 'replayed', reason: 'this attestation was already presented on this connection' };
      if (iat < s.lastIat) return { ok: false, kind: 'replayed', reason: 'older than an attestation already accepted' };
      s.hashes.add(hash);
      if (s.hashes.size > 256) s.hashes.delete(s.hashes.values().next().value!);
      s.lastIat = iat;
      seen.set(conn, s);
      const e = o.evaluate(v.report);
      return { ok: true, compliance: e.compliance, reasons: e.reasons, facts: v.report, nonce: hash };
    },
  };
}

export function secondFactor(o: { totp: TotpVerifier; webauthn: WebAuthnService | null; onCredentialUsed?: (user: User) => void }): SecondFactor {
  const expected = new Map<string, { challenge: string; at: number }>();
  const prune = () => {
    const cutoff = Date.now() - 15 * 60_000;
    for (const [k, v] of expected) if (v.at < cutoff || expected.size > 10_000) expected.delete(k); else break;
  };
  return {
    methodsFor(user: User, acr: string): StepUpMethod[] {
      const m: StepUpMethod[] = [];
      if (acr === 'mfa' && user.totpSecret) m.push('totp');
      if (o.webauthn && user.webauthnCredentials.length > 0) m.push('webauthn');
      return m;
    },
    async webauthnOptions(user: User, challengeId: string): Promise<string | undefined> {
      if (!o.webauthn || user.webauthnCredentials.length === 0) return undefined;
      prune();
      const opts = o.webauthn.authenticationOptions(user);
      expected.set(challengeId, { challenge: opts.challenge, at: Date.now() });
      return JSON.stringify(opts);
    },
    async verify(user: User, challengeId: string, a: FactorAnswer) {
      if (a.method === 'totp') {
        const r = o.totp.verify(user.username, user.totpSecret, a.code ?? '');
        return r.ok ? { ok: true } as const : { ok: false, reason: r.reason ?? 'wrong code' } as const;
      }
      if (!o.webauthn) return { ok: false, reason: 'WebAuthn is not configured' } as const;
      const exp = expected.get(challengeId);
      if (!exp) return { ok: false, reason: 'no WebAuthn challenge outstanding' } as const;
      let parsed: unknown;
      try {
        parsed = JSON.parse(a.webauthnResponse ?? '');
      } catch {
        return { ok: false, reason: 'WebAuthn response is not JSON' } as const;
      }
      const r = await o.webauthn.verifyAuthentication(user, parsed, exp.challenge);
      if (!r.ok) return { ok: false, reason: r.reason } as const;
      expected.delete(challengeId);
      o.onCredentialUsed?.(user);
      return { ok: true } as const;
    },
  };
}
