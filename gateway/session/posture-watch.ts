/**
 * A session's device posture after logon: the compliance it was last attested at, the re-attestation deadline
 * and its reminder (AttestationRequest, graceSec before), and each new attestation checked (signature with the
 * certificate key, channel binding, freshness, replay, then the posture policy). A refused or non-compliant one
 * is a lapse; what a lapse does (downgrade or end) is the session's call.
 */
import type { FixsConnection } from '../../fix/transport.ts';
import type { FixMessage } from '../../fix/codec.ts';
import { MSG } from '../../fix/parley-protocol.ts';
import { readAttestation, writeAttestationRequest } from '../../fix/protocol/index.ts';
import type { DeviceCompliance } from '../policy/engine.ts';
import type { Ports } from './ports.ts';
import type { SessionIo } from './session-io.ts';

export interface PostureHost {
  lapse(reason: string): void;
  /** A fresh compliant attestation arrived; `complianceChanged` when its level differs from the last one. */
  recovered(complianceChanged: boolean): void;
  downgraded(): boolean;
}

export class PostureWatch {
  #compliance: DeviceCompliance;
  #deadline: number;
  #reminded = false;
  readonly #io: SessionIo;
  readonly #ports: Pick<Ports, 'posture' | 'settings'>;
  readonly #conn: FixsConnection;
  readonly #host: PostureHost;

  constructor(io: SessionIo, ports: Pick<Ports, 'posture' | 'settings'>, conn: FixsConnection, compliance: DeviceCompliance, host: PostureHost) {
    this.#io = io;
    this.#ports = ports;
    this.#conn = conn;
    this.#host = host;
    this.#compliance = compliance;
    this.#deadline = Date.now() + ports.settings.attestation.reattestIntervalSec * 1000;
  }

  get compliance(): DeviceCompliance { return this.#compliance; }
  get deadline(): number { return this.#deadline; }

  async attestation(m: FixMessage): Promise<void> {
    // An unreadable one is checked as empty: the verifier refuses it as malformed, which is a lapse like any refusal.
    const a = readAttestation(m);
    const p = await this.#ports.posture.check(a.ok ? a.value.jws : '', this.#conn);
    if (this.#io.isEnded()) return;
    if (!p.ok) {
      this.#io.audit('posture.result', { scope: 'reattest', ok: false, attestation: p.kind, reason: p.reason });
      this.#host.lapse(`attestation refused (${p.kind}): ${p.reason}`);
      return;
    }
    this.#io.audit('posture.result', { scope: 'reattest', ok: true, compliance: p.compliance, reasons: p.reasons });
    const was = this.#compliance;
    this.#compliance = p.compliance;
    if (p.compliance === 'non-compliant' || p.compliance === 'unknown') {
      this.#host.lapse(`device no longer compliant: ${p.reasons.join('; ') || p.compliance}`);
      return;
    }
    this.#deadline = Date.now() + this.#ports.settings.attestation.reattestIntervalSec * 1000;
    this.#reminded = false;
    this.#host.recovered(was !== p.compliance);
  }

  /** Past the deadline: a lapse (once; a downgraded session waits for its attestation). Near it: one reminder. */
  tick(now: number): void {
    // A service account has no desktop agent to re-attest with (server posture, issue 11 item 2, is not built):
    // its sessions rest on the workload certificate and the allow-list (docs/connecting-an-engine.md).
    if (this.#io.ctx.user.service) return;
    const s = this.#ports.settings.attestation;
    if (now > this.#deadline) {
      if (!this.#host.downgraded()) this.#host.lapse('re-attestation missing: no fresh attestation before the deadline');
      return;
    }
    if (!this.#reminded && now > this.#deadline - s.graceSec * 1000) {
      this.#reminded = true;
      this.#io.send(MSG.AttestationRequest, writeAttestationRequest({ deadline: new Date(this.#deadline), intervalSec: s.reattestIntervalSec, text: 'send a fresh attestation' }));
    }
  }
}
