/**
 * Security-key registration, one pending ceremony per session: BEGIN hands out WebAuthn creation options and
 * keeps their challenge; FINISH verifies the attestation against it (once: the pending entry is taken before
 * verifying, so a replayed or second response finds nothing), stores the credential in the user directory and
 * persists it. Whether the session may register at all (an active session with a fresh second factor) is the
 * session's decision (session/key-registration.ts), not this module's.
 *
 * API
 *   class KeyRegistrations
 *     constructor({ webauthn: WebAuthnService; getUser(username); save(): Promise<void>; ttlMs? (120 s);
 *       maxCredentials? (16); now? })
 *     begin(sessionId, requestId, username): Promise<{ ok: true; options (JSON text) } | { ok: false; reason }>
 *     finish(sessionId, requestId, responseJson): Promise<{ ok: true; credentialId } | { ok: false; reason }>
 *     cancelSession(sessionId); pending (count)
 */
import type { User } from '../identity/directory.ts';
import type { WebAuthnService } from './webauthn.ts';

export interface KeyRegistrationOptions {
  webauthn: WebAuthnService;
  getUser: (username: string) => User | undefined;
  /** Persists the directory after a credential was added. */
  save: () => Promise<void>;
  ttlMs?: number;
  maxCredentials?: number;
  now?: () => number;
}

type Pending = { requestId: string; username: string; challenge: string; expiresAt: number };
export type RegistrationOutcome<T> = ({ ok: true } & T) | { ok: false; reason: string };

/** The attestation response is a few hundred bytes to a few KB; anything far larger is hostile. */
export const MAX_REGISTRATION_RESPONSE = 32 * 1024;
const MAX_PENDING = 10_000;

export class KeyRegistrations {
  readonly #o: Required<Pick<KeyRegistrationOptions, 'ttlMs' | 'maxCredentials' | 'now'>> & KeyRegistrationOptions;
  readonly #bySession = new Map<string, Pending>();

  constructor(o: KeyRegistrationOptions) {
    this.#o = { ttlMs: 120_000, maxCredentials: 16, now: Date.now, ...o };
  }

  get pending(): number { return this.#bySession.size; }

  cancelSession(sessionId: string): void { this.#bySession.delete(sessionId); }

  async begin(sessionId: string, requestId: string, username: string): Promise<RegistrationOutcome<{ options: string }>> {
    const user = this.#o.getUser(username);
    if (!user || user.disabled) return { ok: false, reason: 'user no longer exists or is disabled' };
    if (user.webauthnCredentials.length >= this.#o.maxCredentials) {
      return { ok: false, reason: `already ${user.webauthnCredentials.length} security keys registered (the limit); ask IT to remove one` };
    }
    if (!this.#bySession.has(sessionId) && this.#bySession.size >= MAX_PENDING) this.#sweep();
    if (!this.#bySession.has(sessionId) && this.#bySession.size >= MAX_PENDING) return { ok: false, reason: 'too many registrations pending; try again shortly' };
    const options = await this.#o.webauthn.registrationOptions(user);
    // A new BEGIN replaces the session's earlier ceremony: only the latest options' challenge verifies.
    this.#bySession.set(sessionId, { requestId, username, challenge: options.challenge, expiresAt: this.#o.now() + this.#o.ttlMs });
    return { ok: true, options: JSON.stringify(options) };
  }

  async finish(sessionId: string, requestId: string, responseJson: string): Promise<RegistrationOutcome<{ credentialId: string }>> {
    const p = this.#bySession.get(sessionId);
    if (!p || p.requestId !== requestId) return { ok: false, reason: 'no security-key registration pending for this request on this session; start again' };
    this.#bySession.delete(sessionId);
    if (this.#o.now() >= p.expiresAt) return { ok: false, reason: 'the registration expired; start again' };
    if (typeof responseJson !== 'string' || responseJson.length > MAX_REGISTRATION_RESPONSE) return { ok: false, reason: 'registration response too large' };
    let response: unknown;
    try { response = JSON.parse(responseJson); } catch { return { ok: false, reason: 'registration response is not JSON' }; }
    const user = this.#o.getUser(p.username);
    if (!user || user.disabled) return { ok: false, reason: 'user no longer exists or is disabled' };
    const v = await this.#o.webauthn.verifyRegistration(user, response, p.challenge);
    if (!v.ok) return { ok: false, reason: v.reason };
    // The directory may have changed while verifying (IT removed a key, reloaded the file): add to what is current.
    const current = this.#o.getUser(p.username);
    if (!current || current.disabled) return { ok: false, reason: 'user no longer exists or is disabled' };
    if (current.webauthnCredentials.some((c) => c.id === v.credential.id)) return { ok: false, reason: 'credential already registered' };
    if (current.webauthnCredentials.length >= this.#o.maxCredentials) return { ok: false, reason: 'security key limit reached' };
    // The registration time is what IT sees in `users keys list` when deciding which key to remove.
    const credential = { ...v.credential, createdAt: new Date(this.#o.now()).toISOString() };
    current.webauthnCredentials.push(credential);
    try {
      await this.#o.save();
    } catch (e) {
      // Not persisted means not registered: the key would vanish on restart and the user would not know.
      current.webauthnCredentials = current.webauthnCredentials.filter((c) => c !== credential);
      return { ok: false, reason: `the key could not be saved: ${(e as Error).message}` };
    }
    return { ok: true, credentialId: credential.id };
  }

  #sweep(): void {
    const now = this.#o.now();
    for (const [s, p] of this.#bySession) if (p.expiresAt <= now) this.#bySession.delete(s);
  }
}
