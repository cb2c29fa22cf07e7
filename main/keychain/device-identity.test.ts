import { randomUUID, verify } from 'node:crypto';
import { inspect } from 'node:util';
import { x509 } from '../enroll/x509.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceKeychain, DeviceKey } from './device-identity.ts';
import { KeytarStore } from './secret-store.ts';

async function certFor(key: DeviceKey): Promise<string> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=test-device',
    keys: await key.cryptoKeyPair(),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return cert.toString('pem');
}

// Real Secret Service (gnome-keyring in the test's D-Bus session): no mock keychain here.
const hasSession = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;
if (!hasSession) console.warn('keychain tests skipped: no D-Bus session (run them through scripts/with-keyring.sh)');

describe.runIf(hasSession)('DeviceKeychain on the real OS keychain', () => {
  const store = new KeytarStore();
  const chains: DeviceKeychain[] = [];
  const fresh = () => {
    const k = new DeviceKeychain(store, `test-${randomUUID()}`);
    chains.push(k);
    return k;
  };
  afterEach(async () => {
    for (const k of chains.splice(0)) await k.clear();
  });

  it('stores key, certificate and chain under service "Parley" and loads them back', async () => {
    const kc = fresh();
    expect(await kc.load()).toBeNull();
    const key = await kc.createPendingKey();
    const cert = await certFor(key);
    await kc.install(cert, [cert]);
    expect(await store.get(`${kc.profile}:pending-key`)).toBeNull();
    expect(await store.get(`${kc.profile}:key`)).toMatch(/BEGIN PRIVATE KEY/);

    const loaded = await kc.load();
    expect(loaded?.certificatePem).toBe(cert);
    expect(loaded?.chainPem).toHaveLength(1);
    const data = new TextEncoder().encode('bind me to this channel');
    const sig = loaded!.key.sign(data);
    expect(sig).toHaveLength(64);
    expect(verify('sha256', data, { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true);
  });

  it('refuses a certificate issued for another key and keeps the current identity', async () => {
    const kc = fresh();
    const key = await kc.createPendingKey();
    await kc.install(await certFor(key), []);
    await kc.createPendingKey();
    await expect(kc.install(await certFor(DeviceKey.generate()), [])).rejects.toThrow(/not for this device key/);
    expect((await kc.load())?.key.publicKey.equals(key.publicKey)).toBe(true);
  });

  it('keeps profiles apart and clears everything', async () => {
    const a = fresh();
    const b = fresh();
    const ka = await a.createPendingKey();
    await a.install(await certFor(ka), []);
    expect(await b.load()).toBeNull();
    await a.clear();
    expect(await a.load()).toBeNull();
  });
});

describe('DeviceKey', () => {
  it('never prints or serializes its private key', () => {
    const key = DeviceKey.generate();
    const pem = key.tlsKey();
    for (const shown of [JSON.stringify({ key }), String(key), inspect(key), inspect({ nested: { key } }, { depth: 5 })]) {
      expect(shown).not.toContain('PRIVATE');
      expect(shown).not.toContain(pem.slice(40, 80));
    }
  });
  it('refuses a non-P-256 key', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() => DeviceKey.fromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string)).toThrow(/P-256/);
  });
});
