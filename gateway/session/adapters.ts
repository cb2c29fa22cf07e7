/**
 * Binds the session ports to the real checks: agent/'s attestation verification (signature with the client
 * certificate's key, channel binding to this connection's TLS exporter, freshness) plus replay refusal, the
 * posture evaluation.
 */
import { createHash } from 'node:crypto';
import { EXPORTER_LABEL, EXPORTER_LENGTH, verifyAttestation } from '../../agent/attestation.ts';
import type { PostureReport } from '../../agent/report.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { DeviceCompliance } from '../policy/engine.ts';
import type { PostureOutcome, PostureVerifier } from './ports.ts';

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
