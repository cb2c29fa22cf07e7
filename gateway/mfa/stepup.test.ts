import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AlertSink, AuditLog, verifyAuditLog } from '../audit/log.ts';
import type { User } from '../identity/directory.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { StepUpError, StepUpManager, satisfiesAcr } from './stepup.ts';
import { TotpVerifier } from './totp.ts';
import { WebAuthnService } from './webauthn.ts';

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const code = (t: number) => new TOTP({ secret: Secret.fromBase32(SECRET) }).generate({ timestamp: t });
const webauthn = new WebAuthnService({ rpID: 'localhost', origin: 'https://localhost' });

let dir: string;
let now: number;
let users: Map<string, User>;
let key: SoftAuthenticator;
let audit: AuditLog;
let mgr: StepUpManager;
let n = 0;

beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'parley-stepup-')); });
afterAll(() => rm(dir, { recursive: true, force: true }));

beforeEach(async () => {
  now = Date.UTC(2026, 10, 21, 9, 0, 5);
  key = new SoftAuthenticator({ origin: 'https://localhost' });
  const alice: User = { username: 'alice', role: 'Trader', privileged: false, passwordHash: 'x', totpSecret: SECRET,
    webauthnCredentials: [], expectedCountries: ['GB'], certSubjects: [], compIds: [] };
  const opts = await webauthn.registrationOptions(alice);
  const reg = await webauthn.verifyRegistration(alice, key.register(opts), opts.challenge);
  if (!reg.ok) throw new Error(reg.reason);
  alice.webauthnCredentials.push(reg.credential);
  const bob: User = { ...alice, username: 'bob', webauthnCredentials: [] };
  users = new Map([['alice', alice], ['bob', bob]]);
  audit = await AuditLog.open(join(dir, `audit-${++n}.jsonl`));
  mgr = new StepUpManager({ totp: new TotpVerifier(), webauthn, getUser: (u) => users.get(u), audit, alerts: new AlertSink({ log: audit }),
    ttlMs: 60_000, maxAttempts: 3, lockoutMs: 600_000, now: () => now });
});

async function auditTypes(): Promise<string[]> {
  await audit.close();
  expect(await verifyAuditLog(audit.file)).toMatchObject({ ok: true });
  return (await readFile(audit.file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l).type as string);
}

const reason = [{ factor: 'authentication' as const, condition: 'password only', score: 30 }];

describe('StepUpManager', () => {
  it('issues a challenge naming methods, reason, acr and expiry, and accepts a TOTP answer once', async () => {
    const c = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    expect(c).toMatchObject({ sessionId: 's1', username: 'alice', methods: ['totp', 'webauthn'], requiredAcr: 'mfa', expiresAt: now + 60_000, attemptsLeft: 3, reason });
    expect((c.webauthnOptions as { challenge: string }).challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const r = await mgr.answer('s1', c.id, { method: 'totp', code: code(now) });
    expect(r).toEqual({ ok: true, method: 'totp', at: now, acr: 'mfa' });
    // single use
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: false, reason: 'unknown or already answered challenge' });
    expect(await auditTypes()).toEqual(['mfa.challenge', 'mfa.success']);
  });

  it('refuses a replayed TOTP code on a new challenge', async () => {
    const c1 = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    expect((await mgr.answer('s1', c1.id, { method: 'totp', code: code(now) })).ok).toBe(true);
    now += 10_000;
    const c2 = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    expect(await mgr.answer('s1', c2.id, { method: 'totp', code: code(now - 10_000) })).toMatchObject({ ok: false, reason: 'wrong code', attemptsLeft: 2 });
  });

  it('answers with a WebAuthn security key (software P-256 authenticator) for acr phrh', async () => {
    const c = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason: ['large RFQ'], requiredAcr: 'phrh', maxAgeSec: 300 });
    expect(c.methods).toEqual(['webauthn']);
    expect(c.maxAgeSec).toBe(300);
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: false, reason: 'method totp was not offered for this challenge' });
    const resp = key.authenticate(c.webauthnOptions as { challenge: string; rpId: string });
    expect(await mgr.answer('s1', c.id, { method: 'webauthn', response: resp })).toMatchObject({ ok: true, method: 'webauthn', acr: 'phrh' });
    expect(users.get('alice')!.webauthnCredentials[0]!.counter).toBe(1);
  });

  it('refuses to issue what the user cannot answer', () => {
    expect(() => mgr.issue({ sessionId: 's', user: users.get('bob')!, reason, requiredAcr: 'phr' })).toThrow(StepUpError);
    const nobody = { ...users.get('bob')!, totpSecret: undefined };
    expect(() => mgr.issue({ sessionId: 's', user: nobody, reason })).toThrow(/no enrolled method/);
    expect(mgr.issue({ sessionId: 's', user: users.get('alice')!, reason, methods: ['totp'] }).methods).toEqual(['totp']);
    expect(() => mgr.issue({ sessionId: '', user: users.get('alice')!, reason })).toThrow(/session id/);
  });

  it('refuses an answer from another session, without charging the owner', async () => {
    const c = mgr.issue({ sessionId: 'victim', user: users.get('alice')!, reason });
    expect(await mgr.answer('attacker', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: false, reason: 'challenge belongs to another session', attemptsLeft: 3 });
    expect(await mgr.answer('victim', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: true });
    expect(await auditTypes()).toEqual(['mfa.challenge', 'mfa.wrong-session', 'mfa.success']);
  });

  it('refuses an expired challenge', async () => {
    const c = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    now += 60_000;
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: false, reason: 'challenge expired' });
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: false, reason: 'unknown or already answered challenge' });
  });

  it('a new challenge on the session replaces the old one', async () => {
    const c1 = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    const c2 = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    expect(mgr.pending).toBe(1);
    expect((await mgr.answer('s1', c1.id, { method: 'totp', code: code(now) })).ok).toBe(false);
    expect((await mgr.answer('s1', c2.id, { method: 'totp', code: code(now) })).ok).toBe(true);
  });

  it('locks the user out after N wrong answers across challenges, logs it, alerts, and refuses further challenges', async () => {
    const alice = users.get('alice')!;
    let c = mgr.issue({ sessionId: 's1', user: alice, reason });
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: '000000' })).toMatchObject({ ok: false, reason: 'wrong code', attemptsLeft: 2, lockedOut: false });
    c = mgr.issue({ sessionId: 's1', user: alice, reason }); // a fresh challenge does not reset the count
    expect(c.attemptsLeft).toBe(2);
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: 'abc' })).toMatchObject({ ok: false, reason: 'malformed code', attemptsLeft: 1 });
    expect(await mgr.answer('s1', c.id, { method: 'webauthn', response: { junk: true } })).toMatchObject({ ok: false, attemptsLeft: 0, lockedOut: true });
    expect(mgr.isLockedOut('alice')).toBe(true);
    expect(mgr.isLockedOut('bob')).toBe(false);
    expect(() => mgr.issue({ sessionId: 's2', user: alice, reason })).toThrow(/locked out/);
    now += 600_000;
    expect(mgr.isLockedOut('alice')).toBe(false);
    c = mgr.issue({ sessionId: 's3', user: alice, reason });
    expect(c.attemptsLeft).toBe(3);
    await new Promise((r) => setImmediate(r));
    const types = await auditTypes();
    expect(types).toContain('mfa.lockout');
    expect(types).toContain('alert');
    expect(types.filter((t) => t === 'mfa.failure')).toHaveLength(3);
  });

  it('refuses garbage answers without throwing', async () => {
    const c = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    expect(await mgr.answer('s1', c.id, null as never)).toMatchObject({ ok: false, reason: 'unknown answer method' });
    expect(await mgr.answer('s1', c.id, { method: 'sms' } as never)).toMatchObject({ ok: false, reason: 'unknown answer method' });
    expect(await mgr.answer('s1', 42 as never, { method: 'totp', code: '1' })).toMatchObject({ ok: false });
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: { toString: () => '123456' } } as never)).toMatchObject({ ok: false, reason: 'malformed code' });
    expect((await mgr.answer('s1', c.id, { method: 'totp', code: code(now) })).ok).toBe(true);
  });

  it('refuses when the user was disabled meanwhile', async () => {
    const c = mgr.issue({ sessionId: 's1', user: users.get('alice')!, reason });
    users.get('alice')!.disabled = true;
    expect(await mgr.answer('s1', c.id, { method: 'totp', code: code(now) })).toMatchObject({ ok: false, reason: /disabled/ });
  });
});

describe('satisfiesAcr (RFC 9470)', () => {
  it('maps methods to acr values and enforces max_age', () => {
    const t = 1_000_000;
    expect(satisfiesAcr('totp', t, 'mfa', undefined, t + 10_000_000)).toBe(true);
    expect(satisfiesAcr('totp', t, 'phr')).toBe(false);
    expect(satisfiesAcr('webauthn', t, 'phrh', 300, t + 300_000)).toBe(true);
    expect(satisfiesAcr('webauthn', t, 'phrh', 300, t + 300_001)).toBe(false);
  });
});
