/**
 * TPM2_MakeCredential done by the gateway, in plain Node (TPM 2.0 Library, Part 1, 24 "Credential Protection").
 * The gateway wraps a fresh secret to the endorsement key from the TPM's EK certificate and to the attestation
 * key's Name; only the TPM that holds that EK *and* has a key of that Name loaded can get the secret back
 * (TPM2_ActivateCredential). So a returned secret proves the attestation key lives in the TPM the manufacturer
 * certified, now (the secret is fresh each time).
 *
 * The output is the credential blob file tpm2-tools reads (`tpm2_activatecredential -i`): magic 0xBADCC0DE,
 * version 1, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET. Assumes the standard EK template (RSA 2048, SHA-256 name,
 * AES-128-CFB), which is what EK certificates are issued for.
 */
import { constants, createCipheriv, createHmac, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';

const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };
const sized = (b: Buffer): Buffer => Buffer.concat([u16(b.length), b]);

/** KDFa with HMAC-SHA256 in counter mode (Part 1, 11.4.10.2). */
export function kdfa(key: Buffer, label: string, contextU: Buffer, contextV: Buffer, bits: number): Buffer {
  const out: Buffer[] = [];
  let have = 0;
  for (let i = 1; have * 8 < bits; i++) {
    const block = createHmac('sha256', key).update(Buffer.concat([u32(i), Buffer.from(`${label}\0`, 'latin1'), contextU, contextV, u32(bits)])).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, bits / 8);
}

/**
 * Wraps `secret` (≤ 32 bytes) for the EK `ekPublic` (RSA, from the EK certificate) and the key named `objectName`.
 * `seed` is for tests only (default: 32 fresh random bytes).
 */
export function makeCredential(ekPublic: KeyObject, objectName: Buffer, secret: Buffer, seed: Buffer = randomBytes(32)): Buffer {
  if (ekPublic.asymmetricKeyType !== 'rsa') throw new Error('makeCredential: the EK must be an RSA key');
  if (secret.length === 0 || secret.length > 32) throw new Error('makeCredential: the secret must be 1 to 32 bytes');
  const encryptedSeed = publicEncrypt({ key: ekPublic, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('IDENTITY\0', 'latin1') }, seed);
  const symKey = kdfa(seed, 'STORAGE', objectName, Buffer.alloc(0), 128);
  const cipher = createCipheriv('aes-128-cfb', symKey, Buffer.alloc(16));
  const encIdentity = Buffer.concat([cipher.update(sized(secret)), cipher.final()]);
  const hmacKey = kdfa(seed, 'INTEGRITY', Buffer.alloc(0), Buffer.alloc(0), 256);
  const outerHmac = createHmac('sha256', hmacKey).update(Buffer.concat([encIdentity, objectName])).digest();
  const idObject = sized(Buffer.concat([sized(outerHmac), encIdentity]));
  return Buffer.concat([u32(0xbadcc0de), u32(1), idObject, sized(encryptedSeed)]);
}
