/**
 * The device's identity: a P-256 private key that exists only in memory and in the OS keychain, and the
 * client certificate (plus chain) the gateway issued for it.
 *
 * The key's PEM never leaves this module except as the in-memory `key` option handed to tls.connect;
 * DeviceKey refuses to serialize or print itself so a stray log line or IPC payload cannot carry it.
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign as cryptoSign, X509Certificate, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import type { SecretStore } from './secret-store.ts';

const keyPems = new WeakMap<DeviceKey, string>();

export class DeviceKey {
  readonly #key: KeyObject;
  readonly publicKey: KeyObject;

  private constructor(key: KeyObject, pem: string) {
    this.#key = key;
    this.publicKey = createPublicKey(key);
    keyPems.set(this, pem);
  }

  static generate(): DeviceKey {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new DeviceKey(privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  }

  static fromPem(pem: string): DeviceKey {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
      throw new Error('the stored device key is not a P-256 key');
    }
    return new DeviceKey(key, pem);
  }

  /** ES256 as JWS wants it: SHA-256, signature as r||s (IEEE P1363). */
  sign(data: Uint8Array): Uint8Array {
    return new Uint8Array(cryptoSign('sha256', data, { key: this.#key, dsaEncoding: 'ieee-p1363' }));
  }

  /** A WebCrypto pair for @peculiar/x509's CSR builder; the private half is not extractable. */
  async cryptoKeyPair(): Promise<CryptoKeyPair> {
    const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;
    return {
      privateKey: this.#key.toCryptoKey(alg, false, ['sign']) as CryptoKey,
      publicKey: this.publicKey.toCryptoKey(alg, true, ['verify']) as CryptoKey,
    };
  }

  /** For tls.connect's `key` option only (it takes no KeyObject); kept in memory, never written. */
  tlsKey(): string {
    return keyPems.get(this)!;
  }

  matchesCertificate(certificatePem: string): boolean {
    try {
      return new X509Certificate(certificatePem).checkPrivateKey(this.#key);
    } catch {
      return false;
    }
  }

  toJSON(): string {
    return '[DeviceKey]';
  }
  toString(): string {
    return '[DeviceKey]';
  }
  [inspect.custom](): string {
    return '[DeviceKey]';
  }
}

export interface DeviceIdentity {
  key: DeviceKey;
  certificatePem: string;
  chainPem: string[];
}

export type EnrollmentStatus = 'none' | 'enrolled';

/** Splits a PEM bundle into its certificates. */
export function splitPemBundle(bundle: string): string[] {
  return bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/**
 * The device identity in the keychain, under service "Parley". `profile` keeps several identities apart
 * (one per gateway, and one per test run).
 */
export class DeviceKeychain {
  readonly #store: SecretStore;
  readonly profile: string;

  constructor(store: SecretStore, profile = 'default') {
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(profile)) throw new Error(`invalid keychain profile name: ${profile}`);
    this.#store = store;
    this.profile = profile;
  }

  #account(what: 'key' | 'pending-key' | 'certificate' | 'chain'): string {
    return `${this.profile}:${what}`;
  }

  /** A fresh key for a CSR, kept as 'pending' until its certificate arrives (the current identity stays usable). */
  async createPendingKey(): Promise<DeviceKey> {
    const key = DeviceKey.generate();
    await this.#store.set(this.#account('pending-key'), key.tlsKey());
    return key;
  }

  /** Installs the certificate issued for the pending key; the pending key becomes the device key. */
  async install(certificatePem: string, chainPem: string[]): Promise<DeviceIdentity> {
    const pending = await this.#store.get(this.#account('pending-key'));
    if (!pending) throw new Error('no pending key: the certificate does not answer a request from this device');
    const key = DeviceKey.fromPem(pending);
    if (!key.matchesCertificate(certificatePem)) {
      throw new Error('the issued certificate is not for this device key');
    }
    await this.#store.set(this.#account('certificate'), certificatePem);
    // keytar refuses empty secrets: an empty chain is no entry.
    if (chainPem.length) await this.#store.set(this.#account('chain'), chainPem.join('\n'));
    else await this.#store.delete(this.#account('chain'));
    await this.#store.set(this.#account('key'), pending);
    await this.#store.delete(this.#account('pending-key'));
    return { key, certificatePem, chainPem };
  }

  async load(): Promise<DeviceIdentity | null> {
    const [keyPem, certificatePem, chain] = await Promise.all([
      this.#store.get(this.#account('key')),
      this.#store.get(this.#account('certificate')),
      this.#store.get(this.#account('chain')),
    ]);
    if (!keyPem || !certificatePem) return null;
    const key = DeviceKey.fromPem(keyPem);
    if (!key.matchesCertificate(certificatePem)) return null;
    return { key, certificatePem, chainPem: splitPemBundle(chain ?? '') };
  }

  async clear(): Promise<void> {
    for (const a of ['key', 'pending-key', 'certificate', 'chain'] as const) await this.#store.delete(this.#account(a));
  }
}
