/**
 * Binds the session ports to the real checks: agent/'s attestation verification (signature with the device
 * key — the hardware-bound key enrolled for this certificate's device where there is one, else the client
 * certificate's own key —, channel binding to this connection's TLS exporter, freshness) plus replay refusal,
 * the posture evaluation.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { EXPORTER_LABEL, EXPORTER_LENGTH, verifyAttestation } from '../../agent/attestation.ts';
import type { PostureReport } from '../../agent/report.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import type { DeviceCompliance } from '../policy/engine.ts';
import type { PostureOutcome, PostureVerifier } from './ports.ts';

export type PostureEvaluation = { compliance: DeviceCompliance; reasons: string[] };

type Seen = { lastIat: number; hashes: Set<string> };

/** Which key signs a certificate's posture (issue 13): its device's hardware-bound key, when one was enrolled. */
export type DeviceKeys = {
  /** The certificate's device: its id and posture key (undefined once IT revoked the device); none for a software key. */
  forSerial(serial: string): { deviceId: string; key: KeyObject | undefined } | undefined;
  /** IT's policy: a certificate without a hardware-bound device key gets no posture accepted. */
  requireHardwareKey: boolean;
  /** A posture for a hardware-bound certificate not signed by that device's key: its TLS key is being used elsewhere. */
  onForeignSigner?: (e: { deviceId: string; serial: string; ip: string }) => void;
};

const serialOf = (conn: FixsConnection) => conn.peerCertificate.serialNumber.toLowerCase().replace(/^0+(?=.)/, '');

export function postureVerifier(o: { maxAgeMs: number; maxReportAgeMs?: number; evaluate: (r: PostureReport) => PostureEvaluation; devices?: DeviceKeys }): PostureVerifier {
  const seen = new WeakMap<FixsConnection, Seen>();
  return {
    async check(jws: string, conn: FixsConnection): Promise<PostureOutcome> {
      let exporter: Buffer;
      try {
        exporter = conn.exporter(EXPORTER_LABEL, EXPORTER_LENGTH);
      } catch (e) {
        return { ok: false, kind: 'unbound', reason: `no TLS exporter on this connection: ${(e as Error).message}` };
      }
      const serial = serialOf(conn);
      const device = o.devices?.forSerial(serial);
      if (device && !device.key) return { ok: false, kind: 'device', reason: `device not attested: device ${device.deviceId.slice(0, 16)} was revoked by IT` };
      if (!device && o.devices?.requireHardwareKey) return { ok: false, kind: 'device', reason: 'device not attested: IT requires a hardware-bound device key and this certificate has none' };
      const v = await verifyAttestation(jws, { publicKey: device?.key ?? conn.peerCertificate, exporter, maxAgeMs: o.maxAgeMs, ...(o.maxReportAgeMs ? { maxReportAgeMs: o.maxReportAgeMs } : {}) });
      if (!v.ok) {
        if (device && v.reason === 'bad signature') {
          o.devices?.onForeignSigner?.({ deviceId: device.deviceId, serial, ip: conn.remoteAddress.replace(/^::ffff:/, '') });
          return { ok: false, kind: 'device', reason: `device not attested: the posture is not signed by device ${device.deviceId.slice(0, 16)}'s hardware-bound key` };
        }
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
      return { ok: true, compliance: e.compliance, reasons: e.reasons, facts: v.report, nonce: hash, deviceKey: device ? 'hardware' : 'software', ...(device ? { deviceId: device.deviceId } : {}) };
    },
  };
}
