/**
 * The enrollment endpoint: HTTPS (TLS 1.3 only) on loopback.
 *   POST /v1/enroll {token, csr}  -> {certificate, chain, notAfter, compId, serial}
 *   POST /v1/renew  {csr}         -> same, authenticated by the current (valid, unrevoked) client cert; the
 *                                    presented certificate is revoked once its successor is issued
 *   POST /v1/device/challenge {token, evidence} -> a TPM challenge (gateway/devices/tpm/enrollment.ts), bound
 *                                    to the token; its answer then goes with the CSR:
 *   POST /v1/enroll {token, csr, device: {challengeId, secret, nonceSignature}} -> the certificate, bound to the
 *                                    hardware-bound device key that now signs its posture
 *   GET  /v1/crl                  -> the CA's current CRL (PEM), from CrlPublisher's cache
 * Bodies are capped and validated; every failure is a JSON {error, code} with a 4xx status. The endpoint
 * shares its process with the FIX acceptor, so it bounds what an unauthenticated peer can hold: a TLS
 * handshake deadline, header/request/idle timeouts, a connection cap, per-address connection and request
 * limits, and refusals aggregated before they reach the audit log and the alert webhook.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { CsrError, type GatewayCa } from './ca.ts';
import { CrlPublisher, systemClock, type Clock } from './crl-publisher.ts';
import { HttpError, json, send } from './http-body.ts';
import { AddressLimits } from './limits.ts';
import { RefusalDigest, type RefusalEvent } from './refusals.ts';
import { normSerial, type CertRegistry } from './registry.ts';
import type { TokenStore } from './tokens.ts';
import type { DeviceRegistry } from '../devices/registry.ts';
import { TpmAnswer, TpmEvidence, type TpmEnrollment } from '../devices/tpm/enrollment.ts';

const pem = z.string().min(64).max(12 * 1024).regex(/-----BEGIN CERTIFICATE REQUEST-----/, 'expected a PEM CERTIFICATE REQUEST');
const enrollBody = z.object({ token: z.string().min(8).max(256), csr: pem, device: TpmAnswer.optional() }).strict();
const challengeBody = z.object({ token: z.string().min(8).max(256), evidence: TpmEvidence }).strict();
const renewBody = z.object({ csr: pem }).strict();
const DAY_MS = 86_400_000;

export type EnrollEvent =
  | { type: 'enroll.issued' | 'enroll.renewed'; data: Record<string, unknown>; alert?: false }
  | RefusalEvent;

export type EnrollLimits = {
  /** A connection that has not finished its TLS handshake by then is closed (Node's default: 120 s). */
  handshakeTimeoutMs: number;
  /** From the TLS connection to the end of the request headers (then the request body must follow within 15 s). */
  headersTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  requestsPerMinutePerIp: number;
  /** Refusals after the first of a window are summarised in one line at the window's end. */
  refusalWindowMs: number;
};
export const DEFAULT_ENROLL_LIMITS: EnrollLimits = {
  handshakeTimeoutMs: 10_000, headersTimeoutMs: 10_000, maxConnections: 256, maxConnectionsPerIp: 32, requestsPerMinutePerIp: 60, refusalWindowMs: 60_000,
};

export type EnrollServerOptions = {
  host: string; port: number; serverCert: string; serverKey: string;
  ca: GatewayCa; tokens: TokenStore; registry: CertRegistry; certHours: number;
  /** The published CRL; default: one of its own over the registry (24 h validity). */
  crl?: CrlPublisher;
  /** Hardware-bound device keys: the TPM verifier, where devices are recorded, and whether IT requires one. */
  devices?: { tpm: TpmEnrollment; registry: DeviceRegistry; requireHardwareKey: boolean };
  /** Whether the user may (still) hold a certificate: false = disabled, undefined = not in the directory. Absent: no check. */
  userEnabled?: (user: string) => boolean | undefined;
  /** A renewal chain (enrollment, then renewals) ends this long after the enrollment; then enroll again. Default 30 days. */
  maxChainAgeMs?: number;
  limits?: Partial<EnrollLimits>;
  clock?: Clock;
  onEvent?: (e: EnrollEvent) => void;
};

export class EnrollServer {
  readonly server: Server;
  readonly #o: EnrollServerOptions;
  readonly #clock: Clock;
  readonly #crl: CrlPublisher;
  readonly #ownCrl: boolean;
  readonly #limits: AddressLimits;
  readonly #refusals: RefusalDigest;
  readonly #renewing = new Set<string>();

  constructor(o: EnrollServerOptions) {
    this.#o = o;
    this.#clock = o.clock ?? systemClock;
    const lim = { ...DEFAULT_ENROLL_LIMITS, ...o.limits };
    this.#ownCrl = !o.crl;
    this.#crl = o.crl ?? new CrlPublisher({ registry: o.registry, ca: o.ca, validityMs: DAY_MS, clock: this.#clock });
    this.#limits = new AddressLimits({ maxConnectionsPerIp: lim.maxConnectionsPerIp, requestsPerMinutePerIp: lim.requestsPerMinutePerIp, clock: this.#clock });
    this.#refusals = new RefusalDigest({ windowMs: lim.refusalWindowMs, clock: this.#clock, emit: (e) => o.onEvent?.(e) });
    this.server = createServer({
      key: o.serverKey, cert: o.serverCert, ca: [o.ca.certPem],
      minVersion: 'TLSv1.3',
      // The certificate is optional (enroll has none yet); renew demands an authorized one.
      requestCert: true, rejectUnauthorized: false,
      handshakeTimeout: lim.handshakeTimeoutMs,
      // headersTimeout/requestTimeout are enforced by a sweep this often (Node's default 30 s would let a
      // slow client hold a connection up to 40 s).
      connectionsCheckingInterval: 1_000,
    }, (req, res) => { void this.#handle(req, res); });
    this.server.headersTimeout = lim.headersTimeoutMs;
    this.server.requestTimeout = Math.max(15_000, lim.headersTimeoutMs);
    this.server.keepAliveTimeout = 5_000;
    this.server.timeout = 30_000;
    this.server.maxHeadersCount = 50;
    this.server.maxConnections = lim.maxConnections;
    // Counted at the TCP accept, before TLS: sockets that never start a handshake count against their address.
    this.server.on('connection', (sock: Socket) => { this.#limits.admit(sock); });
    this.server.on('tlsClientError', () => { /* a bad handshake hurts only that connection */ });
  }

  async listen(): Promise<number> {
    if (this.#ownCrl) await this.#crl.start();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.#o.port, this.#o.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  /** Ends the current refusal window now (its summary line, if any, is emitted). */
  flushRefusals(): void {
    this.#refusals.flush();
  }

  close(): Promise<void> {
    this.#refusals.flush();
    if (this.#ownCrl) this.#crl.stop();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    const remote = req.socket.remoteAddress ?? 'unknown';
    try {
      if (!this.#limits.allowRequest(remote)) {
        this.#refusals.refused(path === '/v1/renew' ? 'enroll.renew-refused' : 'enroll.refused', { reason: 'rate-limited', remote });
        throw new HttpError(429, 'rate-limited', 'too many requests from this address; try again in a minute');
      }
      if (path === '/v1/crl') {
        if (req.method !== 'GET') throw new HttpError(405, 'method', 'use GET');
        send(res, 200, this.#crl.current(), 'application/pkix-crl');
      } else if (path === '/v1/device/challenge') {
        if (req.method !== 'POST') throw new HttpError(405, 'method', 'use POST');
        send(res, 200, await this.#deviceChallenge(req, remote));
      } else if (path === '/v1/enroll') {
        if (req.method !== 'POST') throw new HttpError(405, 'method', 'use POST');
        send(res, 200, await this.#enroll(req, remote));
      } else if (path === '/v1/renew') {
        if (req.method !== 'POST') throw new HttpError(405, 'method', 'use POST');
        send(res, 200, await this.#renew(req, remote));
      } else {
        throw new HttpError(404, 'not-found', `no such endpoint ${path}`);
      }
    } catch (e) {
      const err = e instanceof HttpError ? e : e instanceof CsrError ? new HttpError(400, 'bad-csr', e.message)
        : new HttpError(500, 'internal', 'internal error');
      if (!(e instanceof HttpError) && !(e instanceof CsrError)) console.error('enroll: internal error', e);
      if (!res.headersSent && !res.destroyed) send(res, err.status, { error: err.message, code: err.code });
    }
  }

  #refuse(type: 'enroll.refused' | 'enroll.renew-refused', status: number, code: string, message: string, data: { reason: string; remote: string } & Record<string, unknown>): never {
    this.#refusals.refused(type, data);
    throw new HttpError(status, code, message);
  }

  async #enroll(req: IncomingMessage, remote: string) {
    const body = await json(req, enrollBody);
    const tokenRefused = (reason: string): never =>
      this.#refuse('enroll.refused', 401, `token-${reason}`, `enrollment token refused: ${reason === 'used' ? 'already used (tokens are single-use)' : reason}`, { reason, remote });
    // Checked, not used: a CSR that fails below must not burn the token.
    const peek = this.#o.tokens.peek(body.token, this.#clock.now());
    if (!peek.ok) return tokenRefused(peek.reason);
    const { user, compId } = peek.record;
    if (this.#o.userEnabled && this.#o.userEnabled(user) === false) {
      this.#refuse('enroll.refused', 403, 'user-disabled', 'the user is disabled', { reason: 'user-disabled', remote, user });
    }
    const device = this.#enrolledDevice(body, peek.record.id, user, remote);
    const signed = await this.#o.ca.signCsr(body.csr, { user, compId, hours: this.#o.certHours, now: this.#clock.now() });
    // Used now, synchronously: of two requests racing with one token, one gets here first and the other is refused
    // (its certificate, signed but never recorded or returned, is dropped).
    const use = this.#o.tokens.consume(body.token, this.#clock.now());
    if (!use.ok) return tokenRefused(use.reason);
    const issuedAt = this.#clock.now().toISOString();
    this.#o.registry.recordIssued({ serial: signed.serial, user, compId, subject: signed.subject, notAfter: signed.notAfter.toISOString(), issuedAt, enrolledAt: issuedAt, fingerprint256: signed.fingerprint256, via: 'enroll', ...(device ? { deviceId: device.deviceId } : {}) });
    this.#o.onEvent?.({ type: 'enroll.issued', data: { user, compId, serial: signed.serial, notAfter: signed.notAfter.toISOString(), tokenId: use.record.id, deviceKey: device ? 'hardware' : 'software', ...(device ? { deviceId: device.deviceId } : {}) } });
    return { certificate: signed.certificate, chain: [this.#o.ca.certPem], notAfter: signed.notAfter.toISOString(), compId, serial: signed.serial };
  }

  /** Step 1 of a hardware-bound enrollment: the TPM's evidence checked, a challenge bound to the token. */
  async #deviceChallenge(req: IncomingMessage, remote: string) {
    if (!this.#o.devices) throw new HttpError(404, 'not-found', 'this gateway does not enroll hardware-bound device keys (no TPM roots configured)');
    const body = await json(req, challengeBody);
    const peek = this.#o.tokens.peek(body.token, this.#clock.now());
    if (!peek.ok) this.#refuse('enroll.refused', 401, `token-${peek.reason}`, `enrollment token refused: ${peek.reason}`, { reason: peek.reason, remote });
    const c = this.#o.devices.tpm.begin(body.evidence, peek.record.id);
    if (!c.ok) this.#refuse('enroll.refused', 403, 'device-not-attested', `device not attested: ${c.reason}`, { reason: 'device-not-attested', detail: c.reason, remote, user: peek.record.user });
    return c.value;
  }

  /** The device an enrollment's answer proves, or none (a software key) where IT allows that. */
  #enrolledDevice(body: z.infer<typeof enrollBody>, tokenId: string, user: string, remote: string) {
    const d = this.#o.devices;
    if (!body.device) {
      if (d?.requireHardwareKey) {
        this.#refuse('enroll.refused', 403, 'hardware-key-required', 'IT requires a hardware-bound device key (TPM) on this device; a software key cannot enroll', { reason: 'hardware-key-required', remote, user });
      }
      return undefined;
    }
    if (!d) throw new HttpError(400, 'device-unsupported', 'this gateway does not enroll hardware-bound device keys');
    const r = d.tpm.finish(body.device, tokenId);
    if (!r.ok) this.#refuse('enroll.refused', 403, 'device-not-attested', `device not attested: ${r.reason}`, { reason: 'device-not-attested', detail: r.reason, remote, user });
    return d.registry.enrolled(r.value, user, this.#clock.now());
  }

  async #renew(req: IncomingMessage, remote: string) {
    const sock = req.socket as TLSSocket;
    const peer = sock.getPeerCertificate();
    if (!sock.authorized || !peer || !peer.serialNumber) {
      this.#refuse('enroll.renew-refused', 401, 'no-client-cert', `renewal needs the current client certificate (${sock.authorizationError ?? 'none presented'})`,
        { reason: 'no valid client certificate', detail: String(sock.authorizationError ?? ''), remote });
    }
    this.#o.registry.reload();
    const serial = normSerial(peer.serialNumber);
    if (this.#o.registry.isRevoked(serial)) {
      this.#refuse('enroll.renew-refused', 403, 'revoked', 'the presented certificate is revoked', { reason: 'revoked', serial, remote });
    }
    const prior = this.#o.registry.issued(serial);
    if (!prior) this.#refuse('enroll.renew-refused', 403, 'unknown-cert', 'the presented certificate was not issued by enrollment', { reason: 'unknown-cert', serial, remote });
    if (this.#o.userEnabled && this.#o.userEnabled(prior.user) !== true) {
      this.#refuse('enroll.renew-refused', 403, 'user-disabled', 'the user is disabled or no longer exists; ask IT', { reason: 'user-disabled', user: prior.user, serial, remote });
    }
    const start = this.#o.registry.chainStart(prior);
    const cap = new Date(start.getTime() + (this.#o.maxChainAgeMs ?? 30 * DAY_MS));
    const now = this.#clock.now();
    if (now >= cap) {
      this.#refuse('enroll.renew-refused', 403, 'chain-expired', `renewals of this enrollment ended on ${cap.toISOString()}; enroll again with a new token from IT`,
        { reason: 'chain-expired', user: prior.user, serial, enrolledAt: start.toISOString(), remote });
    }
    // One renewal per certificate: a thief racing the owner with the same certificate cannot fork the chain.
    if (this.#renewing.has(serial)) throw new HttpError(409, 'renewal-in-progress', 'a renewal with this certificate is already in progress');
    this.#renewing.add(serial);
    try {
      const body = await json(req, renewBody);
      const signed = await this.#o.ca.signCsr(body.csr, { user: prior.user, compId: prior.compId, hours: this.#o.certHours, now, notAfterCap: cap });
      this.#o.registry.reload();
      if (this.#o.registry.isRevoked(serial)) this.#refuse('enroll.renew-refused', 403, 'revoked', 'the presented certificate is revoked', { reason: 'revoked', serial, remote });
      this.#o.registry.recordIssued({ serial: signed.serial, user: prior.user, compId: prior.compId, subject: signed.subject, notAfter: signed.notAfter.toISOString(), issuedAt: now.toISOString(), enrolledAt: start.toISOString(), previous: serial, fingerprint256: signed.fingerprint256, via: 'renew', ...(prior.deviceId ? { deviceId: prior.deviceId } : {}) });
      // The replaced certificate is revoked at once (a stolen copy of it renews nothing and connects nowhere new).
      this.#o.registry.revokeSerials([serial], 'superseded', 'renewal', now);
      await this.#crl.reissue('renewal');
      this.#o.onEvent?.({ type: 'enroll.renewed', data: { user: prior.user, compId: prior.compId, serial: signed.serial, previous: serial, previousRevoked: true, enrolledAt: start.toISOString() } });
      return { certificate: signed.certificate, chain: [this.#o.ca.certPem], notAfter: signed.notAfter.toISOString(), compId: prior.compId, serial: signed.serial };
    } finally {
      this.#renewing.delete(serial);
    }
  }
}
