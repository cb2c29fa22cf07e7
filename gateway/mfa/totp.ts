/**
 * TOTP (RFC 6238) verification with replay protection, via otpauth.
 *
 * API
 *   class TotpVerifier
 *     constructor(opts? { window = 1 (±1 step); period = 30; digits = 6; algorithm = 'SHA1' })
 *     constructor(opts? { …; stateFile? — where the used steps survive a restart (JSON, written atomically, 0600) })
 *     verify(username, secretBase32, code, now = Date.now()): { ok: boolean; reason?: string; replayed?: boolean }
 *       reasons: 'malformed code', 'no TOTP secret', 'wrong code'. A code already used reads 'wrong code' too (with
 *       replayed: true for the audit): telling the user it was used would tell an attacker it was right.
 *   newTotpSecret(): string (base32, 160 bits); totpUri(username, secret, issuer = 'Parley'): string (otpauth://)
 *
 * Replay protection: per user, the highest time step ever accepted is remembered, and a code for that step or an
 * earlier one is refused (RFC 6238 §5.2) — so a code seen once (shoulder-surfed, logged, intercepted) is dead, and
 * so is any older one still inside the clock window. Memory is bounded: entries older than the window are dropped.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Secret, TOTP } from 'otpauth';

export interface TotpOptions {
  window?: number;
  period?: number;
  digits?: number;
  algorithm?: 'SHA1' | 'SHA256' | 'SHA512';
  /** Persist the used steps here, so a code used before a restart is still refused after it. */
  stateFile?: string;
}

const MAX_STATE_BYTES = 16 * 1024 * 1024;

/** The saved steps, or an error naming the file: a state that cannot be read must not silently forget replays. */
function loadSteps(file: string): Map<string, number> {
  const steps = new Map<string, number>();
  if (!existsSync(file)) return steps;
  const text = readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    if (text.length > MAX_STATE_BYTES) throw new Error(`larger than ${MAX_STATE_BYTES} bytes`);
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: TOTP replay state unreadable (${(e as Error).message}); remove it only if no code of the last minutes can be replayed`);
  }
  const raw = (parsed as { steps?: unknown })?.steps;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: TOTP replay state must be { "steps": { user: step } }`);
  for (const [u, s] of Object.entries(raw)) {
    if (typeof s !== 'number' || !Number.isSafeInteger(s) || s < 0 || u.length > 64) throw new Error(`${file}: TOTP replay state: bad entry for ${JSON.stringify(u.slice(0, 64))}`);
    steps.set(u, s);
  }
  return steps;
}

const MAX_TRACKED = 100_000;

export class TotpVerifier {
  readonly window: number;
  readonly period: number;
  readonly digits: number;
  readonly algorithm: string;
  /** username -> highest accepted counter */
  #lastStep = new Map<string, number>();
  readonly #stateFile: string | undefined;

  constructor(opts: TotpOptions = {}) {
    this.window = Math.max(0, Math.min(opts.window ?? 1, 2));
    this.period = opts.period ?? 30;
    this.digits = opts.digits ?? 6;
    this.algorithm = opts.algorithm ?? 'SHA1';
    this.#stateFile = opts.stateFile;
    if (opts.stateFile) this.#lastStep = loadSteps(opts.stateFile);
  }

  verify(username: string, secretBase32: string | undefined, code: string, now: number = Date.now()): { ok: boolean; reason?: string; replayed?: boolean } {
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
    if (last !== undefined && step <= last) return { ok: false, reason: 'wrong code', replayed: true };
    this.#lastStep.delete(username); // re-insert so Map order stays oldest-first for pruning
    this.#lastStep.set(username, step);
    this.#prune(totp.counter({ timestamp: now }));
    this.#save(totp.counter({ timestamp: now }));
    return { ok: true };
  }

  /**
   * Written before the code is accepted (synchronously, atomically): a crash right after cannot forget it. Steps
   * older than the window are left out, they can never be accepted again anyway.
   */
  #save(currentStep: number): void {
    if (!this.#stateFile) return;
    const steps: Record<string, number> = {};
    for (const [u, s] of this.#lastStep) if (s >= currentStep - this.window - 1) steps[u] = s;
    const tmp = `${this.#stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ steps }), { mode: 0o600 });
    renameSync(tmp, this.#stateFile);
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
