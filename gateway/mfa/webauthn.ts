/**
 * WebAuthn security keys for step-up, via @simplewebauthn/server: registration and authentication, options and
 * verification. Responses come off the wire as untrusted JSON; their shape is checked before the library sees them.
 *
 * API
 *   interface WebAuthnConfig { rpID; rpName?; origin: string | string[]; requireUserVerification? (false); timeoutMs? }
 *   class WebAuthnService
 *     registrationOptions(user): Promise<PublicKeyCredentialCreationOptionsJSON>   — keep `.challenge` for verify
 *     verifyRegistration(user, response, expectedChallenge): Promise<{ ok: true; credential } | { ok: false; reason }>
 *       `credential` is a directory WebAuthnCredential; the caller adds it to user.webauthnCredentials and saves
 *     authenticationOptions(user): PublicKeyCredentialRequestOptionsJSON (synchronous; fresh random challenge)
 *     verifyAuthentication(user, response, expectedChallenge): Promise<{ ok: true; credentialId; newCounter } | { ok: false; reason }>
 *       on success the matching credential's counter in `user` is advanced (a cloned key shows up as a counter
 *       that does not increase); the caller persists the directory.
 */
import { randomBytes } from 'node:crypto';
import {
  generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse,
  type AuthenticationResponseJSON, type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { User, WebAuthnCredential } from '../identity/directory.ts';

export interface WebAuthnConfig {
  rpID: string;
  rpName?: string;
  origin: string | string[];
  requireUserVerification?: boolean;
  timeoutMs?: number;
}

const B64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const MAX_FIELD = 16 * 1024;

function b64urlField(o: Record<string, unknown>, k: string, required = true): boolean {
  const v = o[k];
  if (v === undefined) return !required;
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_FIELD && B64URL.test(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shapeAuthentication(r: unknown): AuthenticationResponseJSON | undefined {
  if (!isRecord(r) || !isRecord(r.response) || r.type !== 'public-key') return undefined;
  if (!b64urlField(r, 'id') || !b64urlField(r, 'rawId')) return undefined;
  const resp = r.response;
  if (!b64urlField(resp, 'clientDataJSON') || !b64urlField(resp, 'authenticatorData') || !b64urlField(resp, 'signature') || !b64urlField(resp, 'userHandle', false)) return undefined;
  return { id: r.id as string, rawId: r.rawId as string, type: 'public-key', clientExtensionResults: {},
    response: { clientDataJSON: resp.clientDataJSON as string, authenticatorData: resp.authenticatorData as string,
      signature: resp.signature as string, ...(resp.userHandle ? { userHandle: resp.userHandle as string } : {}) } };
}

function shapeRegistration(r: unknown): RegistrationResponseJSON | undefined {
  if (!isRecord(r) || !isRecord(r.response) || r.type !== 'public-key') return undefined;
  if (!b64urlField(r, 'id') || !b64urlField(r, 'rawId')) return undefined;
  const resp = r.response;
  if (!b64urlField(resp, 'clientDataJSON') || !b64urlField(resp, 'attestationObject')) return undefined;
  const transports = Array.isArray(resp.transports) ? resp.transports.filter((t): t is string => typeof t === 'string' && /^[a-z-]{1,32}$/.test(t)).slice(0, 8) : undefined;
  return { id: r.id as string, rawId: r.rawId as string, type: 'public-key', clientExtensionResults: {},
    response: { clientDataJSON: resp.clientDataJSON as string, attestationObject: resp.attestationObject as string, ...(transports ? { transports } : {}) } };
}

export class WebAuthnService {
  readonly cfg: Required<Omit<WebAuthnConfig, 'rpName'>> & { rpName: string };

  constructor(cfg: WebAuthnConfig) {
    this.cfg = { rpName: 'Parley', requireUserVerification: false, timeoutMs: 120_000, ...cfg };
  }

  async registrationOptions(user: User): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: this.cfg.rpName,
      rpID: this.cfg.rpID,
      userName: user.username,
      userID: new TextEncoder().encode(user.username),
      attestationType: 'none',
      timeout: this.cfg.timeoutMs,
      excludeCredentials: user.webauthnCredentials.map((c) => ({ id: c.id, ...(c.transports ? { transports: c.transports } : {}) })),
      authenticatorSelection: { residentKey: 'discouraged', userVerification: this.cfg.requireUserVerification ? 'required' : 'preferred' },
      supportedAlgorithmIDs: [-7, -8, -257],
    });
  }

  async verifyRegistration(user: User, response: unknown, expectedChallenge: string): Promise<{ ok: true; credential: WebAuthnCredential } | { ok: false; reason: string }> {
    const r = shapeRegistration(response);
    if (!r) return { ok: false, reason: 'malformed WebAuthn registration response' };
    if (user.webauthnCredentials.some((c) => c.id === r.id)) return { ok: false, reason: 'credential already registered' };
    try {
      const v = await verifyRegistrationResponse({
        response: r, expectedChallenge, expectedOrigin: this.cfg.origin, expectedRPID: this.cfg.rpID,
        requireUserVerification: this.cfg.requireUserVerification,
      });
      if (!v.verified) return { ok: false, reason: 'WebAuthn registration not verified' };
      const c = v.registrationInfo.credential;
      const credential: WebAuthnCredential = { id: c.id, publicKey: Buffer.from(c.publicKey).toString('base64url'), counter: c.counter };
      if (c.transports?.length) credential.transports = [...c.transports];
      return { ok: true, credential };
    } catch (e) {
      return { ok: false, reason: `WebAuthn registration refused: ${(e as Error).message}` };
    }
  }

  authenticationOptions(user: User): PublicKeyCredentialRequestOptionsJSON {
    return {
      challenge: randomBytes(32).toString('base64url'),
      rpId: this.cfg.rpID,
      timeout: this.cfg.timeoutMs,
      userVerification: this.cfg.requireUserVerification ? 'required' : 'preferred',
      allowCredentials: user.webauthnCredentials.map((c) => ({ id: c.id, type: 'public-key' as const, ...(c.transports ? { transports: c.transports as never } : {}) })),
    };
  }

  async verifyAuthentication(user: User, response: unknown, expectedChallenge: string): Promise<{ ok: true; credentialId: string; newCounter: number } | { ok: false; reason: string }> {
    const r = shapeAuthentication(response);
    if (!r) return { ok: false, reason: 'malformed WebAuthn response' };
    const stored = user.webauthnCredentials.find((c) => c.id === r.id);
    if (!stored) return { ok: false, reason: 'unknown security key for this user' };
    try {
      const v = await verifyAuthenticationResponse({
        response: r, expectedChallenge, expectedOrigin: this.cfg.origin, expectedRPID: this.cfg.rpID,
        credential: { id: stored.id, publicKey: new Uint8Array(Buffer.from(stored.publicKey, 'base64url')), counter: stored.counter },
        requireUserVerification: this.cfg.requireUserVerification,
      });
      if (!v.verified) return { ok: false, reason: 'WebAuthn signature not verified' };
      stored.counter = v.authenticationInfo.newCounter;
      // Shown by `users keys list`, so IT can tell a key in use from a forgotten one before removing it.
      stored.lastUsedAt = new Date().toISOString();
      return { ok: true, credentialId: stored.id, newCounter: stored.counter };
    } catch (e) {
      return { ok: false, reason: `WebAuthn assertion refused: ${(e as Error).message}` };
    }
  }
}
