/**
 * Keeps the device enrolled: loads the identity from the keychain, enrolls with a token (from the user or,
 * silently, from IT's managed config), renews at two thirds of the certificate's lifetime, and reports
 * 'enrollment-needed' when the certificate is missing, expired or revoked.
 *
 * The data folder gets only public facts (device.json: subject, serial, validity) for support and the UI.
 */
import { EventEmitter } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HardwareDeviceKey } from '../../agent/device-key/device-key.ts';
import type { DeviceIdentity, DeviceKeychain } from '../keychain/device-identity.ts';
import { certificateStatus, enroll, EnrollError, renew, renewalTime, type EnrollEndpoint } from './client.ts';

export interface CertificateInfo {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  renewAt: Date;
  compId: string | null;
}

export type EnrollmentState = { state: 'enrolled'; info: CertificateInfo } | { state: 'enrollment-needed'; reason: string };

/** setTimeout takes at most 2^31-1 ms; longer waits are re-armed. */
const MAX_TIMER = 2 ** 31 - 1;
const RETRY_MS = [30_000, 60_000, 300_000, 900_000];

export function describeCertificate(pem: string): CertificateInfo {
  const c = new X509Certificate(pem);
  const t = renewalTime(pem);
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(c.subject)?.[1] ?? null;
  const sanCompId = /URI:urn:parley:fix:compid:([^,\s]+)/.exec(c.subjectAltName ?? '')?.[1] ?? null;
  return {
    subject: c.subject.replace(/\n/g, ', '),
    issuer: c.issuer.replace(/\n/g, ', '),
    serialNumber: c.serialNumber.toLowerCase(),
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    renewAt: t.renewAt,
    compId: sanCompId ?? cn,
  };
}

export class CertificateManager extends EventEmitter<{ state: [EnrollmentState]; renewed: [CertificateInfo]; error: [Error] }> {
  readonly #kc: DeviceKeychain;
  readonly #endpoint: () => EnrollEndpoint | null;
  readonly #dataDir: string;
  #identity: DeviceIdentity | null = null;
  readonly #hardware: HardwareDeviceKey | undefined;
  #state: EnrollmentState = { state: 'enrollment-needed', reason: 'not loaded yet' };
  #timer: NodeJS.Timeout | undefined;
  #retries = 0;
  #stopped = false;

  /**
   * `hardwareKey`: the device's hardware-bound key (a TPM), proved to the gateway at enrollment; it then signs
   * posture. Without it the device enrolls with the software key only.
   */
  constructor(opts: { keychain: DeviceKeychain; endpoint: () => EnrollEndpoint | null; dataDir: string; hardwareKey?: HardwareDeviceKey }) {
    super();
    this.#hardware = opts.hardwareKey;
    this.#kc = opts.keychain;
    this.#endpoint = opts.endpoint;
    this.#dataDir = opts.dataDir;
  }

  get state(): EnrollmentState {
    return this.#state;
  }
  get identity(): DeviceIdentity | null {
    return this.#identity;
  }

  async load(): Promise<EnrollmentState> {
    this.#identity = await this.#kc.load();
    if (!this.#identity) return this.#set({ state: 'enrollment-needed', reason: 'this device is not enrolled yet' });
    return this.#accept(this.#identity);
  }

  async enroll(token: string): Promise<CertificateInfo> {
    const ep = this.#requireEndpoint();
    const { identity } = await enroll(this.#kc, ep, token, this.#hardware);
    const s = await this.#accept(identity);
    if (s.state !== 'enrolled') throw new EnrollError('bad-response', s.reason);
    return s.info;
  }

  /** Renews now (the timer calls this at two thirds of the lifetime). */
  async renewNow(): Promise<CertificateInfo> {
    if (!this.#identity) throw new EnrollError('not-recognized', 'nothing to renew: not enrolled');
    try {
      const { identity } = await renew(this.#kc, this.#requireEndpoint(), this.#identity);
      this.#retries = 0;
      const s = await this.#accept(identity);
      if (s.state !== 'enrolled') throw new EnrollError('bad-response', s.reason);
      this.emit('renewed', s.info);
      return s.info;
    } catch (e) {
      if (e instanceof EnrollError && e.needsEnrollment) this.markUnusable(e.message);
      throw e;
    }
  }

  /** The gateway refused the certificate (revoked, unknown): the user must enroll again. */
  markUnusable(reason: string): void {
    this.#clearTimer();
    this.#set({ state: 'enrollment-needed', reason });
  }

  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #requireEndpoint(): EnrollEndpoint {
    const ep = this.#endpoint();
    if (!ep) throw new EnrollError('refused', 'no enrollment URL is configured (managed policy or settings)');
    return ep;
  }

  async #accept(identity: DeviceIdentity): Promise<EnrollmentState> {
    this.#identity = identity;
    const status = certificateStatus(identity.certificatePem);
    if (status === 'expired') return this.#set({ state: 'enrollment-needed', reason: 'the device certificate has expired' });
    const info = describeCertificate(identity.certificatePem);
    await this.#writeDeviceFacts(info);
    this.#schedule(info);
    return this.#set({ state: 'enrolled', info });
  }

  #set(s: EnrollmentState): EnrollmentState {
    this.#state = s;
    this.emit('state', s);
    return s;
  }

  #schedule(info: CertificateInfo, delayOverride?: number): void {
    this.#clearTimer();
    if (this.#stopped) return;
    const now = Date.now();
    // A certificate already past its renewal point (a short-lived one, or a laptop that slept) is renewed soon
    // but not at once, so a gateway issuing very short lifetimes cannot put the client into a tight loop.
    const floor = Math.min(60_000, Math.max(0, (info.notAfter.getTime() - now) / 3));
    const due = delayOverride ?? Math.max(floor, info.renewAt.getTime() - now);
    this.#timer = setTimeout(() => {
      if (delayOverride === undefined && Date.now() < info.renewAt.getTime() - 1_000) return this.#schedule(info);
      this.renewNow().catch((e: Error) => {
        // 'error' without a listener would throw from a timer; only report it to someone listening.
        if (this.listenerCount('error') > 0) this.emit('error', e);
        if (this.#state.state !== 'enrolled' || this.#stopped) return;
        if (Date.now() >= info.notAfter.getTime()) return this.markUnusable('the device certificate has expired');
        const wait = RETRY_MS[Math.min(this.#retries++, RETRY_MS.length - 1)]!;
        this.#schedule(info, Math.min(wait, Math.max(1_000, info.notAfter.getTime() - Date.now())));
      });
    }, Math.min(due, MAX_TIMER));
    this.#timer.unref();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #writeDeviceFacts(info: CertificateInfo): Promise<void> {
    await mkdir(this.#dataDir, { recursive: true });
    const file = path.join(this.#dataDir, 'device.json');
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ ...info, updatedAt: new Date() }, null, 1));
    await rename(tmp, file);
  }
}
