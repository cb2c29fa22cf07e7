/**
 * TOTP (RFC 6238) verification with replay protection, via otpauth.
 *
 * API
 *   class TotpVerifier
 *     constructor(opts? { window = 1 (±1 step); period = 30; digits = 6; algorithm = 'SHA1' })
 *     verify(username, secretBase32, code, now = Date.now()): { ok: boolean; reason?: string }
 *       reasons: 'malformed code', 'no TOTP secret', 'wrong code', 'code already used'
 *   newTotpSecret(): string (base32, 160 bits); totpUri(username, secret, issuer = 'Parley'): string (otpauth://)
 *
 * Replay protection: per user, the highest time step ever accepted is remembered, and a code for that step or an
 * earlier one is refused (RFC 6238 §5.2) — so a code seen once (shoulder-surfed, logged, intercepted) is dead, and
 * so is any older one still inside the clock window. Memory is bounded: entries older than the window are dropped.
 */
import { Secret, TOTP } from 'otpauth';

export interface TotpOptions {
  window?: number;
  period?: number;
  digits?: number;
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
}

const MAX_TRACKED = 100_000;

export class TotpVerifier {
  readonly window: number;
  readonly period: number;
  readonly digits: number;
  readonly algorithm: string;
  /** username -> highest accepted counter */
  #lastStep = new Map<string, number>();

  constructor(opts: TotpOptions = {}) {
    this.window = Math.max(0, Math.min(opts.window ?? 1, 2));
    this.period = opts.period ?? 30;
    this.digits = opts.digits ?? 6;
    this.algorithm = opts.algorithm ?? 'SHA1';
  }

  verify(username: string, secretBase32: string | undefined, code: string, now: number = Date.now()): { ok: boolean; reason?: string } {
    if (typeof code !== 'string' || code.length !== this.digits || !/^\d+$/.test(code)) return { ok: false, reason: 'malformed code' };
    if (typeof secretBase32 !== 'string' || !secretBase32) return { ok: false, reason: 'no TOTP secret' };
    let totp: TOTP;
    try {
      totp = new TOTP({ secret: Secret.fromBase32(secretBase32), digits: this.digits, period: this.period, algorithm: this.algorithm });
    } catch {
      return { ok: false, reason: 'no TOTP secret' };
    }
    const delta = totp.validate({ token: code, timestamp: now, window: this.window });
    if (delta === null) return { ok: false, reason: 'wrong code' };
    const step = totp.counter({ timestamp: now }) + delta;
    const last = this.#lastStep.get(username);
    if (last !== undefined && step <= last) return { ok: false, reason: 'code already used' };
    this.#lastStep.delete(username); // re-insert so Map order stays oldest-first for pruning
    this.#lastStep.set(username, step);
    this.#prune(totp.counter({ timestamp: now }));
    return { ok: true };
  }

  #prune(currentStep: number): void {
    if (this.#lastStep.size <= MAX_TRACKED) return;
    for (const [u, s] of this.#lastStep) {
      // a step older than the window can never be accepted again anyway
      if (s < currentStep - this.window - 1 || this.#lastStep.size > MAX_TRACKED) this.#lastStep.delete(u);
      else break;
    }
  }
}

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(username: string, secretBase32: string, issuer = 'Parley'): string {
  return new TOTP({ issuer, label: username, secret: Secret.fromBase32(secretBase32), digits: 6, period: 30, algorithm: 'SHA1' }).toString();
}
