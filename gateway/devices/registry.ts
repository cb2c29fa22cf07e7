/**
 * Enrolled devices whose key is bound to hardware (issue 13): the device key that signs their posture, where it
 * lives, and whether IT revoked it. A device is its key: the id is the SHA-256 of the key's SPKI, so a TPM that
 * was cleared (its keys gone) and enrolled again is a new device. Certificates point at their device by id
 * (IssuedCert.deviceId), renewals carry it on.
 *
 * One JSON file, rewritten atomically (write + rename) on each change; enrollments are rare.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { EnrolledDevice } from './tpm/enrollment.ts';

const DeviceRecord = z.strictObject({
  deviceId: z.string().regex(/^[0-9a-f]{64}$/),
  user: z.string().min(1).max(128),
  keyClass: z.literal('hardware'),
  publicKeyPem: z.string().max(4096),
  ekCertSha256: z.string().regex(/^[0-9a-f]{64}$/),
  akName: z.string().max(200),
  manufacturerRoot: z.string().max(1024),
  enrolledAt: z.iso.datetime(),
  revoked: z.strictObject({ at: z.iso.datetime(), reason: z.string().max(500), by: z.string().max(128) }).optional(),
});
export type DeviceRecord = z.infer<typeof DeviceRecord>;
const DeviceFile = z.strictObject({ version: z.literal(1), devices: z.array(DeviceRecord).max(1_000_000) });

export class DeviceRegistryError extends Error {
  override name = 'DeviceRegistryError';
}

export function deviceIdOf(publicKeyPem: string): string {
  return createHash('sha256').update(createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' })).digest('hex');
}

export class DeviceRegistry {
  readonly #file: string | null;
  #devices = new Map<string, DeviceRecord>();
  readonly #keys = new Map<string, KeyObject>();

  /** `file` null: in memory only (tests). A file that is not a device registry refuses to load, naming it. */
  constructor(file: string | null) {
    this.#file = file;
    if (file && existsSync(file)) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        throw new DeviceRegistryError(`${file}: not JSON (${(e as Error).message}); restore it from a backup`);
      }
      const r = DeviceFile.safeParse(parsed);
      if (!r.success) throw new DeviceRegistryError(`${file}: not a device registry (${r.error.issues[0]?.path.join('.')}: ${r.error.issues[0]?.message})`);
      for (const d of r.data.devices) this.#devices.set(d.deviceId, d);
    }
  }

  /** Records a device proved at enrollment; the same key enrolled again keeps its record (and its revocation). */
  enrolled(device: EnrolledDevice, user: string, at: Date): DeviceRecord {
    const deviceId = deviceIdOf(device.publicKeyPem);
    const known = this.#devices.get(deviceId);
    if (known) return known;
    const rec: DeviceRecord = { deviceId, user, keyClass: 'hardware', publicKeyPem: device.publicKeyPem, ekCertSha256: device.ekCertSha256, akName: device.akName, manufacturerRoot: device.manufacturerRoot, enrolledAt: at.toISOString() };
    this.#devices.set(deviceId, rec);
    this.#save();
    return rec;
  }

  get(deviceId: string): DeviceRecord | undefined {
    return this.#devices.get(deviceId);
  }

  list(): DeviceRecord[] {
    return [...this.#devices.values()];
  }

  /** The key that must sign this device's posture, unless the device is unknown or revoked. */
  postureKey(deviceId: string): KeyObject | undefined {
    const d = this.#devices.get(deviceId);
    if (!d || d.revoked) return undefined;
    let k = this.#keys.get(deviceId);
    if (!k) {
      k = createPublicKey(d.publicKeyPem);
      this.#keys.set(deviceId, k);
    }
    return k;
  }

  /** Marks the device revoked (its certificates are revoked by the caller); false when unknown. */
  revoke(deviceId: string, reason: string, by: string, at: Date): boolean {
    const d = this.#devices.get(deviceId);
    if (!d) return false;
    if (!d.revoked) {
      this.#devices.set(deviceId, { ...d, revoked: { at: at.toISOString(), reason, by } });
      this.#save();
    }
    return true;
  }

  #save(): void {
    if (!this.#file) return;
    mkdirSync(dirname(this.#file), { recursive: true, mode: 0o700 });
    const tmp = `${this.#file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, devices: [...this.#devices.values()] }, null, 1)}\n`, { mode: 0o600 });
    renameSync(tmp, this.#file);
  }
}
