/**
 * Readers for the few TPM 2.0 structures device enrollment needs (TPM 2.0 Library, Part 2: Structures):
 * TPM2B_PUBLIC (a key's public area, whose hash is its Name) and TPMS_ATTEST of type CERTIFY. Every reader
 * returns a result and never throws: the bytes come from the client and may be anything.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export const TPM_ALG = { RSA: 0x0001, SHA256: 0x000b, NULL: 0x0010, ECDSA: 0x0018, ECC: 0x0023 } as const;
const TPM_ECC_NIST_P256 = 0x0003;
const TPM_GENERATED_VALUE = 0xff544347;
const TPM_ST_ATTEST_CERTIFY = 0x8017;

/** TPMA_OBJECT bits (Part 2, 8.3). */
export const ObjectAttribute = {
  fixedTPM: 1 << 1,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

export type TpmPublic = {
  type: 'ecc-p256' | 'rsa';
  nameAlg: number;
  attributes: number;
  /** The TPMT_PUBLIC bytes (without the TPM2B size), hashed for the Name. */
  area: Buffer;
  /** The key for Node's crypto. */
  key: KeyObject;
};

export type CertifyInfo = {
  qualifiedSigner: Buffer;
  extraData: Buffer;
  resetCount: number;
  restartCount: number;
  /** Name of the certified key (nameAlg ‖ H(TPMT_PUBLIC)). */
  name: Buffer;
  qualifiedName: Buffer;
};

/** Bounds-checked big-endian reads; any overrun makes the whole parse fail with `truncated`. */
class Cursor {
  off = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) { this.buf = buf; }
  has(n: number): boolean { return this.off + n <= this.buf.length; }
  u16(): number | undefined { if (!this.has(2)) return undefined; const v = this.buf.readUInt16BE(this.off); this.off += 2; return v; }
  u32(): number | undefined { if (!this.has(4)) return undefined; const v = this.buf.readUInt32BE(this.off); this.off += 4; return v; }
  bytes(n: number): Buffer | undefined { if (!this.has(n)) return undefined; const v = this.buf.subarray(this.off, this.off + n); this.off += n; return v; }
  /** A TPM2B: u16 size then that many bytes. */
  sized(max: number): Buffer | undefined { const n = this.u16(); return n === undefined || n > max ? undefined : this.bytes(n); }
}

const MAX_PUBLIC = 1024;

/** A TPM2B_PUBLIC of an ECC P-256 or RSA key, as tpm2-tools writes it (`-u key.pub`). */
export function readTpm2bPublic(input: Buffer): Parsed<TpmPublic> {
  if (!Buffer.isBuffer(input) || input.length < 2 || input.length > MAX_PUBLIC + 2) return { ok: false, reason: 'public area: wrong size' };
  const outer = new Cursor(input);
  const area = outer.sized(MAX_PUBLIC);
  if (!area || outer.off !== input.length) return { ok: false, reason: 'public area: truncated or trailing bytes' };
  return readTpmtPublic(area);
}

function readTpmtPublic(area: Buffer): Parsed<TpmPublic> {
  const c = new Cursor(area);
  const type = c.u16();
  const nameAlg = c.u16();
  const attributes = c.u32();
  const authPolicy = c.sized(64);
  if (type === undefined || nameAlg === undefined || attributes === undefined || authPolicy === undefined) return { ok: false, reason: 'public area: truncated' };
  if (nameAlg !== TPM_ALG.SHA256) return { ok: false, reason: `public area: name algorithm 0x${nameAlg.toString(16)} is not SHA-256` };
  if (type === TPM_ALG.ECC) {
    const symmetric = c.u16();
    if (symmetric === undefined) return { ok: false, reason: 'public area: truncated' };
    if (symmetric !== TPM_ALG.NULL && !(c.u16() !== undefined && c.u16() !== undefined)) return { ok: false, reason: 'public area: truncated' };
    const scheme = c.u16();
    if (scheme === undefined || (scheme !== TPM_ALG.NULL && c.u16() === undefined)) return { ok: false, reason: 'public area: truncated' };
    const curve = c.u16();
    const kdf = c.u16();
    if (curve === undefined || kdf === undefined || (kdf !== TPM_ALG.NULL && c.u16() === undefined)) return { ok: false, reason: 'public area: truncated' };
    if (curve !== TPM_ECC_NIST_P256) return { ok: false, reason: `public area: curve 0x${curve.toString(16)} is not P-256` };
    const x = c.sized(32);
    const y = c.sized(32);
    if (!x || !y || x.length !== 32 || y.length !== 32) return { ok: false, reason: 'public area: the P-256 point is truncated' };
    if (c.off !== area.length) return { ok: false, reason: 'public area: trailing bytes' };
    try {
      const key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') }, format: 'jwk' });
      return { ok: true, value: { type: 'ecc-p256', nameAlg, attributes, area: Buffer.from(area), key } };
    } catch {
      return { ok: false, reason: 'public area: the point is not on P-256' };
    }
  }
  if (type === TPM_ALG.RSA) {
    const symmetric = c.u16();
    if (symmetric === undefined || (symmetric !== TPM_ALG.NULL && (c.u16() === undefined || c.u16() === undefined))) return { ok: false, reason: 'public area: truncated' };
    const scheme = c.u16();
    if (scheme === undefined || (scheme !== TPM_ALG.NULL && c.u16() === undefined)) return { ok: false, reason: 'public area: truncated' };
    const bits = c.u16();
    const exponent = c.u32();
    const modulus = c.sized(512);
    if (bits === undefined || exponent === undefined || !modulus) return { ok: false, reason: 'public area: truncated' };
    if (bits < 2048 || modulus.length * 8 !== bits) return { ok: false, reason: `public area: RSA modulus of ${modulus.length * 8} bits (need 2048 or more, as declared)` };
    if (c.off !== area.length) return { ok: false, reason: 'public area: trailing bytes' };
    const e = exponent === 0 ? 65537 : exponent;
    const eBytes = Buffer.alloc(4);
    eBytes.writeUInt32BE(e);
    try {
      const key = createPublicKey({ key: { kty: 'RSA', n: modulus.toString('base64url'), e: eBytes.subarray(eBytes.findIndex((b) => b !== 0)).toString('base64url') }, format: 'jwk' });
      return { ok: true, value: { type: 'rsa', nameAlg, attributes, area: Buffer.from(area), key } };
    } catch {
      return { ok: false, reason: 'public area: not a usable RSA key' };
    }
  }
  return { ok: false, reason: `public area: key type 0x${type.toString(16)} is neither ECC nor RSA` };
}

/** A key's TPM Name: nameAlg (u16) ‖ SHA-256(TPMT_PUBLIC). */
export function tpmName(pub: TpmPublic): Buffer {
  const alg = Buffer.alloc(2);
  alg.writeUInt16BE(pub.nameAlg);
  return Buffer.concat([alg, createHash('sha256').update(pub.area).digest()]);
}

/** A TPMS_ATTEST produced by TPM2_Certify (`tpm2_certify -o`). */
export function readCertifyAttest(input: Buffer): Parsed<CertifyInfo> {
  if (!Buffer.isBuffer(input) || input.length < 10 || input.length > 1024) return { ok: false, reason: 'certify: wrong size' };
  const c = new Cursor(input);
  const magic = c.u32();
  const type = c.u16();
  if (magic !== TPM_GENERATED_VALUE) return { ok: false, reason: 'certify: not generated by a TPM (magic)' };
  if (type !== TPM_ST_ATTEST_CERTIFY) return { ok: false, reason: `certify: attestation type 0x${(type ?? 0).toString(16)} is not CERTIFY` };
  const qualifiedSigner = c.sized(68);
  const extraData = c.sized(64);
  const clock = c.bytes(8);
  const resetCount = c.u32();
  const restartCount = c.u32();
  const safe = c.bytes(1);
  const firmware = c.bytes(8);
  const name = c.sized(68);
  const qualifiedName = c.sized(68);
  if (!qualifiedSigner || !extraData || !clock || resetCount === undefined || restartCount === undefined || !safe || !firmware || !name || !qualifiedName) {
    return { ok: false, reason: 'certify: truncated' };
  }
  if (c.off !== input.length) return { ok: false, reason: 'certify: trailing bytes' };
  return { ok: true, value: { qualifiedSigner: Buffer.from(qualifiedSigner), extraData: Buffer.from(extraData), resetCount, restartCount, name: Buffer.from(name), qualifiedName: Buffer.from(qualifiedName) } };
}
