/**
 * Step-up challenges with RFC 9470 semantics: a challenge names the required assurance level (acr) and, for
 * per-action step-up, the max age of the authentication; it is bound to the session it was issued on, expires,
 * and wrong answers count against the user (lockout after N, logged and alerted).
 *
 * API
 *   interface StepUpChallenge { id; sessionId; username; methods ('totp'|'webauthn')[]; reason; requiredAcr 'phr'|'phrh'|'mfa';
 *     maxAgeSec?; expiresAt; attemptsLeft; webauthnOptions? }
 *   class StepUpManager
 *     constructor({ totp: TotpVerifier; webauthn?: WebAuthnService; getUser(username) => User|undefined; ttlMs? (120 s);
 *       maxAttempts? (5); lockoutMs? (15 min); audit?: AuditLog; alerts?: AlertSink; now?: () => number;
 *       onCredentialUsed?(user) — called after a WebAuthn counter moved, to persist the directory })
 *     issue({ sessionId, user, reason, requiredAcr?, maxAgeSec?, methods? }): StepUpChallenge
 *       methods: what the acr allows ('mfa': TOTP and WebAuthn; 'phr'/'phrh': WebAuthn only) and the user has
 *       enrolled, intersected with `methods` if given; throws StepUpError if nothing is left or the user is locked out.
 *       A new challenge on a session replaces the previous one.
 *     answer(sessionId, challengeId, { method: 'totp'; code } | { method: 'webauthn'; response }):
 *       Promise<{ ok: true; method; at; acr } | { ok: false; reason; attemptsLeft; lockedOut }>
 *       refuses: unknown challenge, another session's challenge (not counted against the owner, but logged),
 *       expired, method not offered, locked-out user; a wrong code costs an attempt. A challenge is single-use.
 *     isLockedOut(username): boolean; unlock(username); cancelSession(sessionId); pending (count)
 *   satisfiesAcr(method, at, requiredAcr, maxAgeSec?, now?): boolean — does an earlier verification still count?
 */
import { randomBytes } from 'node:crypto';
import type { AlertSink, AuditLog } from '../audit/log.ts';
import type { User } from '../identity/directory.ts';
import type { RiskFactor } from '../risk/score.ts';
import type { TotpVerifier } from './totp.ts';
import type { WebAuthnService } from './webauthn.ts';

export type StepUpMethod = 'totp' | 'webauthn';
export type Acr = 'phr' | 'phrh' | 'mfa';

export interface StepUpChallenge {
  id: string;
  sessionId: string;
  username: string;
  methods: StepUpMethod[];
  reason: RiskFactor[] | string[];
  requiredAcr: Acr;
  maxAgeSec?: number;
  expiresAt: number;
  attemptsLeft: number;
  webauthnOptions?: unknown;
}

export type StepUpAnswer = { method: 'totp'; code: string } | { method: 'webauthn'; response: unknown };
export type StepUpResult =
  | { ok: true; method: StepUpMethod; at: number; acr: Acr }
  | { ok: false; reason: string; attemptsLeft: number; lockedOut: boolean; /** a used TOTP code (audit only) */ replayed?: true };

export class StepUpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepUpError';
  }
}

export interface StepUpOptions {
  totp: TotpVerifier;
  webauthn?: WebAuthnService;
  getUser: (username: string) => User | undefined;
  ttlMs?: number;
  maxAttempts?: number;
  lockoutMs?: number;
  audit?: AuditLog;
  alerts?: AlertSink;
  now?: () => number;
  onCredentialUsed?: (user: User) => void | Promise<void>;
}

/** WebAuthn is phishing-resistant (and hardware-bound for a security key); TOTP only satisfies plain 'mfa'. */
const METHODS_FOR: Record<Acr, StepUpMethod[]> = { mfa: ['totp', 'webauthn'], phr: ['webauthn'], phrh: ['webauthn'] };
const MAX_PENDING = 10_000;

export function satisfiesAcr(method: StepUpMethod, at: number, requiredAcr: Acr, maxAgeSec?: number, now: number = Date.now()): boolean {
  if (!METHODS_FOR[requiredAcr].includes(method)) return false;
  return maxAgeSec === undefined || now - at <= maxAgeSec * 1000;
}

interface Pending { challenge: StepUpChallenge; webauthnChallenge?: string; answering: boolean }

export class StepUpManager {
  readonly #o: Required<Pick<StepUpOptions, 'ttlMs' | 'maxAttempts' | 'lockoutMs'>> & StepUpOptions;
  #byId = new Map<string, Pending>();
  #bySession = new Map<string, string>();
  #failures = new Map<string, number>();
  #lockedUntil = new Map<string, number>();

  constructor(opts: StepUpOptions) {
    this.#o = { ttlMs: 120_000, maxAttempts: 5, lockoutMs: 15 * 60_000, ...opts };
  }

  #now(): number {
    return this.#o.now ? this.#o.now() : Date.now();
  }

  #log(type: string, data: object): void {
    // Audit failures must not break authentication flow; the audit layer surfaces its own errors.
    this.#o.audit?.append(type, data).catch(() => undefined);
  }

  get pending(): number {
    return this.#byId.size;
  }

  isLockedOut(username: string): boolean {
    const until = this.#lockedUntil.get(username);
    if (until === undefined) return false;
    if (this.#now() >= until) {
      this.#lockedUntil.delete(username);
      this.#failures.delete(username);
      return false;
    }
    return true;
  }

  unlock(username: string): void {
    this.#lockedUntil.delete(username);
    this.#failures.delete(username);
    this.#log('mfa.unlock', { username });
  }

  cancelSession(sessionId: string): void {
    const id = this.#bySession.get(sessionId);
    if (id) this.#byId.delete(id);
    this.#bySession.delete(sessionId);
  }

  #attemptsLeft(username: string): number {
    return Math.max(0, this.#o.maxAttempts - (this.#failures.get(username) ?? 0));
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, p] of this.#byId) {
      if (p.challenge.expiresAt <= now) {
        this.#byId.delete(id);
        if (this.#bySession.get(p.challenge.sessionId) === id) this.#bySession.delete(p.challenge.sessionId);
      }
    }
  }

  issue(args: { sessionId: string; user: User; reason: RiskFactor[] | string[]; requiredAcr?: Acr; maxAgeSec?: number; methods?: StepUpMethod[] }): StepUpChallenge {
    const { sessionId, user } = args;
    if (typeof sessionId !== 'string' || !sessionId) throw new StepUpError('a step-up needs a session id');
    if (this.isLockedOut(user.username)) throw new StepUpError(`${user.username} is locked out after too many wrong answers`);
    const acr = args.requiredAcr ?? 'mfa';
    const enrolled: StepUpMethod[] = [];
    if (user.totpSecret) enrolled.push('totp');
    if (user.webauthnCredentials.length && this.#o.webauthn) enrolled.push('webauthn');
    const methods = METHODS_FOR[acr].filter((m) => enrolled.includes(m) && (!args.methods || args.methods.includes(m)));
    if (methods.length === 0) throw new StepUpError(`${user.username} has no enrolled method that satisfies acr "${acr}"`);

    this.cancelSession(sessionId);
    if (this.#byId.size >= MAX_PENDING) this.#sweep();
    if (this.#byId.size >= MAX_PENDING) throw new StepUpError('too many step-up challenges pending');

    const challenge: StepUpChallenge = {
      id: randomBytes(16).toString('base64url'),
      sessionId,
      username: user.username,
      methods,
      reason: args.reason,
      requiredAcr: acr,
      expiresAt: this.#now() + this.#o.ttlMs,
      attemptsLeft: this.#attemptsLeft(user.username),
    };
    if (args.maxAgeSec !== undefined) challenge.maxAgeSec = args.maxAgeSec;
    const p: Pending = { challenge, answering: false };
    if (methods.includes('webauthn') && this.#o.webauthn) {
      const opts = this.#o.webauthn.authenticationOptions(user);
      challenge.webauthnOptions = opts;
      p.webauthnChallenge = opts.challenge;
    }
    this.#byId.set(challenge.id, p);
    this.#bySession.set(sessionId, challenge.id);
    this.#log('mfa.challenge', { username: user.username, sessionId, challengeId: challenge.id, methods, acr, maxAgeSec: args.maxAgeSec, reason: args.reason });
    return challenge;
  }

  async answer(sessionId: string, challengeId: string, answer: StepUpAnswer): Promise<StepUpResult> {
    const p = typeof challengeId === 'string' ? this.#byId.get(challengeId) : undefined;
    if (!p) return { ok: false, reason: 'unknown or already answered challenge', attemptsLeft: 0, lockedOut: false };
    const c = p.challenge;
    const refuse = (reason: string, lockedOut = false): StepUpResult => ({ ok: false, reason, attemptsLeft: this.#attemptsLeft(c.username), lockedOut });
    if (c.sessionId !== sessionId) {
      // Not charged to the owner: otherwise anyone who learned a challenge id could lock the user out.
      this.#log('mfa.wrong-session', { username: c.username, challengeId, challengeSession: c.sessionId, answeringSession: String(sessionId).slice(0, 128) });
      return refuse('challenge belongs to another session');
    }
    if (this.#now() >= c.expiresAt) {
      this.#drop(c);
      this.#log('mfa.expired', { username: c.username, sessionId, challengeId });
      return refuse('challenge expired');
    }
    if (this.isLockedOut(c.username)) {
      this.#drop(c);
      return refuse('locked out after too many wrong answers', true);
    }
    const method = (answer as { method?: unknown })?.method;
    if (method !== 'totp' && method !== 'webauthn') return refuse('unknown answer method');
    if (!c.methods.includes(method)) return refuse(`method ${method} was not offered for this challenge`);
    if (p.answering) return refuse('an answer to this challenge is already being checked');
    const user = this.#o.getUser(c.username);
    if (!user || user.disabled) {
      this.#drop(c);
      return refuse('user no longer exists or is disabled');
    }

    p.answering = true;
    let ok = false;
    let why = 'wrong answer';
    /** A used TOTP code: answered as a wrong one, named as a replay in the audit only. */
    let replayed: true | undefined;
    try {
      if (method === 'totp') {
        const r = this.#o.totp.verify(user.username, user.totpSecret, (answer as { code: unknown }).code as string, this.#now());
        ok = r.ok;
        why = r.reason ?? why;
        if (r.replayed) replayed = true;
      } else if (this.#o.webauthn && p.webauthnChallenge) {
        const r = await this.#o.webauthn.verifyAuthentication(user, (answer as { response: unknown }).response, p.webauthnChallenge);
        ok = r.ok;
        if (r.ok) await this.#o.onCredentialUsed?.(user);
        else why = r.reason;
      }
    } finally {
      p.answering = false;
    }

    if (ok) {
      this.#drop(c);
      this.#failures.delete(c.username);
      const at = this.#now();
      this.#log('mfa.success', { username: c.username, sessionId, challengeId, method, acr: c.requiredAcr });
      return { ok: true, method, at, acr: c.requiredAcr };
    }

    const failures = (this.#failures.get(c.username) ?? 0) + 1;
    this.#failures.set(c.username, failures);
    c.attemptsLeft = this.#attemptsLeft(c.username);
    this.#log('mfa.failure', { username: c.username, sessionId, challengeId, method, reason: why, ...(replayed ? { replayed } : {}), attemptsLeft: c.attemptsLeft });
    if (c.attemptsLeft === 0) {
      this.#lockedUntil.set(c.username, this.#now() + this.#o.lockoutMs);
      this.#drop(c);
      this.#log('mfa.lockout', { username: c.username, sessionId, failures, until: new Date(this.#now() + this.#o.lockoutMs).toISOString() });
      this.#o.alerts?.alert('mfa.lockout', { username: c.username, sessionId, failures }).catch(() => undefined);
      return { ok: false, reason: `${why}; locked out after ${failures} wrong answers`, attemptsLeft: 0, lockedOut: true, ...(replayed ? { replayed } : {}) };
    }
    return { ok: false, reason: why, attemptsLeft: c.attemptsLeft, lockedOut: false, ...(replayed ? { replayed } : {}) };
  }

  #drop(c: StepUpChallenge): void {
    this.#byId.delete(c.id);
    if (this.#bySession.get(c.sessionId) === c.id) this.#bySession.delete(c.sessionId);
  }
}
