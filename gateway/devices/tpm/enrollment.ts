/**
 * Proves, at enrollment, that a device key is bound to a real TPM (issue 13 item 2). Two round trips:
 *
 *   1. evidence → challenge. The client sends its EK certificate (+ intermediates), its attestation key (AK)
 *      public area, the device key's public area and a TPM2_Certify of the device key signed by the AK. The
 *      gateway checks the EK chain against IT's manufacturer roots, that the AK is a restricted signing key and
 *      the device key a non-exportable (fixedTPM, fixedParent, sensitiveDataOrigin) sign-only key, and that the
 *      AK's signature over the certify names exactly that device key. It answers with a credential wrapped to
 *      the EK and the AK's Name (MakeCredential) and a nonce.
 *   2. answer → device. The client's TPM unwraps the credential (ActivateCredential: only the TPM with that EK
 *      and that AK loaded can) and the device key signs the nonce. A copied certify, an AK from another TPM, a
 *      software key or a replay all fail one of these checks.
 *
 * What it does not prove: that the software asking is Parley, or the machine's state; posture does that,
 * signed by this key per TLS channel.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual, verify, type X509Certificate } from 'node:crypto';
import { z } from 'zod';
import { ENROLLMENT_NONCE_CONTEXT } from '../../../agent/device-key/device-key.ts';
import { makeCredential } from './credential.ts';
import { verifyEkChain } from './ek-chain.ts';
import { ObjectAttribute as A, readCertifyAttest, readTpm2bPublic, tpmName, type Parsed, type TpmPublic } from './marshal.ts';

const b64 = (max: number) => z.string().max(Math.ceil(max / 3) * 4 + 4).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

export const TpmEvidence = z.strictObject({
  ekCertificate: b64(4096),
  ekIntermediates: z.array(b64(4096)).max(4).default([]),
  attestationKey: b64(1024),
  deviceKey: b64(1024),
  certify: z.strictObject({ attest: b64(1024), signature: b64(600) }),
});
export type TpmEvidence = z.input<typeof TpmEvidence>;

export const TpmAnswer = z.strictObject({ challengeId: z.uuid(), secret: b64(64), nonceSignature: b64(600) });
export type TpmAnswer = z.input<typeof TpmAnswer>;

export type TpmChallenge = { challengeId: string; credentialBlob: string; nonce: string; expiresAt: string };

export type EnrolledDevice = {
  keyClass: 'hardware';
  /** The device key, SPKI PEM: it signs posture from now on. */
  publicKeyPem: string;
  /** SHA-256 of the EK certificate (DER), hex: the TPM's identity; a cleared TPM has a new one. */
  ekCertSha256: string;
  akName: string;
  manufacturerRoot: string;
};

/** What the device key signs with the nonce (defined with the agent's device key, which signs it). */
export const NONCE_CONTEXT = ENROLLMENT_NONCE_CONTEXT;

const REQUIRED_DEVICE = A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.sign;
const REQUIRED_AK = A.fixedTPM | A.fixedParent | A.sensitiveDataOrigin | A.sign | A.restricted;

export type TpmEnrollmentOptions = {
  roots: X509Certificate[];
  /** How long a challenge may be answered. Default 2 minutes. */
  challengeTtlMs?: number;
  /** Open challenges held at once (the oldest goes first). Default 1,000. */
  maxPending?: number;
  now?: () => Date;
};

type Pending = { binding: string; secret: Buffer; nonce: Buffer; device: TpmPublic; ekCertSha256: string; akName: Buffer; root: string; expires: number };

function attributesMissing(attrs: number, required: number): string[] {
  return Object.entries(A).filter(([, bit]) => (required & bit) !== 0 && (attrs & bit) === 0).map(([name]) => name);
}

function verifySignature(key: TpmPublic, data: Buffer, signature: Buffer): boolean {
  try {
    // ECDSA signatures arrive DER-encoded, RSA ones as RSASSA-PKCS1-v1_5: Node's defaults for each key type.
    return verify('sha256', data, key.key, signature);
  } catch {
    return false;
  }
}

export class TpmEnrollment {
  readonly #o: Required<Omit<TpmEnrollmentOptions, 'roots'>> & { roots: X509Certificate[] };
  readonly #pending = new Map<string, Pending>();

  constructor(o: TpmEnrollmentOptions) {
    this.#o = { challengeTtlMs: 120_000, maxPending: 1_000, now: () => new Date(), ...o };
  }

  /**
   * Step 1: checks the evidence; a challenge only the TPM it describes can answer. `binding` ties the challenge
   * to what it was asked for (the enrollment token's id): it can be answered only for that again.
   */
  begin(input: unknown, binding = ''): Parsed<TpmChallenge> {
    const p = TpmEvidence.safeParse(input);
    if (!p.success) return { ok: false, reason: `evidence: ${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}` };
    const e = p.data;
    const now = this.#o.now();
    const chain = verifyEkChain(Buffer.from(e.ekCertificate, 'base64'), e.ekIntermediates.map((d) => Buffer.from(d, 'base64')), this.#o.roots, now);
    if (!chain.ok) return chain;
    const ak = readTpm2bPublic(Buffer.from(e.attestationKey, 'base64'));
    if (!ak.ok) return { ok: false, reason: `attestation key: ${ak.reason}` };
    const akMissing = attributesMissing(ak.value.attributes, REQUIRED_AK);
    if (akMissing.length || ak.value.attributes & A.decrypt) return { ok: false, reason: `attestation key is not a restricted, non-exportable signing key (${akMissing.join(', ') || 'decrypt set'})` };
    const device = readTpm2bPublic(Buffer.from(e.deviceKey, 'base64'));
    if (!device.ok) return { ok: false, reason: `device key: ${device.reason}` };
    const missing = attributesMissing(device.value.attributes, REQUIRED_DEVICE);
    if (missing.length) return { ok: false, reason: `device key can leave the TPM or cannot sign: missing ${missing.join(', ')}` };
    if (device.value.attributes & (A.decrypt | A.restricted)) return { ok: false, reason: 'device key must be an unrestricted sign-only key' };
    const attest = Buffer.from(e.certify.attest, 'base64');
    const info = readCertifyAttest(attest);
    if (!info.ok) return info;
    if (!verifySignature(ak.value, attest, Buffer.from(e.certify.signature, 'base64'))) return { ok: false, reason: 'certify: not signed by the attestation key sent with it' };
    if (!info.value.name.equals(tpmName(device.value))) return { ok: false, reason: 'certify: it certifies another key than the device key sent with it' };

    const challengeId = randomUUID();
    const secret = randomBytes(32);
    const nonce = randomBytes(32);
    const akName = tpmName(ak.value);
    this.#sweep(now.getTime());
    while (this.#pending.size >= this.#o.maxPending) this.#pending.delete(this.#pending.keys().next().value!);
    const expires = now.getTime() + this.#o.challengeTtlMs;
    this.#pending.set(challengeId, {
      binding, secret, nonce, device: device.value, akName, expires,
      ekCertSha256: createHash('sha256').update(chain.value.ek.raw).digest('hex'), root: chain.value.root.subject.replace(/\n/g, ', '),
    });
    return { ok: true, value: { challengeId, credentialBlob: makeCredential(chain.value.key, akName, secret).toString('base64'), nonce: nonce.toString('base64'), expiresAt: new Date(expires).toISOString() } };
  }

  /** Step 2: the unwrapped secret and the device key's signature of the nonce. A challenge is answered once. */
  finish(input: unknown, binding = ''): Parsed<EnrolledDevice> {
    const p = TpmAnswer.safeParse(input);
    if (!p.success) return { ok: false, reason: `answer: ${p.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}` };
    const pending = this.#pending.get(p.data.challengeId);
    this.#pending.delete(p.data.challengeId);
    if (!pending) return { ok: false, reason: 'unknown or already answered challenge' };
    if (pending.binding !== binding) return { ok: false, reason: 'the challenge was issued for another enrollment' };
    if (this.#o.now().getTime() > pending.expires) return { ok: false, reason: 'the challenge expired; start again' };
    const secret = Buffer.from(p.data.secret, 'base64');
    if (secret.length !== pending.secret.length || !timingSafeEqual(secret, pending.secret)) {
      return { ok: false, reason: 'the credential was not unwrapped by the TPM the EK certificate names' };
    }
    const signed = Buffer.concat([Buffer.from(NONCE_CONTEXT), pending.nonce]);
    if (!verifySignature(pending.device, signed, Buffer.from(p.data.nonceSignature, 'base64'))) return { ok: false, reason: 'the nonce was not signed by the device key' };
    return {
      ok: true,
      value: {
        keyClass: 'hardware', publicKeyPem: pending.device.key.export({ type: 'spki', format: 'pem' }).toString(),
        ekCertSha256: pending.ekCertSha256, akName: pending.akName.toString('hex'), manufacturerRoot: pending.root,
      },
    };
  }

  #sweep(now: number): void {
    for (const [id, p] of this.#pending) if (p.expires < now) this.#pending.delete(id);
  }
}
