import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeviceRegistry, DeviceRegistryError, deviceIdOf } from './registry.ts';

const dir = mkdtempSync(join(tmpdir(), 'parley-devices-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const device = () => ({
  keyClass: 'hardware' as const, publicKeyPem: generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  ekCertSha256: 'a'.repeat(64), akName: '000b' + 'b'.repeat(64), manufacturerRoot: 'CN=root',
});

describe('device registry', () => {
  it('keeps devices across a restart, one record per key, and a revoked device has no posture key', () => {
    const f = join(dir, 'devices.json');
    const r = new DeviceRegistry(f);
    const d = device();
    const rec = r.enrolled(d, 'alice', new Date('2026-12-01T00:00:00Z'));
    expect(rec.deviceId).toBe(deviceIdOf(d.publicKeyPem));
    expect(r.enrolled(d, 'alice', new Date()).enrolledAt).toBe('2026-12-01T00:00:00.000Z');
    expect(r.postureKey(rec.deviceId)).toBeDefined();
    expect(r.revoke(rec.deviceId, 'stolen', 'it', new Date())).toBe(true);
    expect(r.revoke('f'.repeat(64), 'x', 'it', new Date())).toBe(false);
    const again = new DeviceRegistry(f);
    expect(again.get(rec.deviceId)?.revoked?.reason).toBe('stolen');
    expect(again.postureKey(rec.deviceId)).toBeUndefined();
    expect(JSON.parse(readFileSync(f, 'utf8')).version).toBe(1);
  });

  it('refuses a file that is not a device registry, naming it, and changes nothing', () => {
    for (const [i, text] of ['', '{', 'null', '[]', '{"version":2,"devices":[]}', JSON.stringify({ version: 1, devices: [{ deviceId: '../x' }] }), `{"version":1,"devices":[],"x":${'1'.repeat(1000)}}`].entries()) {
      const f = join(dir, `bad-${i}.json`);
      writeFileSync(f, text);
      expect(() => new DeviceRegistry(f)).toThrow(DeviceRegistryError);
      expect(() => new DeviceRegistry(f)).toThrow(f);
      expect(readFileSync(f, 'utf8')).toBe(text);
    }
  });
});
