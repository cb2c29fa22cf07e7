/**
 * Periodic re-attestation: a fresh posture attestation, bound to the live TLS channel, sent as Parley's
 * Attestation (UA) every reattestIntervalSec, sooner when the gateway sets a deadline (AttestDeadline on a
 * SecurityStatus) and at once when it asks (AttestationRequest UF).
 */
import type { FixSession } from '../../fix/session.ts';
import type { FixsConnection } from '../../fix/transport.ts';
import { MsgType } from '../../fix/dictionary/tags.ts';
import { attestationFields } from './fix-mapping.ts';
import type { Attestor } from './connection-loop.ts';

/** Margin left before the gateway's deadline for collecting the posture and the round trip. */
const DEADLINE_MARGIN_MS = 15_000;

export interface ReattestationOptions {
  attest: Attestor;
  intervalSec: () => number;
  /** The logged-on session and its connection, or null. */
  live: () => { session: FixSession; conn: FixsConnection } | null;
  attested: () => void;
  log?: { warn(m: string): void };
}

export class Reattestation {
  readonly #o: ReattestationOptions;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: ReattestationOptions) {
    this.#o = o;
  }

  schedule(deadline?: Date): void {
    this.stop();
    let ms = this.#o.intervalSec() * 1_000;
    if (deadline) ms = Math.min(ms, Math.max(1_000, deadline.getTime() - Date.now() - DEADLINE_MARGIN_MS));
    this.#timer = setTimeout(() => void this.now(), ms);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async now(): Promise<void> {
    const live = this.#o.live();
    if (!live) return;
    const { session, conn } = live;
    try {
      const jws = await this.#o.attest((label, length) => conn.exporter(label, length));
      if (this.#o.live()?.session !== session || session.state !== 'active') return;
      session.send(MsgType.ParleyAttestation, attestationFields(jws));
      this.#o.attested();
    } catch (e) {
      this.#o.log?.warn(`session: re-attestation failed: ${(e as Error).message}`);
    } finally {
      this.schedule();
    }
  }
}
