/**
 * The other logon factors end to end over mutual TLS: a WebAuthn security key answering the step-up (scoring
 * 0 for authentication), GeoIP placing the client in an unexpected country (anomalous +40 → deny even with
 * TOTP), and a remote logon (unknown network +15): password only 45, but TOTP brings it to 20, so it is a
 * step-up — answered, the session continues in the step-up band, and a dropped connection resumes unasked.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, TAG, decisionToWire, readLogoutDecision, readSecurityStatus, readStepUpChallenge, readStepUpResult, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { UserDirectory } from '../identity/directory.ts';
import { WebAuthnService } from '../mfa/webauthn.ts';
import { buildMmdb } from '../testing/mmdb.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { freshTotp, startTestGateway, type TestGateway } from './test-gateway.ts';

describe('WebAuthn step-up', () => {
  let t: TestGateway;
  const key = new SoftAuthenticator({ origin: 'https://localhost' });
  beforeAll(async () => {
    t = await startTestGateway({ stepUp: { rpId: 'localhost', origin: 'https://localhost' } }, { memoryStores: true, users: ['bob'] });
    // Register bob's security key the way IT would, then let the running gateway re-read the directory.
    const dir = await UserDirectory.load(t.gw.cfg.paths.users);
    const bob = dir.get('bob')!;
    const svc = new WebAuthnService({ rpID: 'localhost', origin: 'https://localhost' });
    const opts = await svc.registrationOptions(bob);
    const reg = await svc.verifyRegistration(bob, key.register(opts, 'localhost'), opts.challenge);
    if (!reg.ok) throw new Error(reg.reason);
    dir.upsert({ ...bob, webauthnCredentials: [reg.credential] });
    await dir.save();
    await t.gw.reloadUsers('test');
  });
  afterAll(async () => { await t?.close(); });

  it('offers the key, verifies the assertion bound to the challenge, and re-scores to 0 for authentication', async () => {
    const c = await t.connect('bob');
    const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
    expect(ch.methods).toEqual(['totp', 'webauthn']);
    const options = JSON.parse(ch.webauthnOptions!) as { challenge: string; rpId: string };
    // An assertion for another challenge (a replay) fails and costs an attempt.
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'webauthn', webauthnResponse: JSON.stringify(key.authenticate({ ...options, challenge: 'b3RoZXItY2hhbGxlbmdl' })) }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'failed', attemptsLeft: 2 });
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'webauthn', webauthnResponse: JSON.stringify(key.authenticate(options)) }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
    const st = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
    expect(st).toMatchObject({ decision: 'allow', score: 0 });
    expect(st.factors.find((f) => f.name === 'authentication')).toMatchObject({ condition: 'hardware key (WebAuthn)', score: 0 });
    await c.close();
  });
});

describe('GeoIP', () => {
  let t: TestGateway;
  beforeAll(async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const mmdb = join(mkdtempSync(join(tmpdir(), 'mmdb-')), 'test.mmdb');
    // The tests connect from loopback: place it in a country the user is not expected in.
    await buildMmdb(mmdb, { '127.0.0.0/8': 'RU' });
    t = await startTestGateway({ geoip: { mmdb } }, { memoryStores: true, users: ['alice'] });
  });
  afterAll(async () => { await t?.close(); });

  it('an anomalous country adds 40 and the logon is denied, naming the factors', async () => {
    const c = await t.connect('alice');
    await c.closed();
    expect(c.logoutText).toMatch(/logon denied: risk score 70 \(authentication: password only \+30, geography: anomalous country RU \+40\)/);
    // Her TOTP would still leave 45: no second factor could help, so it is a denial, and it says so.
    expect(c.logoutText).toMatch(/password only: 70; with TOTP: 45 - denied: 40 or more even with a second factor/);
    // The same decision as fields on the Logout.
    const d = readLogoutDecision(c.logoutMessage!);
    expect(d).toMatchObject({ decision: 'deny', scope: 'logon', score: 70 });
    expect(d!.factors.filter((f) => f.score !== 0).map((f) => [f.name, f.score])).toEqual([['authentication', 30], ['geography', 40]]);
  });
});

describe('policy log-only mode', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ policy: { mode: 'log-only' } }, { memoryStores: true, users: ['rita'] });
  });
  afterAll(async () => { await t?.close(); });

  it('decides and logs a denial but does not enforce it', async () => {
    const { loggedIn } = await import('./test-gateway.ts');
    const { readFileSync } = await import('node:fs');
    const rita = await loggedIn(t, 'rita');
    // A risk officer may not create RFQs (enforced: QuoteRequestReject); in log-only mode the quotes come.
    rita.send('R', [{ tag: 131, value: 'LOG-1' }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 38, value: '1000000' }]);
    expect((await rita.waitFor('S')).get(131)).toBe('LOG-1');
    // The audit log appends asynchronously: poll (bounded) for the line.
    const re = /"type":"access.decision".*"action":"CreateRfq".*"decision":"deny","enforced":false/;
    let audit = '';
    for (let i = 0; i < 200 && !re.test(audit); i++) {
      audit = readFileSync(t.gw.cfg.paths.audit, 'utf8');
      if (!re.test(audit)) await new Promise((r) => setTimeout(r, 50));
    }
    expect(audit).toMatch(re);
    await rita.close();
  });
});

describe('remote logon (an address outside the corporate CIDRs)', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // Loopback is not corporate here: every test connection scores network +15, as from home.
    t = await startTestGateway({ network: { corporate: ['10.0.0.0/8'] } }, { memoryStores: true, users: ['alice', 'bob'] });
  });
  afterAll(async () => { await t?.close(); });

  async function auditLine(re: RegExp): Promise<string> {
    const { readFileSync } = await import('node:fs');
    for (let i = 0; i < 400; i++) {
      const hit = readFileSync(t.gw.cfg.paths.audit, 'utf8').split('\n').find((l) => re.test(l));
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no audit line ${re}`);
  }

  it('password + TOTP user: challenged (not denied) with the reason, allowed after TOTP at 20, and a dropped connection resumes without being asked again', async () => {
    const c = await t.connect('alice');
    const logon = await c.waitFor('A');
    expect([logon.get(TAG.Decision), logon.get(TAG.RiskScore)]).toEqual([decisionToWire('step-up'), '45']);
    const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
    expect(ch.methods).toEqual(['totp']);
    expect(ch.factors.find((f) => f.name === 'network')).toMatchObject({ condition: 'unknown or dynamic address', score: 15 });
    expect(ch.text).toMatch(/password only: 45; with TOTP: 20 - step-up required/);
    expect(await auditLine(/"type":"logon.decision".*"decision":"step-up","score":45.*"stepUpMethods":\["totp"\]/)).toBeTruthy();

    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: freshTotp(t.users.alice!) }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
    // 20 is the step-up band, and the step-up is satisfied: allowed, the session goes on.
    const st = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
    expect(st).toMatchObject({ decision: 'allow', scope: 'logon', score: 20 });
    c.send('x', [{ tag: 320, value: 'REMOTE-1' }, { tag: 559, value: '4' }]);
    await c.waitFor('y', (m) => m.get(320) === 'REMOTE-1');
    expect(c.closedReason).toBeUndefined();

    // The address changes (the connection drops without a Logout): the automatic reconnect is scored with the
    // TOTP proved within the max age — 20, allowed — not password-only (45).
    c.conn.socket.destroy();
    await c.closed();
    const again = await t.connect('alice');
    const relog = await again.waitFor('A');
    expect([relog.get(TAG.Decision), relog.get(TAG.RiskScore)]).toEqual([decisionToWire('allow'), '20']);
    expect(readSecurityStatus(await again.waitFor(MSG.SecurityStatus))).toMatchObject({ decision: 'allow', score: 20 });
    expect(again.received.some((m) => m.msgType === MSG.StepUpChallenge)).toBe(false);
    await again.close();
  });

  it('a remote user with no second factor enrolled is denied, and the reason says no factor could lower it', async () => {
    const dir = await UserDirectory.load(t.gw.cfg.paths.users);
    const { totpSecret: _drop, ...bob } = dir.get('bob')!;
    dir.upsert(bob);
    await dir.save();
    await t.gw.reloadUsers('test');
    const c = await t.connect('bob');
    await c.closed();
    expect(c.logoutText).toMatch(/logon denied: risk score 45 .*password only: 45 - denied: 40 or more and no second factor enrolled could lower it/);
    expect(readLogoutDecision(c.logoutMessage!)).toMatchObject({ decision: 'deny', scope: 'logon', score: 45 });
  });
});
