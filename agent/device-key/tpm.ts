/**
 * The Linux hardware backend: a P-256 signing key created inside a TPM 2.0, never exportable (fixedTPM,
 * fixedParent, sensitiveDataOrigin), driven through tpm2-tools.
 *
 * Why tpm2-tools and not a Node binding of tpm2-tss: there is no maintained one on the npm registry, a native
 * addon would have to be built for every Electron ABI, and tpm2-tools is what Debian, Fedora and Ubuntu ship and
 * what IT already uses to inspect a TPM. Each call is one short process; the device key is used once per TLS
 * session (posture) and at enrollment, so the ~10 ms a call costs does not matter.
 *
 * The key's private blob in `stateDir` is wrapped by the TPM's storage key: it is useless on any other TPM,
 * and after a TPM clear this becomes a new device (re-enrollment needed).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { derToRaw, type HardwareDeviceKey } from './device-key.ts';

/** The NV index of the RSA 2048 EK certificate (TCG EK Credential Profile, 2.2.1.4). */
const EK_CERT_NV_INDEX = '0x01c00002';
const DEVICE_KEY_ATTRIBUTES = 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign';

export type TpmOptions = {
  /** Where the wrapped key blobs and saved contexts live (0700). */
  stateDir: string;
  /** tpm2-tss TCTI, e.g. `device:/dev/tpmrm0` (default) or `swtpm:host=127.0.0.1,port=2321`. */
  tcti?: string;
  /** Intermediate CA certificates (DER) to send with the EK certificate. */
  ekIntermediates?: Buffer[];
};

export type EnrollmentEvidence = {
  ekCertificate: string;
  ekIntermediates: string[];
  attestationKey: string;
  deviceKey: string;
  certify: { attest: string; signature: string };
};

export class TpmDeviceKey implements HardwareDeviceKey {
  readonly keyClass = 'hardware' as const;
  readonly #o: Required<TpmOptions>;
  /** tpm2-tools calls run one at a time: without a resource manager each loads objects into the TPM's few slots. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(o: TpmOptions) {
    this.#o = { tcti: 'device:/dev/tpmrm0', ekIntermediates: [], ...o };
  }

  /** Opens the device key in `stateDir`, creating it in the TPM the first time. */
  static async open(o: TpmOptions): Promise<TpmDeviceKey> {
    mkdirSync(o.stateDir, { recursive: true, mode: 0o700 });
    const k = new TpmDeviceKey(o);
    await k.#serial(async () => {
      await k.#primary();
      if (!existsSync(k.#f('device.pub'))) {
        await k.#tool('tpm2_create', ['-C', k.#f('primary.ctx'), '-G', 'ecc256:ecdsa-sha256', '-u', k.#f('device.pub'), '-r', k.#f('device.priv'), '-a', DEVICE_KEY_ATTRIBUTES]);
      }
      await k.#tool('tpm2_load', ['-C', k.#f('primary.ctx'), '-u', k.#f('device.pub'), '-r', k.#f('device.priv'), '-c', k.#f('device.ctx')]);
    });
    return k;
  }

  /** The device key's public area (TPM2B_PUBLIC), as the gateway reads it. */
  devicePublicArea(): Buffer {
    return readFileSync(this.#f('device.pub'));
  }

  async publicKeyPem(): Promise<string> {
    await this.#serial(() => this.#tool('tpm2_readpublic', ['-c', this.#f('device.ctx'), '-f', 'pem', '-o', this.#f('device.pem')]));
    return readFileSync(this.#f('device.pem'), 'utf8');
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    return derToRaw(await this.signDer(data));
  }

  /** DER signature, as the enrollment answer carries it. */
  async signDer(data: Uint8Array): Promise<Buffer> {
    return this.#serial(async () => {
      writeFileSync(this.#f('message.bin'), data, { mode: 0o600 });
      await this.#tool('tpm2_sign', ['-c', this.#f('device.ctx'), '-g', 'sha256', '-s', 'ecdsa', '-f', 'plain', '-o', this.#f('signature.der'), this.#f('message.bin')]);
      return readFileSync(this.#f('signature.der'));
    });
  }

  /** Step 1 of enrollment: EK certificate, a fresh attestation key, and its certify of the device key. */
  async enrollmentEvidence(): Promise<EnrollmentEvidence> {
    return this.#serial(async () => {
      await this.#tool('tpm2_createek', ['-c', this.#f('ek.ctx'), '-G', 'rsa', '-u', this.#f('ek.pub')]);
      await this.#tool('tpm2_nvread', [EK_CERT_NV_INDEX, '-o', this.#f('ek.der')]);
      await this.#tool('tpm2_createak', ['-C', this.#f('ek.ctx'), '-c', this.#f('ak.ctx'), '-G', 'ecc', '-g', 'sha256', '-s', 'ecdsa', '-u', this.#f('ak.pub'), '-n', this.#f('ak.name')]);
      await this.#tool('tpm2_certify', ['-c', this.#f('device.ctx'), '-C', this.#f('ak.ctx'), '-g', 'sha256', '-o', this.#f('attest.bin'), '-s', this.#f('certify.der'), '-f', 'plain']);
      const b = (name: string) => readFileSync(this.#f(name)).toString('base64');
      return {
        ekCertificate: b('ek.der'), ekIntermediates: this.#o.ekIntermediates.map((d) => d.toString('base64')),
        attestationKey: b('ak.pub'), deviceKey: b('device.pub'), certify: { attest: b('attest.bin'), signature: b('certify.der') },
      };
    });
  }

  /** Step 2: unwraps the gateway's credential in the TPM (ActivateCredential under the EK's policy). */
  async activateCredential(credentialBlob: Buffer): Promise<Buffer> {
    return this.#serial(async () => {
      writeFileSync(this.#f('credential.blob'), credentialBlob, { mode: 0o600 });
      rmSync(this.#f('secret.bin'), { force: true });
      await this.#tool('tpm2_startauthsession', ['--policy-session', '-S', this.#f('ek-session.ctx')]);
      try {
        await this.#tool('tpm2_policysecret', ['-S', this.#f('ek-session.ctx'), '-c', 'e']);
        await this.#tool('tpm2_activatecredential', ['-c', this.#f('ak.ctx'), '-C', this.#f('ek.ctx'), '-i', this.#f('credential.blob'), '-o', this.#f('secret.bin'), '-P', `session:${this.#f('ek-session.ctx')}`]);
      } finally {
        await this.#tool('tpm2_flushcontext', [this.#f('ek-session.ctx')]).catch(() => undefined);
      }
      return readFileSync(this.#f('secret.bin'));
    });
  }

  #f(name: string): string {
    return join(this.#o.stateDir, name);
  }

  /** The owner hierarchy's ECC storage primary: the same template always gives the same key, so it is not stored. */
  async #primary(): Promise<void> {
    await this.#tool('tpm2_createprimary', ['-C', 'o', '-g', 'sha256', '-G', 'ecc256', '-c', this.#f('primary.ctx')]);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** One tpm2-tools call, then its transient objects flushed (the TPM has only a few slots). */
  async #tool(cmd: string, args: string[]): Promise<string> {
    const env = { ...process.env, TPM2TOOLS_TCTI: this.#o.tcti };
    const run = (c: string, a: string[]) => new Promise<string>((resolve, reject) => {
      execFile(c, a, { env, timeout: 60_000, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${c} failed: ${(stderr || err.message).trim().split('\n').slice(-2).join(' ')}`));
        else resolve(stdout);
      });
    });
    try {
      return await run(cmd, args);
    } finally {
      if (cmd !== 'tpm2_flushcontext') await run('tpm2_flushcontext', ['-t']).catch(() => undefined);
    }
  }
}
