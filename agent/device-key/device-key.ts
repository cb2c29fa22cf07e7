/**
 * The device key: what signs this machine's posture. Backends differ in where the private key lives, and the
 * gateway scores them differently (issue 13): `hardware` (a TPM 2.0 here; Secure Enclave / Windows Platform Crypto
 * Provider on the other platforms) cannot be copied off the machine; `software` (a P-256 key kept in the OS
 * keychain) can be by anyone with the user's account.
 */
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

export type KeyClass = 'hardware' | 'software';

/**
 * Prefix of what the device key signs to answer the gateway's enrollment nonce (domain separation: a signature over
 * a bare nonce is never mistaken for any other message the key signs, such as a posture JWS).
 */
export const ENROLLMENT_NONCE_CONTEXT = 'parley device enrollment v1\n';

/** A device key that can prove at enrollment that it lives in hardware (the TPM backend; gateway/devices checks it). */
export interface HardwareDeviceKey extends DeviceKey {
  readonly keyClass: 'hardware';
  /** EK certificate, attestation key and its certify of the device key (JSON for POST /v1/device/challenge). */
  enrollmentEvidence(): Promise<unknown>;
  /** Unwraps the gateway's credential inside the hardware (only the attested TPM can). */
  activateCredential(credentialBlob: Buffer): Promise<Buffer>;
  /** A DER ECDSA signature (the enrollment answer's form). */
  signDer(data: Uint8Array): Promise<Buffer>;
}

export interface DeviceKey {
  readonly keyClass: KeyClass;
  /** SPKI PEM of the P-256 public key. */
  publicKeyPem(): Promise<string>;
  /** ECDSA P-256 / SHA-256 over `data`, as JWS ES256 wants it: raw r ‖ s (64 bytes). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** DER ECDSA-Sig-Value → raw r ‖ s of 32 bytes each (what a TPM and OpenSSL return → what JWS carries). */
export function derToRaw(der: Uint8Array): Uint8Array {
  const b = Buffer.from(der);
  const fail = (): never => { throw new Error('not a DER ECDSA P-256 signature'); };
  if (b.length < 8 || b[0] !== 0x30) fail();
  let off = b[1]! & 0x80 ? 2 + (b[1]! & 0x7f) : 2;
  const int = (): Buffer => {
    if (b[off] !== 0x02) fail();
    const len = b[off + 1]!;
    const v = b.subarray(off + 2, off + 2 + len);
    if (v.length !== len || len === 0 || len > 33) fail();
    off += 2 + len;
    const trimmed = v.subarray(v.length - Math.min(v.length, 32));
    if (v.length === 33 && v[0] !== 0) fail();
    return Buffer.concat([Buffer.alloc(32 - trimmed.length), trimmed]);
  };
  const r = int();
  const s = int();
  if (off !== b.length) fail();
  return new Uint8Array(Buffer.concat([r, s]));
}

/** The fallback: a P-256 key in software (the caller keeps its PEM in the OS keychain). */
export class SoftwareDeviceKey implements DeviceKey {
  readonly keyClass = 'software' as const;
  readonly #key: KeyObject;

  constructor(privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('a software device key must be P-256');
    this.#key = privateKey;
  }

  static generate(): SoftwareDeviceKey {
    return new SoftwareDeviceKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  }

  async publicKeyPem(): Promise<string> {
    return createPublicKey(this.#key).export({ type: 'spki', format: 'pem' }).toString();
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' }));
  }
}
