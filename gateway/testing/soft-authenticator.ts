/**
 * Test helper: a software WebAuthn authenticator (a P-256 key in memory) that produces real attestation and
 * assertion responses — CBOR attestationObject with 'none' attestation, authenticatorData with the RP id hash,
 * flags and signature counter, clientDataJSON, and an ECDSA/SHA-256 signature over authenticatorData ||
 * SHA-256(clientDataJSON) — exactly what a browser hands back from navigator.credentials.
 *
 * API
 *   class SoftAuthenticator
 *     constructor(opts? { origin?; userVerified? })
 *     credentialId (base64url); counter
 *     register(options: { challenge; rp: { id? } }, rpId?): RegistrationResponseJSON
 *     authenticate(options: { challenge; rpId? }, overrides? { origin?; rpId?; counter?; type? }): AuthenticationResponseJSON
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

export class SoftAuthenticator {
  readonly origin: string;
  readonly userVerified: boolean;
  readonly credentialId: string;
  counter = 0;
  #rawId: Buffer;
  #privateKey: KeyObject;
  #publicKey: KeyObject;

  constructor(opts: { origin?: string; userVerified?: boolean } = {}) {
    this.origin = opts.origin ?? 'https://localhost';
    this.userVerified = opts.userVerified ?? true;
    this.#rawId = randomBytes(32);
    this.credentialId = this.#rawId.toString('base64url');
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = privateKey;
    this.#publicKey = publicKey;
  }

  #coseKey(): Uint8Array {
    const jwk = this.#publicKey.export({ format: 'jwk' });
    return isoCBOR.encode(new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]));
  }

  #authData(rpId: string, counter: number, attested: boolean): Buffer {
    const flags = 0x01 | (this.userVerified ? 0x04 : 0) | (attested ? 0x40 : 0);
    const head = Buffer.alloc(37);
    sha256(rpId).copy(head, 0);
    head[32] = flags;
    head.writeUInt32BE(counter >>> 0, 33);
    if (!attested) return head;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(this.#rawId.length);
    return Buffer.concat([head, Buffer.alloc(16) /* aaguid */, idLen, this.#rawId, this.#coseKey()]);
  }

  register(options: { challenge: string; rp: { id?: string } }, rpId = options.rp.id ?? 'localhost'): RegistrationResponseJSON {
    const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin: this.origin, crossOrigin: false }));
    const att = new Map<string, string | Uint8Array | Map<string, never>>();
    att.set('fmt', 'none');
    att.set('attStmt', new Map<string, never>());
    att.set('authData', this.#authData(rpId, this.counter, true));
    const attestationObject = isoCBOR.encode(att);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {},
      response: { clientDataJSON: clientDataJSON.toString('base64url'), attestationObject: Buffer.from(attestationObject).toString('base64url'), transports: ['usb'] },
    };
  }

  authenticate(options: { challenge: string; rpId?: string },
    over: { origin?: string; rpId?: string; counter?: number; type?: string } = {}): AuthenticationResponseJSON {
    this.counter = over.counter ?? this.counter + 1;
    const clientDataJSON = Buffer.from(JSON.stringify({ type: over.type ?? 'webauthn.get', challenge: options.challenge, origin: over.origin ?? this.origin, crossOrigin: false }));
    const authenticatorData = this.#authData(over.rpId ?? options.rpId ?? 'localhost', this.counter, false);
    const signature = sign('sha256', Buffer.concat([authenticatorData, sha256(clientDataJSON)]), this.#privateKey);
    return {
      id: this.credentialId, rawId: this.credentialId, type: 'public-key', clientExtensionResults: {},
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authenticatorData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
    };
  }
}
