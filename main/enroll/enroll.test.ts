import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceKeychain } from '../keychain/device-identity.ts';
import { KeytarStore, MemoryStore } from '../keychain/secret-store.ts';
import { startEnrollServer } from '../testing/enroll-server.ts';
import { selfSignedCa } from '../testing/certs.ts';
import { CertificateManager, describeCertificate } from './certificate-manager.ts';
import { EnrollError, renewalTime } from './client.ts';

const hasSession = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe.runIf(hasSession)('enrollment against the real gateway endpoint, key in the real keychain', () => {
  let gw: Awaited<ReturnType<typeof startEnrollServer>>;
  let kc: DeviceKeychain;
  let dataDir: string;
  let mgr: CertificateManager;

  beforeAll(async () => {
    gw = await startEnrollServer();
    kc = new DeviceKeychain(new KeytarStore(), `test-${randomUUID()}`);
    dataDir = mkdtempSync(path.join(tmpdir(), 'parley-data-'));
    mgr = new CertificateManager({ keychain: kc, dataDir, endpoint: () => ({ url: gw.url, ca: [gw.caPem] }) });
  });
  afterAll(async () => {
    mgr.stop();
    await kc.clear();
    await gw.close();
  });

  it('a fresh device needs enrollment', async () => {
    expect(await mgr.load()).toMatchObject({ state: 'enrollment-needed' });
  });

  it('enrolls with a one-time token; the keychain holds the only copy of the key', async () => {
    const token = gw.token('alice', 'ALICE');
    const info = await mgr.enroll(token);
    expect(info.compId).toBe('ALICE');
    expect(mgr.state.state).toBe('enrolled');

    const keyPem = mgr.identity!.key.tlsKey();
    const keyBody = keyPem.split('\n').slice(1, -2).join('');
    const files = filesUnder(dataDir);
    expect(files.map((f) => path.basename(f))).toContain('device.json');
    for (const f of files) {
      const text = readFileSync(f, 'latin1');
      expect(text, f).not.toContain('PRIVATE KEY');
      expect(text, f).not.toContain(keyBody.slice(0, 40));
    }
    // A fresh load from the keychain gets the same identity back.
    const again = new CertificateManager({ keychain: kc, dataDir, endpoint: () => null });
    expect(await again.load()).toMatchObject({ state: 'enrolled', info: { compId: 'ALICE' } });
    expect(again.identity!.key.publicKey.equals(mgr.identity!.key.publicKey)).toBe(true);
    again.stop();

    await expect(mgr.enroll(token)).rejects.toMatchObject({ code: 'token-refused' });
    expect(mgr.state.state).toBe('enrolled');
  });

  it('renews with a new key, authenticated by the current certificate', async () => {
    const before = describeCertificate(mgr.identity!.certificatePem);
    const oldKey = mgr.identity!.key.publicKey;
    const after = await mgr.renewNow();
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.compId).toBe('ALICE');
    expect(mgr.identity!.key.publicKey.equals(oldKey)).toBe(false);
    expect((await kc.load())!.certificatePem).toBe(mgr.identity!.certificatePem);
  });

  it('a revoked certificate leads to the enrollment-needed state', async () => {
    await gw.revoke(describeCertificate(mgr.identity!.certificatePem).serialNumber);
    const states: string[] = [];
    mgr.on('state', (s) => states.push(s.state));
    await expect(mgr.renewNow()).rejects.toMatchObject({ code: 'revoked' });
    expect(mgr.state).toMatchObject({ state: 'enrollment-needed', reason: expect.stringMatching(/revoked/) });
    expect(states).toEqual(['enrollment-needed']);
  });

  it('refuses an endpoint that the configured CA does not vouch for', async () => {
    const other = (await selfSignedCa('CN=Someone Else')).certPem;
    const m = new CertificateManager({ keychain: kc, dataDir, endpoint: () => ({ url: gw.url, ca: [other] }) });
    const err = await m.enroll(gw.token()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnrollError);
    expect(err).toMatchObject({ code: 'network' });
    m.stop();
  });
});

describe('automatic renewal', () => {
  it('renews on its own at two thirds of the lifetime, with a new key', async () => {
    // The gateway's certificates start a minute in the past; 0.002 h leaves a few seconds to the renewal point.
    const gw = await startEnrollServer({ certHours: 0.002 });
    const kc = new DeviceKeychain(new MemoryStore(), 'renewal');
    const mgr = new CertificateManager({ keychain: kc, dataDir: mkdtempSync(path.join(tmpdir(), 'parley-renew-')), endpoint: () => ({ url: gw.url, ca: [gw.caPem] }) });
    try {
      const first = await mgr.enroll(gw.token('alice', 'ALICE'));
      const firstKey = mgr.identity!.key.publicKey;
      const renewed = await new Promise<{ serialNumber: string }>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no renewal within 30 s')), 30_000);
        mgr.once('renewed', (info) => {
          clearTimeout(t);
          resolve(info);
        });
      });
      expect(renewed.serialNumber).not.toBe(first.serialNumber);
      expect(mgr.identity!.key.publicKey.equals(firstKey)).toBe(false);
      expect(mgr.state.state).toBe('enrolled');
    } finally {
      mgr.stop();
      await gw.close();
    }
  });
});

describe('renewal time', () => {
  it('is two thirds into the lifetime', async () => {
    const { certPem } = await selfSignedCa();
    const t = renewalTime(certPem);
    const life = t.notAfter.getTime() - t.notBefore.getTime();
    expect(t.renewAt.getTime() - t.notBefore.getTime()).toBeCloseTo((life * 2) / 3, -3);
  });
});
