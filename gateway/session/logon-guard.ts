/**
 * What stands between a flood of Logons and the password check: per-user lockout counted when an attempt
 * starts (not after the slow scrypt await, or parallel Logons each get a free guess), one Logon in flight per
 * user and per certificate, and token-bucket rate limits per source address and per certificate. All state is
 * per gateway (SessionManager owns one guard) and bounded.
 */
import { TokenBucket } from './rate-limit.ts';

/** Wrong passwords before the user is locked out (stepUp.lockoutSec). */
export const MAX_PASSWORD_FAILURES = 5;
const MAX_TRACKED = 10_000;

export type LogonLimits = {
  /** Logon attempts a minute from one source address (bursts up to the same number). */
  perSourcePerMinute: number;
  /** Logon attempts a minute with one client certificate. */
  perCertificatePerMinute: number;
};

export const DEFAULT_LOGON_LIMITS: LogonLimits = { perSourcePerMinute: 120, perCertificatePerMinute: 30 };

/** Per-user lockout after too many wrong passwords (wrong second factors are counted by the StepUpManager). */
export class Lockouts {
  readonly #until = new Map<string, number>();
  readonly #attempts = new Map<string, number>();

  lock(user: string, ms: number): void {
    this.#until.set(user, Date.now() + ms);
    if (this.#until.size > MAX_TRACKED) this.#until.delete(this.#until.keys().next().value!);
  }

  lockedFor(user: string): number {
    const u = this.#until.get(user);
    if (u === undefined) return 0;
    const left = u - Date.now();
    if (left <= 0) this.#until.delete(user);
    return Math.max(0, left);
  }

  /**
   * Counts an attempt as it starts, before its password is checked: returns the running count, this attempt
   * included. A success clears it; a failure leaves it counted. Bounded: the map forgets the oldest users.
   */
  attempt(user: string): number {
    const n = (this.#attempts.get(user) ?? 0) + 1;
    this.#attempts.delete(user);
    this.#attempts.set(user, n);
    if (this.#attempts.size > MAX_TRACKED) this.#attempts.delete(this.#attempts.keys().next().value!);
    return n;
  }

  clear(user: string): void {
    this.#attempts.delete(user);
  }

  /** An attempt whose password was never checked (the hashing pool was busy): it does not count. */
  uncount(user: string): void {
    const n = (this.#attempts.get(user) ?? 0) - 1;
    if (n > 0) this.#attempts.set(user, n);
    else this.#attempts.delete(user);
  }
}

/** Token buckets by key, the least recently used forgotten first. */
class BucketsByKey {
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #perMinute: number;

  constructor(perMinute: number) {
    this.#perMinute = perMinute;
  }

  take(key: string): boolean {
    let b = this.#buckets.get(key);
    if (b) this.#buckets.delete(key);
    else b = new TokenBucket(this.#perMinute / 60, this.#perMinute);
    this.#buckets.set(key, b);
    if (this.#buckets.size > MAX_TRACKED) this.#buckets.delete(this.#buckets.keys().next().value!);
    return b.take();
  }
}

export type Refusal = 'rate-limited-source' | 'rate-limited-certificate' | 'certificate-busy' | 'user-busy';

export class LogonGuard {
  readonly lockouts = new Lockouts();
  readonly #bySource: BucketsByKey;
  readonly #byCertificate: BucketsByKey;
  readonly #certificates = new Set<string>();
  readonly #users = new Set<string>();

  constructor(limits: LogonLimits = DEFAULT_LOGON_LIMITS) {
    this.#bySource = new BucketsByKey(limits.perSourcePerMinute);
    this.#byCertificate = new BucketsByKey(limits.perCertificatePerMinute);
  }

  /** Rate limits first, then one Logon in flight per certificate; undefined when the Logon may go on. */
  admit(source: string, certificate: string): Refusal | undefined {
    if (!this.#bySource.take(source)) return 'rate-limited-source';
    if (!this.#byCertificate.take(certificate)) return 'rate-limited-certificate';
    if (this.#certificates.has(certificate)) return 'certificate-busy';
    this.#certificates.add(certificate);
    return undefined;
  }

  /** One Logon in flight per user (after the certificate is admitted); false when another is being checked. */
  enterUser(username: string): boolean {
    if (this.#users.has(username)) return false;
    this.#users.add(username);
    return true;
  }

  /** The Logon is decided: its certificate (and user, if it got that far) may log on again. */
  leave(certificate: string, username?: string): void {
    this.#certificates.delete(certificate);
    if (username !== undefined) this.#users.delete(username);
  }

  get inFlight(): number { return this.#certificates.size; }
}
