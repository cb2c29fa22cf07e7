/**
 * Enrollment and renewal against the gateway's HTTPS endpoint:
 *   POST /v1/enroll {token, csr} → {certificate, chain, notAfter}
 *   POST /v1/renew  {csr}        → the same, authenticated by the current client certificate
 * With a hardware-bound device key (a TPM: agent/device-key/tpm.ts), enrollment first proves the key:
 *   POST /v1/device/challenge {token, evidence} → {challengeId, credentialBlob, nonce}; the TPM unwraps the
 *   credential and signs the nonce, and the answer goes with the CSR as `device`.
 * The TLS key is generated here in memory, kept in the keychain as 'pending' until its certificate arrives,
 * and never written anywhere else.
 */
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ENROLLMENT_NONCE_CONTEXT, type HardwareDeviceKey } from '../../agent/device-key/device-key.ts';
import type { DeviceIdentity, DeviceKey, DeviceKeychain } from '../keychain/device-identity.ts';
import { x509 } from './x509.ts';

const MAX_RESPONSE = 256 * 1024;
const pemCert = z.string().max(64 * 1024).regex(/-----BEGIN CERTIFICATE-----/);
const IssuedSchema = z.object({
  certificate: pemCert,
  chain: z.array(pemCert).max(10).default([]),
  notAfter: z.string().max(64),
});

export type EnrollErrorCode =
  | 'token-refused'
  | 'revoked'
  | 'not-recognized'
  | 'refused'
  | 'network'
  | 'bad-response'
  | 'wrong-key'
  /** The gateway did not accept this device's hardware key (or requires one and there is none). */
  | 'device-not-attested';

export class EnrollError extends Error {
  readonly code: EnrollErrorCode;
  constructor(code: EnrollErrorCode, message: string) {
    super(message);
    this.name = 'EnrollError';
    this.code = code;
  }
  /** Whether the device must enroll again (its certificate will not be renewed). */
  get needsEnrollment(): boolean {
    return this.code === 'revoked' || this.code === 'not-recognized';
  }
}

export interface EnrollEndpoint {
  /** Base URL, e.g. https://gateway.corp:8444 (a trailing /v1/enroll is tolerated). */
  url: string;
  /** CA certificates that verify the endpoint; null = the system's. */
  ca: string[] | null;
  timeoutMs?: number;
}

export interface Enrolled {
  identity: DeviceIdentity;
  subject: string;
  notAfter: Date;
}

export async function createCsr(key: DeviceKey, commonName = `parley-device-${hostname()}`): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName.replace(/[\\,+"<>;=#]/g, '_').slice(0, 64)}`,
    keys: await key.cryptoKeyPair(),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return csr.toString('pem');
}

const ChallengeSchema = z.object({
  challengeId: z.string().max(64),
  credentialBlob: z.string().max(4096).regex(/^[A-Za-z0-9+/]*={0,2}$/),
  nonce: z.string().max(128).regex(/^[A-Za-z0-9+/]*={0,2}$/),
});

function endpoint(base: string, path: '/v1/enroll' | '/v1/renew' | '/v1/device/challenge'): URL {
  const u = new URL(base.replace(/\/v1\/(enroll|renew)\/?$/, '/'));
  if (u.protocol !== 'https:') throw new EnrollError('refused', `enrollment URL must be https: ${base}`);
  return new URL(path, u);
}

function postJson(url: URL, body: unknown, ep: EnrollEndpoint, client?: { key: string; cert: string }): Promise<{ status: number; json: unknown }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        ...(ep.ca ? { ca: ep.ca } : {}),
        ...(client ?? {}),
        minVersion: 'TLSv1.3',
        rejectUnauthorized: true,
        agent: false,
        timeout: ep.timeoutMs ?? 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE) {
            req.destroy(new EnrollError('bad-response', 'the enrollment response is too large'));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          let json: unknown = null;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            /* non-JSON bodies are reported by status below */
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new EnrollError('network', `no answer from ${url.host}`)));
    req.on('error', (e) => reject(e instanceof EnrollError ? e : new EnrollError('network', `cannot reach ${url.host}: ${(e as Error).message}`)));
    req.end(payload);
  });
}

function refusal(status: number, json: unknown): EnrollError {
  const body = (json && typeof json === 'object' ? json : {}) as { error?: unknown; code?: unknown };
  const code = typeof body.code === 'string' ? body.code : '';
  const msg = typeof body.error === 'string' ? body.error.slice(0, 500) : `HTTP ${status}`;
  if (code.startsWith('token-')) return new EnrollError('token-refused', msg);
  if (code === 'revoked') return new EnrollError('revoked', msg);
  if (code === 'unknown-cert' || code === 'no-client-cert') return new EnrollError('not-recognized', msg);
  if (code === 'device-not-attested' || code === 'hardware-key-required') return new EnrollError('device-not-attested', msg);
  return new EnrollError('refused', msg);
}

async function issue(kc: DeviceKeychain, url: URL, body: (csr: string) => unknown, ep: EnrollEndpoint, client?: { key: string; cert: string }): Promise<Enrolled> {
  const key = await kc.createPendingKey();
  const csr = await createCsr(key);
  const { status, json } = await postJson(url, body(csr), ep, client);
  if (status !== 200) throw refusal(status, json);
  const parsed = IssuedSchema.safeParse(json);
  if (!parsed.success) throw new EnrollError('bad-response', 'the enrollment endpoint answered outside its protocol');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(parsed.data.certificate);
  } catch {
    throw new EnrollError('bad-response', 'the issued certificate cannot be parsed');
  }
  if (!key.matchesCertificate(parsed.data.certificate)) throw new EnrollError('wrong-key', 'the issued certificate is not for this device key');
  const identity = await kc.install(parsed.data.certificate, parsed.data.chain);
  return { identity, subject: cert.subject.replace(/\n/g, ', '), notAfter: cert.validToDate };
}

/** The TPM's answer to the gateway's device challenge (step 1 of a hardware-bound enrollment). */
async function proveDevice(hardware: HardwareDeviceKey, ep: EnrollEndpoint, token: string): Promise<{ challengeId: string; secret: string; nonceSignature: string }> {
  const { status, json } = await postJson(endpoint(ep.url, '/v1/device/challenge'), { token, evidence: await hardware.enrollmentEvidence() }, ep);
  if (status !== 200) throw refusal(status, json);
  const c = ChallengeSchema.safeParse(json);
  if (!c.success) throw new EnrollError('bad-response', 'the device challenge is outside the enrollment protocol');
  const secret = await hardware.activateCredential(Buffer.from(c.data.credentialBlob, 'base64'));
  const signature = await hardware.signDer(Buffer.concat([Buffer.from(ENROLLMENT_NONCE_CONTEXT), Buffer.from(c.data.nonce, 'base64')]));
  return { challengeId: c.data.challengeId, secret: secret.toString('base64'), nonceSignature: signature.toString('base64') };
}

export async function enroll(kc: DeviceKeychain, ep: EnrollEndpoint, token: string, hardware?: HardwareDeviceKey): Promise<Enrolled> {
  const device = hardware ? await proveDevice(hardware, ep, token) : undefined;
  return issue(kc, endpoint(ep.url, '/v1/enroll'), (csr) => ({ token, csr, ...(device ? { device } : {}) }), ep);
}

/** A new key and certificate, authenticated by the current ones. */
export function renew(kc: DeviceKeychain, ep: EnrollEndpoint, current: DeviceIdentity): Promise<Enrolled> {
  return issue(kc, endpoint(ep.url, '/v1/renew'), (csr) => ({ csr }), ep, {
    key: current.key.tlsKey(),
    cert: current.certificatePem,
  });
}

/** Two thirds into the certificate's lifetime. */
export function renewalTime(certificatePem: string): { notBefore: Date; notAfter: Date; renewAt: Date } {
  const c = new X509Certificate(certificatePem);
  const notBefore = c.validFromDate;
  const notAfter = c.validToDate;
  return { notBefore, notAfter, renewAt: new Date(notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3) };
}

export type CertificateStatus = 'valid' | 'renew-due' | 'expired' | 'not-yet-valid';
export function certificateStatus(certificatePem: string, now = new Date()): CertificateStatus {
  const t = renewalTime(certificatePem);
  if (now >= t.notAfter) return 'expired';
  if (now < t.notBefore) return 'not-yet-valid';
  return now >= t.renewAt ? 'renew-due' : 'valid';
}
