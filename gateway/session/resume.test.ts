/**
 * A client whose connection drops without a Logout resumes: its open RFQs survive the cut (a quote from
 * before it can still be hit, once; a dealer that answers after it reaches the new connection), and a Logout
 * cancels them. Within the step-up max age the resumed logon asks no second factor again (network, geography
 * and posture are still scored); past it, or after a Logout, it does. Against a real gateway over mutual TLS.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, TAG, decisionToWire, readSecurityStatus, readStepUpChallenge, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import type { TestClient } from './test-client.ts';
import { issueCertificate } from '../../fix/pki/devpki.ts';
import { hashPassword, UserDirectory } from '../identity/directory.ts';
import { freshTotp, loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

let t: TestGateway;
const rfq = (id: string, qty = 1_000_000) =>
  [{ tag: 131, value: id }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 38, value: String(qty) }];

beforeAll(async () => {
  t = await startTestGateway({
    desk: { dealers: [{ name: 'FAST', delayMs: 0, spreadBps: 5 }, { name: 'LATE', delayMs: 1_500, spreadBps: 5 }], quoteTtlMs: 60_000 },
  }, { memoryStores: true, users: ['alice', 'bob', 'dave', 'erin'] });
});
afterAll(async () => { await t?.close(); });

/** Cuts the TCP connection under the client, as a network change does: no Logout either way. */
async function drop(c: TestClient): Promise<void> {
  c.conn.socket.destroy();
  await c.closed();
}

/** Logs on again within the step-up max age: allowed at once, no second factor asked. */
async function resumed(username: string, gw: TestGateway = t): Promise<TestClient> {
  const c = await gw.connect(username);
  expect((await c.waitFor('A')).get(TAG.Decision)).toBe(decisionToWire('allow'));
  const st = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
  expect(st).toMatchObject({ decision: 'allow', scope: 'logon' });
  expect(c.received.some((m) => m.msgType === MSG.StepUpChallenge)).toBe(false);
  return c;
}

async function auditLine(re: RegExp): Promise<string | undefined> {
  return until(() => readFileSync(t.gw.cfg.paths.audit, 'utf8').split('\n').find((l) => re.test(l)), `an audit line ${re}`);
}

async function until<T>(f: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('resuming after a dropped connection', () => {
  it('keeps the RFQ open across the cut: the earlier quote is hit once, the later one arrives on the new connection', async () => {
    const first = await loggedIn(t, 'alice');
    first.send('R', rfq('RES-1'));
    const q = await first.waitFor('S', (m) => m.get(131) === 'RES-1');
    await drop(first);
    await until(() => t.gw.manager.size === 0, 'the gateway to see the drop');
    expect(t.gw.desk.openRfqs().map((r) => r.quoteReqId)).toContain('RES-1');

    const c = await resumed('alice');

    const late = await c.waitFor('S', (m) => m.get(131) === 'RES-1', 30_000);
    expect(late.get(117)).not.toBe(q.get(117));
    c.send('AJ', [{ tag: 693, value: 'RES-HIT-1' }, { tag: 117, value: q.get(117)! }, { tag: 694, value: '1' }]);
    const exec = await c.waitFor('8');
    expect([exec.get(150), exec.get(39)]).toEqual(['F', '2']);
    c.send('AJ', [{ tag: 693, value: 'RES-HIT-1' }, { tag: 117, value: q.get(117)! }, { tag: 694, value: '1' }]);
    // The retried hit is answered with its trade (issue 19 item 3): the same report, never a second trade.
    const again = await c.waitFor('8');
    expect([again.get(150), again.get(17)]).toEqual(['F', exec.get(17)]);
    expect(t.gw.desk.trades.query({ user: 'alice', limit: 100 }).filter((x) => x.quoteId === q.get(117))).toHaveLength(1);
    await c.close();
  });

  it('a Logout cancels the open RFQs of the session, including those opened before a resume', async () => {
    const first = await loggedIn(t, 'bob');
    first.send('R', rfq('RES-2'));
    await first.waitFor('S', (m) => m.get(131) === 'RES-2');
    await drop(first);
    await until(() => t.gw.manager.size === 0, 'the gateway to see the drop');
    const c = await resumed('bob');
    c.send('R', rfq('RES-3'));
    await c.waitFor('S', (x) => x.get(131) === 'RES-3');
    expect(t.gw.desk.openRfqs().map((r) => r.quoteReqId)).toEqual(expect.arrayContaining(['RES-2', 'RES-3']));
    await c.close();
    await until(() => !t.gw.desk.openRfqs().some((r) => r.user === 'bob'), 'bob\'s RFQs cancelled');
  });

  it('a session the FIX layer ends (a message over the size limit) is not resumable: its RFQs are cancelled', async () => {
    const c = await loggedIn(t, 'dave');
    c.send('R', rfq('RES-4'));
    await c.waitFor('S', (m) => m.get(131) === 'RES-4');
    c.send('R', [{ tag: 131, value: 'HUGE' }, { tag: 146, value: '1' }, { tag: 55, value: 'X'.repeat(70_000) }, { tag: 38, value: '1' }]);
    await c.closed();
    await until(() => !t.gw.desk.openRfqs().some((r) => r.quoteReqId === 'RES-4'), 'RES-4 cancelled');
    const again = await t.connect('dave');
    expect(readStepUpChallenge(await again.waitFor(MSG.StepUpChallenge)).scope).toBe('logon');
    await again.close();
  });
});

describe('step-up max age across a resumed session', () => {
  it('within the max age the same user and certificate are not challenged again; a Logout forgets it', async () => {
    const first = await loggedIn(t, 'alice');
    await drop(first);
    const c = await resumed('alice');
    expect(await auditLine(/"type":"logon.decision".*"resumedAuth":\{"method":"totp"/)).toBeTruthy();
    await c.close();
    // After a Logout the next logon proves the second factor again.
    const again = await t.connect('alice');
    expect(readStepUpChallenge(await again.waitFor(MSG.StepUpChallenge)).scope).toBe('logon');
    await again.close();
  });

  it('past the max age the resumed logon is challenged again', async () => {
    const short = await startTestGateway({ stepUp: { maxAuthAgeSec: 1 } }, { memoryStores: true, users: ['carol'] });
    try {
      const first = await loggedIn(short, 'carol');
      await drop(first);
      await new Promise((r) => setTimeout(r, 1_500));
      const c = await short.connect('carol');
      expect((await c.waitFor('A')).get(TAG.Decision)).toBe(decisionToWire('step-up'));
      expect(readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge)).scope).toBe('logon');
      await c.close();
    } finally {
      await short.close();
    }
  });
});

describe('verified-credential cache (scrypt once, then a keyed HMAC)', () => {
  it('a repeat logon takes the cached path; a wrong password is never cached; a password change invalidates', async () => {
    const creds = t.gw.credentials;
    t.gw.credentials.forget('bob');
    const first = await loggedIn(t, 'bob');
    await drop(first);
    const hits = creds.hits;
    const again = await resumed('bob');
    expect(creds.hits).toBe(hits + 1);
    await drop(again);

    // A wrong password: slow path, refused, and it does not displace the remembered one.
    const wrong = await t.connect('bob', { password: 'not-bobs-password' });
    await wrong.closed();
    expect(wrong.logoutText).toMatch(/invalid username or password/);
    expect(creds.hits).toBe(hits + 1);
    const third = await resumed('bob');
    expect(creds.hits).toBe(hits + 2);
    await drop(third);

    // The administrator changes the password: the old one no longer logs on, cached or not.
    const dir = await UserDirectory.load(t.gw.cfg.paths.users);
    dir.upsert({ ...dir.get('bob')!, passwordHash: await hashPassword('bob-new-pw-2', { N: 1024 }) });
    await dir.save();
    await t.gw.reloadUsers('test');
    const old = await t.connect('bob');
    await old.closed();
    expect(old.logoutText).toMatch(/invalid username or password/);
    const misses = creds.misses;
    const fresh = await t.connect('bob', { password: 'bob-new-pw-2' });
    expect(readSecurityStatus(await fresh.waitFor(MSG.SecurityStatus)).decision).toBe('allow');
    expect(creds.misses).toBeGreaterThan(misses);
    await fresh.close();
  });

  it('an admin kill forgets the remembered password', async () => {
    const c = await loggedIn(t, 'alice');
    expect(t.gw.credentials.matches('alice', t.gw.users.get('alice')!.passwordHash, t.users.alice!.password)).toBe(true);
    await t.gw.manager.kill({ user: 'alice' }, 'test kill');
    await c.closed();
    expect(t.gw.credentials.matches('alice', t.gw.users.get('alice')!.passwordHash, t.users.alice!.password)).toBe(false);
  });
});

describe('takeover of a session whose old connection still looks alive (a changed address: no FIN arrived)', () => {
  it('the same certificate takes it over at once: the old connection is dropped with the reason, audited, the session resumed without a second factor, its RFQ hit once from the new connection', async () => {
    const first = await loggedIn(t, 'erin');
    first.send('R', rfq('TAKE-1'));
    const q = await first.waitFor('S', (m) => m.get(131) === 'TAKE-1');
    const old = t.gw.manager.list().find((s) => s.user === 'erin')!;
    // The client's old address is gone: nothing more is read or sent on that connection, and no FIN is sent.
    first.conn.socket.pause();
    first.fix.removeAllListeners('message');
    const c = await resumed('erin');
    expect(await auditLine(new RegExp(`"type":"session.taken-over".*"session":"${old.id}".*"reason":"taken over by a new connection from 127.0.0.1"`))).toBeTruthy();
    expect(await auditLine(new RegExp(`"type":"session.resumed".*"previous":"${old.id}"`))).toBeTruthy();
    await until(() => t.gw.manager.list().filter((s) => s.user === 'erin').length === 1 && !t.gw.manager.get(old.id), 'only the new session live');
    expect(t.gw.desk.openRfqs().map((r) => r.quoteReqId)).toContain('TAKE-1');
    c.send('AJ', [{ tag: 693, value: 'TAKE-HIT-1' }, { tag: 117, value: q.get(117)! }, { tag: 694, value: '1' }]);
    const exec = await c.waitFor('8');
    expect([exec.get(150), exec.get(39)]).toEqual(['F', '2']);
    expect(t.gw.desk.trades.query({ user: 'erin', limit: 100 }).filter((x) => x.quoteId === q.get(117))).toHaveLength(1);
    first.conn.socket.destroy();
    await c.close();
  });

  it('another certificate for the same CompID cannot take it over: refused, the live session goes on', async () => {
    const live = await loggedIn(t, 'dave');
    const other = await issueCertificate(t.pki.dir, { name: 'DAVE', alg: 'ec', kind: 'client', fileStem: 'dave-other' });
    const intruder = await t.connect('dave', { cert: other.certPem, key: other.keyPem });
    await intruder.closed();
    expect(intruder.logonReply).toBeUndefined();
    const id = 'TAKE-ALIVE';
    live.send('x', [{ tag: 320, value: id }, { tag: 559, value: '4' }]);
    await live.waitFor('y', (m) => m.get(320) === id);
    expect(t.gw.manager.list().filter((s) => s.user === 'dave')).toHaveLength(1);
    await live.close();
  });
});
