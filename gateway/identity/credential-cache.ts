/**
 * A keyed verified-credential cache in front of scrypt: after a password verified the slow way, the gateway
 * remembers HMAC-SHA256(per-process random key, username ∥ password) for a while, bound to the password hash it
 * verified against, so the reconnect storm of remote users does not pay ~100 ms of scrypt per logon. A wrong
 * password is never remembered and always takes the slow path. Forgotten on password change (the stored hash
 * differs), lockout, user disable and admin session kill; the key never leaves the process.
 *
 * API
 *   new VerifiedCredentialCache({ ttlMs, maxEntries? (10 000), now? })
 *     matches(username, passwordHash, password) → boolean   constant-time compare; expired entries are dropped
 *     remember(username, passwordHash, password)             call only after a successful slow verification
 *     forget(username); clear(); size; hits; misses
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

type Entry = { mac: Buffer; passwordHash: string; expiresAt: number };

export class VerifiedCredentialCache {
  readonly #key = randomBytes(32);
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;
  hits = 0;
  misses = 0;

  constructor(o: { ttlMs: number; maxEntries?: number; now?: () => number }) {
    this.#ttlMs = o.ttlMs;
    this.#max = o.maxEntries ?? 10_000;
    this.#now = o.now ?? Date.now;
  }

  #mac(username: string, password: string): Buffer {
    // Length-prefixed, so no (username, password) pair can collide with another by moving the boundary.
    const u = Buffer.from(username, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(u.length);
    return createHmac('sha256', this.#key).update(len).update(u).update(password, 'utf8').digest();
  }

  matches(username: string, passwordHash: string, password: string): boolean {
    if (this.#ttlMs <= 0 || typeof password !== 'string' || password.length > 1024) { this.misses += 1; return false; }
    const e = this.#entries.get(username);
    if (!e) { this.misses += 1; return false; }
    if (this.#now() >= e.expiresAt || e.passwordHash !== passwordHash) {
      this.#entries.delete(username);
      this.misses += 1;
      return false;
    }
    const ok = timingSafeEqual(this.#mac(username, password), e.mac);
    if (ok) this.hits += 1; else this.misses += 1;
    return ok;
  }

  remember(username: string, passwordHash: string, password: string): void {
    if (this.#ttlMs <= 0) return;
    this.#entries.delete(username);
    this.#entries.set(username, { mac: this.#mac(username, password), passwordHash, expiresAt: this.#now() + this.#ttlMs });
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  forget(username: string): void {
    this.#entries.delete(username);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
