/**
 * Registering a security key over FIX (UK/UL) against a real gateway over mutual TLS, with a software
 * authenticator: allowed after a fresh TOTP step-up, stored in the user directory file and audited, usable for
 * the next logon's step-up; a stale second factor is challenged first; hostile requests are refused and the
 * session keeps serving.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MSG, TAG, keyRegistrationRequestFields, readKeyRegistrationResult, readSecurityStatus, readStepUpChallenge, readStepUpResult,
  stepUpResponseFields, type KeyRegistrationResult,
} from '../../fix/parley-protocol.ts';
import { SoftAuthenticator } from '../testing/soft-authenticator.ts';
import { postureReport, type TestClient } from './test-client.ts';
import { freshTotp, loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

async function result(c: TestClient, requestId: string): Promise<KeyRegistrationResult> {
  return readKeyRegistrationResult(await c.waitFor(MSG.KeyRegistrationResult, (m) => m.get(TAG.RequestID) === requestId));
}

async function stillServes(c: TestClient, ref: string): Promise<void> {
  c.send('x', [{ tag: 320, value: ref }, { tag: 559, value: '4' }]);
  await c.waitFor('y', (m) => m.get(320) === ref);
}

type AuditLine = { type: string; data: Record<string, unknown> };
function auditLines(t: TestGateway): AuditLine[] {
  return readFileSync(t.gw.cfg.paths.audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
}

async function until<T>(f: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('security-key registration over FIX', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { memoryStores: true, users: ['alice', 'bob'] });
  });
  afterAll(async () => { await t?.close(); });

  it('after a TOTP step-up a key is registered, saved and audited; the next logon steps up with it', async () => {
    const c = await loggedIn(t, 'alice');
    const key = new SoftAuthenticator({ origin: 'https://localhost' });
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'REG-1', stage: 'begin' }));
    const opts = await result(c, 'REG-1');
    expect(opts.status).toBe('options');
    const creation = JSON.parse(opts.webauthnOptions!) as { challenge: string; rp: { id: string }; user: { name: string } };
    expect(creation.user.name).toBe('alice');
    const response = JSON.stringify(key.register(creation));
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'REG-1', stage: 'finish', webauthnResponse: response }));
    expect(await result(c, 'REG-1')).toMatchObject({ status: 'registered', credentialId: key.credentialId });
    const saved = JSON.parse(readFileSync(t.gw.cfg.paths.users, 'utf8')) as { users: { username: string; webauthnCredentials: { id: string }[] }[] };
    expect(saved.users.find((u) => u.username === 'alice')?.webauthnCredentials.map((k) => k.id)).toEqual([key.credentialId]);
    await until(() => readFileSync(t.gw.cfg.paths.audit, 'utf8').includes('webauthn.registered'), 'the audit line');
    // The access policy decided before the ceremony began, and the decision is in the audit log.
    expect(auditLines(t).find((l) => l.type === 'access.decision' && l.data.action === 'RegisterSecurityKey' && l.data.ref === 'REG-1')?.data)
      .toMatchObject({ decision: 'allow', enforced: true, reasons: ['register-security-key'], user: 'alice' });

    // Replayed: the ceremony was single-use.
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'REG-1', stage: 'finish', webauthnResponse: response }));
    expect(await result(c, 'REG-1')).toMatchObject({ status: 'rejected', text: expect.stringMatching(/no security-key registration pending/) });
    await stillServes(c, 'AFTER-REPLAY');
    await c.close();

    // A new logon is challenged (the Logout forgot the second factor) and now accepts the key.
    const again = await t.connect('alice');
    const ch = readStepUpChallenge(await again.waitFor(MSG.StepUpChallenge));
    expect(ch.methods).toContain('webauthn');
    const assertion = key.authenticate(JSON.parse(ch.webauthnOptions!) as { challenge: string; rpId?: string });
    again.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'webauthn', webauthnResponse: JSON.stringify(assertion) }));
    expect(readStepUpResult(await again.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
    expect(readSecurityStatus(await again.waitFor(MSG.SecurityStatus))).toMatchObject({ decision: 'allow', scope: 'logon' });
    await again.close();
  });

  it('refuses hostile requests with a reason and keeps serving: garbage, oversized, another session\'s request, no pending ceremony', async () => {
    const bob = await loggedIn(t, 'bob');
    const alice = await loggedIn(t, 'alice');
    // An unknown stage and a missing request id: the dictionary refuses them with a session-level Reject(3).
    bob.send(MSG.KeyRegistrationRequest, [{ tag: TAG.RequestID, value: 'G1' }, { tag: TAG.KeyRegStage, value: 'NOW' }]);
    bob.send(MSG.KeyRegistrationRequest, [{ tag: TAG.KeyRegStage, value: 'BEGIN' }]);
    await until(() => bob.rejects.filter((r) => (r as { refMsgType?: string }).refMsgType === MSG.KeyRegistrationRequest).length === 2, 'two Rejects');
    // FINISH with nothing begun, and FINISH without a response.
    bob.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'G2', stage: 'finish', webauthnResponse: '{"id":"x"}' }));
    expect(await result(bob, 'G2')).toMatchObject({ status: 'rejected' });
    bob.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'G3', stage: 'finish' }));
    expect(await result(bob, 'G3')).toMatchObject({ status: 'rejected', text: expect.stringMatching(/FINISH needs/) });
    // Garbage JSON and an oversized response (under the FIX message limit) against a real pending ceremony.
    for (const [id, body] of [['G4', 'not json {'], ['G5', `"${'A'.repeat(40_000)}"`], ['G6', '{"id":"AA","rawId":"AA","type":"public-key","response":{}}']] as const) {
      bob.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: id, stage: 'begin' }));
      expect((await result(bob, id)).status).toBe('options');
      bob.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: id, stage: 'finish', webauthnResponse: body }));
      expect(await result(bob, id)).toMatchObject({ status: 'rejected' });
    }
    // Alice answers bob's ceremony (its request id and a valid attestation over bob's challenge): unknown on her session.
    bob.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'BOB-1', stage: 'begin' }));
    const bobOpts = JSON.parse((await result(bob, 'BOB-1')).webauthnOptions!) as { challenge: string; rp: { id: string } };
    const stolen = JSON.stringify(new SoftAuthenticator({ origin: 'https://localhost' }).register(bobOpts));
    alice.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'BOB-1', stage: 'finish', webauthnResponse: stolen }));
    expect(await result(alice, 'BOB-1')).toMatchObject({ status: 'rejected', text: expect.stringMatching(/this session/) });
    await stillServes(bob, 'BOB-OK');
    await stillServes(alice, 'ALICE-OK');
    expect(t.gw.users.get('bob')?.webauthnCredentials).toHaveLength(0);
    await bob.close();
    await alice.close();
  });
});

describe('security-key registration with a stale second factor', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // maxAuthAgeSec 0: no earlier second factor counts, so every registration is challenged first.
    t = await startTestGateway({ stepUp: { maxAuthAgeSec: 0 } }, { memoryStores: true, users: ['carol'] });
  });
  afterAll(async () => { await t?.close(); });

  it('answers BEGIN with a step-up challenge first; after TOTP the options come; a newer BEGIN supersedes a challenged one', async () => {
    const c = await loggedIn(t, 'carol');
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'S-1', stage: 'begin' }));
    const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
    expect(ch).toMatchObject({ scope: 'action', requestRef: 'S-1', methods: ['totp'] });
    expect(c.received.some((m) => m.msgType === MSG.KeyRegistrationResult)).toBe(false);
    expect(ch.text).toMatch(/registering a security key needs a (fresh|recent) second factor/);
    // Within the logon's second the policy may still count it as fresh (allow) or not (step-up); the gateway's own
    // floor (nothing is fresh with maxAuthAgeSec 0) challenges either way. The decision is audited either way.
    const decided = await until(() => auditLines(t).find((l) => l.type === 'access.decision' && l.data.action === 'RegisterSecurityKey' && l.data.ref === 'S-1'), 'the decision');
    expect(['allow', 'step-up']).toContain(decided.data.decision);
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: freshTotp(t.users.carol!) }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
    const opts = await result(c, 'S-1');
    expect(opts.status).toBe('options');
    const key = new SoftAuthenticator({ origin: 'https://localhost' });
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'S-1', stage: 'finish', webauthnResponse: JSON.stringify(key.register(JSON.parse(opts.webauthnOptions!) as { challenge: string; rp: { id: string } })) }));
    expect(await result(c, 'S-1')).toMatchObject({ status: 'registered' });
    // A second BEGIN is challenged again; a newer request supersedes it and the first is refused with the reason.
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'S-2', stage: 'begin' }));
    await c.waitFor(MSG.StepUpChallenge, (m) => m.get(TAG.RequestRef) === 'S-2');
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'S-3', stage: 'begin' }));
    expect(await result(c, 'S-2')).toMatchObject({ status: 'rejected', text: expect.stringMatching(/superseded/) });
    await stillServes(c, 'CAROL-OK');
    await c.close();
  });
});

describe('security-key registration from a non-compliant device', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({}, { memoryStores: true, users: ['dave'] });
  });
  afterAll(async () => { await t?.close(); });

  it('is denied by the access policy before any ceremony begins (no options, no step-up), audited and alerted; the session keeps serving', async () => {
    const c = await loggedIn(t, 'dave', { attestation: postureReport({ encrypted: false }) });
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'NC-1', stage: 'begin' }));
    const r = await result(c, 'NC-1');
    expect(r).toMatchObject({ status: 'rejected', text: expect.stringMatching(/denied by policy: device health check failure/) });
    expect(readSecurityStatus(await c.waitFor(MSG.SecurityStatus, (m) => m.get(TAG.RequestRef) === 'NC-1'))).toMatchObject({ decision: 'deny', scope: 'action' });
    expect(c.received.filter((m) => m.msgType === MSG.StepUpChallenge)).toHaveLength(1); // the logon's only
    expect(t.gw.manager.list().find((s) => s.user === 'dave')).toBeTruthy();
    await stillServes(c, 'DAVE-OK');
    const line = await until(() => auditLines(t).find((l) => l.type === 'access.decision' && l.data.ref === 'NC-1'), 'the decision');
    expect(line.data).toMatchObject({ action: 'RegisterSecurityKey', decision: 'deny', enforced: true });
    expect(line.data.reasons).toContain('device-health-check-failure');
    await until(() => auditLines(t).find((l) => l.type === 'alert' && l.data.kind === 'access.denied' && l.data.ref === 'NC-1'), 'the alert');
    expect(auditLines(t).some((l) => l.type === 'webauthn.register-begin')).toBe(false);
    await c.close();
  });
});

describe('security-key registration with the access policy in log-only mode', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ policy: { mode: 'log-only' } }, { memoryStores: true, users: ['erin'] });
  });
  afterAll(async () => { await t?.close(); });

  it('logs the deny from a non-compliant device as not enforced and goes on to the options (the fresh-factor floor still held)', async () => {
    const c = await loggedIn(t, 'erin', { attestation: postureReport({ encrypted: false }) });
    c.send(MSG.KeyRegistrationRequest, keyRegistrationRequestFields({ requestId: 'LO-1', stage: 'begin' }));
    expect((await result(c, 'LO-1')).status).toBe('options');
    const line = await until(() => auditLines(t).find((l) => l.type === 'access.decision' && l.data.ref === 'LO-1'), 'the decision');
    expect(line.data).toMatchObject({ action: 'RegisterSecurityKey', decision: 'deny', enforced: false });
    await c.close();
  });
});
