/**
 * Password guessing against a real gateway over mutual TLS (issue 10, items 1 and 8): hundreds of Logons from one
 * certificate at once (each with its own TLS connection, all Logons sent together, so the FIX layer's takeover
 * path sees them in parallel) get at most the lockout threshold of passwords checked, and the right password
 * sent among them is not accepted once the threshold is reached. Every refusal reads the same to the client;
 * the audit keeps the detail. Another user's certificate learns nothing about a user's state.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixMessage } from '../../fix/codec.ts';
import { parleyDictionary, readLogoutDecision, TAG } from '../../fix/parley-protocol.ts';
import { initiateSession, type FixSession } from '../../fix/session.ts';
import { MemoryStore } from '../../fix/store.ts';
import { connectFixs } from '../../fix/transport.ts';
import { MAX_PASSWORD_FAILURES } from './logon-guard.ts';
import { LOGON_REFUSED } from './logon.ts';
import { loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

let t: TestGateway;
let checked: { user: string; password: string }[];

beforeAll(async () => {
  t = await startTestGateway({}, { memoryStores: true, users: ['alice', 'bob', 'rita'] });
  // Count the passwords the gateway actually checks (the real scrypt check still runs).
  const d = t.gw.manager.ports.decisions;
  const verify = d.verifyPassword.bind(d);
  checked = [];
  d.verifyPassword = (u, pw) => { checked.push({ user: u.username, password: pw }); return verify(u, pw); };
});
afterAll(async () => { await t?.close(); });

/** Audit lines are appended asynchronously: wait (bounded) until one matches. */
async function auditMatches(re: RegExp): Promise<string> {
  let text = '';
  for (let i = 0; i < 400; i++) {
    text = readFileSync(t.gw.cfg.paths.audit, 'utf8');
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  return text;
}

type Outcome = { loggedOn: boolean; text: string | undefined; reason: string | undefined };

/** Opens `passwords.length` TLS connections with `compId`'s certificate, then sends every Logon at once. */
async function parallelLogons(compId: string, username: string, passwords: string[]): Promise<Outcome[]> {
  const leaf = t.pki.clients[compId]!.ec;
  const conns = await Promise.all(passwords.map(() =>
    connectFixs({ host: '127.0.0.1', port: t.gw.fixPort, ca: t.pki.caCertPem, cert: leaf.certPem, key: leaf.keyPem, servername: 'localhost' })));
  const sessions: FixSession[] = [];
  const outcomes = conns.map((conn, i) => new Promise<Outcome>((resolve) => {
    const fix = initiateSession(conn, {
      senderCompId: compId, targetCompId: 'PARLEY', heartBtInt: 30, store: new MemoryStore(), dictionary: parleyDictionary(), resetOnLogon: true,
      logonFields: [{ tag: TAG.Username, value: username }, { tag: TAG.Password, value: passwords[i]! }],
    });
    sessions.push(fix);
    let text: string | undefined;
    let reason: string | undefined;
    fix.on('error', () => {});
    fix.on('logon', () => resolve({ loggedOn: true, text: undefined, reason: undefined }));
    fix.on('logout', (tx: string | undefined, m: FixMessage) => { text = tx; reason = readLogoutDecision(m)?.reason; });
    fix.on('closed', () => resolve({ loggedOn: false, text, reason }));
  }));
  const all = await Promise.all(outcomes);
  await Promise.all(sessions.map((s) => (s.state === 'active' ? s.logout('bye') : undefined)));
  return all;
}

describe('the certificate is checked before anything about the user is said', () => {
  it('with another user\'s certificate, a locked-out, an existing and an unknown user all read the same', async () => {
    // rita is locked out (five wrong passwords with her own certificate); with bob's certificate nobody learns
    // that, nor that alice exists, nor that nobody does not.
    for (let i = 0; i < MAX_PASSWORD_FAILURES; i++) await parallelLogons('RITA', 'rita', [`wrong-${i}`]);
    expect(await auditMatches(/"kind":"logon.lockout".*"username":"rita"/)).toMatch(/logon.lockout/);
    const answers = [];
    for (const username of ['rita', 'alice', 'nobody']) {
      const [o] = await parallelLogons('BOB', username, ['whatever']);
      answers.push(o);
    }
    expect(answers).toEqual(Array(3).fill({ loggedOn: false, text: `logon denied: ${LOGON_REFUSED}`, reason: LOGON_REFUSED }));
    // none of the three got as far as a password check
    expect(checked.filter((c) => c.password === 'whatever')).toEqual([]);
    // The holder of the right certificate and password still gets in.
    const bob = await loggedIn(t, 'bob');
    await bob.close();
  });
});

describe('parallel logons cannot get around the password lockout', () => {
  it('300 Logons from one certificate at once: at most the lockout threshold of passwords is checked, the right one among them is refused', async () => {
    // (The source address is throttled too by now: this file's later logons would be refused for it, so it runs last.)
    const right = t.users.alice!.password;
    const guesses = Array.from({ length: 299 }, (_, i) => `guess-${i}`);
    const outcomes = await parallelLogons('ALICE', 'alice', [...guesses, right]);
    expect(outcomes).toHaveLength(300);
    const aliceChecks = checked.filter((c) => c.user === 'alice');
    expect(aliceChecks.length).toBeGreaterThan(0);
    expect(aliceChecks.length).toBeLessThanOrEqual(MAX_PASSWORD_FAILURES);
    expect(outcomes.filter((o) => o.loggedOn)).toEqual([]);
    // Every refusal says the same thing (which one was throttled, busy, wrong or locked is in the audit only), or
    // nothing at all: a Logon the FIX layer drops because another one for the session is being authorised.
    const answered = outcomes.filter((o) => o.text !== undefined);
    expect(answered.length).toBeGreaterThanOrEqual(aliceChecks.length);
    for (const o of answered) expect(o).toEqual({ loggedOn: false, text: `logon denied: ${LOGON_REFUSED}`, reason: LOGON_REFUSED });
  }, 120_000);

  it('burst after burst: the lockout comes after the threshold of checked passwords, then even the right one is refused unchecked', async () => {
    for (let burst = 0; burst < 6; burst++) {
      const outcomes = await parallelLogons('ALICE', 'alice', Array.from({ length: 50 }, (_, i) => `burst-${burst}-${i}`));
      expect(outcomes.filter((o) => o.loggedOn)).toEqual([]);
    }
    expect(checked.filter((c) => c.user === 'alice').length).toBeLessThanOrEqual(MAX_PASSWORD_FAILURES);
    const audit = await auditMatches(/"kind":"logon.lockout".*"username":"alice"/);
    expect(audit).toMatch(/"kind":"logon.lockout".*"username":"alice"/);
    expect(audit).toMatch(/"type":"logon.denied".*"detail":"wrong password"/);
    const before = checked.length;
    const [o] = await parallelLogons('ALICE', 'alice', [t.users.alice!.password]);
    expect(o).toEqual({ loggedOn: false, text: `logon denied: ${LOGON_REFUSED}`, reason: LOGON_REFUSED });
    expect(checked.length).toBe(before);
  }, 120_000);
});

