// The desktop client's side of a hardware-bound enrollment (issue 13): the client's CertificateManager, the TLS
// key in the real OS keychain, the device key in a software TPM (swtpm), against the real gateway's endpoint.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TpmDeviceKey } from '../../agent/device-key/tpm.ts';
import { normSerial } from '../../gateway/enroll/registry.ts';
import { startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { CertificateManager } from '../../main/enroll/certificate-manager.ts';
import { EnrollError } from '../../main/enroll/client.ts';
import { DeviceKeychain } from '../../main/keychain/device-identity.ts';
import { KeytarStore } from '../../main/keychain/secret-store.ts';
import { SoftwareTpm, swtpmMissing } from './swtpm.ts';

const missing = swtpmMissing() ?? (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS ? 'needs a D-Bus session with gnome-keyring (npm test starts one)' : undefined);

describe.skipIf(missing !== undefined)(`the client enrolls with its TPM-held device key${missing ? ` (skipped: ${missing})` : ''}`, { timeout: 180_000 }, () => {
  let dir: string;
  let tpm: SoftwareTpm;
  let t: TestGateway;
  let strict: TestGateway;
  const keychains: DeviceKeychain[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-tpm-client-'));
    tpm = await SoftwareTpm.start(join(dir, 'tpm'));
    writeFileSync(join(dir, 'root.pem'), tpm.rootPem);
    [t, strict] = await Promise.all([
      startTestGateway({ devices: { tpmRoots: [join(dir, 'root.pem')] } }, { users: ['alice'] }),
      startTestGateway({ devices: { tpmRoots: [join(dir, 'root.pem')], requireHardwareKey: true } }, { users: ['alice'] }),
    ]);
  });
  afterAll(async () => {
    for (const kc of keychains) await kc.clear().catch(() => undefined);
    await Promise.all([t?.close(), strict?.close(), tpm?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const manager = (gw: TestGateway, hardwareKey?: TpmDeviceKey) => {
    const kc = new DeviceKeychain(new KeytarStore(), `test-${randomUUID()}`);
    keychains.push(kc);
    return new CertificateManager({ keychain: kc, dataDir: mkdtempSync(join(dir, 'data-')), endpoint: () => ({ url: `https://localhost:${gw.gw.enrollPort}`, ca: [gw.pki.caCertPem] }), ...(hardwareKey ? { hardwareKey } : {}) });
  };

  it('proves the TPM key to the gateway, which records the device and binds the certificate to it', async () => {
    const hardware = await TpmDeviceKey.open({ stateDir: join(dir, 'agent'), tcti: tpm.tcti, ekIntermediates: [Buffer.from(tpm.intermediatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64')] });
    const mgr = manager(t, hardware);
    const { token } = t.gw.tokens.issue({ user: 'alice', compId: t.users.alice!.compId, ttlMs: 600_000 });
    const info = await mgr.enroll(token);
    mgr.stop();
    const [device] = t.gw.devices.list();
    expect(device).toMatchObject({ user: 'alice', keyClass: 'hardware' });
    expect(t.gw.registry.issued(normSerial(info.serialNumber))?.deviceId).toBe(device!.deviceId);
  });

  it('where IT requires a hardware key, a client without one is told why and stays unenrolled', async () => {
    const mgr = manager(strict);
    const { token } = strict.gw.tokens.issue({ user: 'alice', compId: strict.users.alice!.compId, ttlMs: 600_000 });
    const err = await mgr.enroll(token).then(() => undefined, (e: unknown) => e);
    mgr.stop();
    expect(err).toBeInstanceOf(EnrollError);
    expect(err).toMatchObject({ code: 'device-not-attested', message: 'IT requires a hardware-bound device key (TPM) on this device; a software key cannot enroll' });
    expect(mgr.state.state).toBe('enrollment-needed');
  });
});
