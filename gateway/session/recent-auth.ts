/**
 * RFC 9470 max_age across connections: the second factor a user proved on a session, remembered per user and
 * certificate, so a client that lost its connection (a dynamic IP, a sleep) and logs on again within the max
 * age is not asked again. Network, geography and posture are still scored afresh on every logon; only the
 * authentication strength carries over. A Logout, an end the gateway decided, a lockout or a revocation forgets it.
 */
import type { StepUpMethod } from '../../fix/parley-protocol.ts';

export type RecalledAuth = { method: StepUpMethod; at: number };

const MAX_ENTRIES = 10_000;

export class RecentAuth {
  readonly #byKey = new Map<string, RecalledAuth>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  static #key(username: string, serial: string): string {
    return `${username}\u0000${serial}`;
  }

  remember(username: string, serial: string, auth: RecalledAuth): void {
    const k = RecentAuth.#key(username, serial);
    const prev = this.#byKey.get(k);
    // A security key outranks TOTP: a later TOTP answer does not weaken what is remembered.
    const keep = prev && prev.method === 'webauthn' && auth.method === 'totp' ? { method: prev.method, at: Math.max(prev.at, auth.at) } : auth;
    this.#byKey.delete(k);
    this.#byKey.set(k, keep);
    if (this.#byKey.size > MAX_ENTRIES) this.#byKey.delete(this.#byKey.keys().next().value!);
  }

  /** The remembered second factor if it is no older than maxAgeSec (0 remembers nothing). */
  recall(username: string, serial: string, maxAgeSec: number): RecalledAuth | undefined {
    const k = RecentAuth.#key(username, serial);
    const a = this.#byKey.get(k);
    if (!a) return undefined;
    const age = this.#now() - a.at;
    if (maxAgeSec <= 0 || age < 0 || age > maxAgeSec * 1000) {
      this.#byKey.delete(k);
      return undefined;
    }
    return a;
  }

  /** Forgets one certificate's entry, or every entry of the user. */
  forget(username: string, serial?: string): void {
    if (serial !== undefined) { this.#byKey.delete(RecentAuth.#key(username, serial)); return; }
    const prefix = `${username}\u0000`;
    for (const k of this.#byKey.keys()) if (k.startsWith(prefix)) this.#byKey.delete(k);
  }

  get size(): number { return this.#byKey.size; }
}
