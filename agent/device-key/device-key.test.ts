import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SoftwareDeviceKey, derToRaw } from './device-key.ts';

describe('device key', () => {
  it('turns DER ECDSA signatures (short and 33-byte integers) into raw r ‖ s that verifies', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (let i = 0; i < 300; i++) {
      const data = Buffer.from(`m${i}`);
      const raw = derToRaw(sign('sha256', data, privateKey));
      expect(raw.length).toBe(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
    }
  });

  it('refuses what is not a DER P-256 signature, and never reads past it', () => {
    const good = sign('sha256', Buffer.from('x'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    for (let n = 0; n < good.length; n++) expect(() => derToRaw(good.subarray(0, n))).toThrow(/not a DER ECDSA P-256 signature/);
    expect(() => derToRaw(Buffer.concat([good, Buffer.from([0])]))).toThrow(/not a DER/);
    expect(() => derToRaw(Buffer.alloc(72, 0x30))).toThrow(/not a DER/);
    expect(() => derToRaw(Buffer.from([0x30, 0x06, 0x02, 0x21, 1, 0x02, 0x01, 1]))).toThrow(/not a DER/);
  });

  it('a software key says it is software and signs ES256', async () => {
    const k = SoftwareDeviceKey.generate();
    expect(k.keyClass).toBe('software');
    const sig = await k.sign(Buffer.from('posture'));
    expect(verify('sha256', Buffer.from('posture'), { key: createPublicKey(await k.publicKeyPem()), dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
    expect(() => new SoftwareDeviceKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)).toThrow(/P-256/);
  });
});
