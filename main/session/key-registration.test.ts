/**
 * Registering a security key through the client core's contract (the IPC handler, as the renderer calls it)
 * against the real gateway, the real keychain and the real posture agent, with a software authenticator in
 * place of the browser: register after the TOTP logon step-up, then the next logon's step-up succeeds with the
 * key. Hostile input through the handler is refused and the session keeps serving.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostureAgent } from '../../agent/collect.ts';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { SoftAuthenticator } from '../../gateway/testing/soft-authenticator.ts';
import { ClientCore } from '../core.ts';
import type { EventEnvelope, RegisterSecurityKeyResult, StepUpChallenge } from '../ipc/contract.ts';
import { createCallHandler } from '../ipc/handler.ts';
import { DeviceKeychain } from '../keychain/device-identity.ts';
import { KeytarStore } from '../keychain/secret-store.ts';

const hasSession = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;
const APP = 'app://parley';
const FRAME = { url: `${APP}/index.html`, topFrame: true };

async function until<T>(f: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe.runIf(hasSession)('registering a security key through the client core', () => {
  let t: TestGateway;
  let core: ClientCore;
  let work: string;
  let handle: ReturnType<typeof createCallHandler>;
  const events: EventEnvelope[] = [];
  const profile = `keyreg-${randomUUID()}`;

  const call = async (name: string, request: unknown) => handle(FRAME, { call: name, request });
  const register = async (request: unknown): Promise<RegisterSecurityKeyResult> => {
    const r = await call('registerSecurityKey', request);
    if (!r.ok) throw new Error(`registerSecurityKey failed: ${JSON.stringify(r.error)}`);
    return r.value as RegisterSecurityKeyResult;
  };
  const challenged = () => until(async () => (await core.services.getState()).pendingStepUp, 'a step-up challenge');
  const connected = () => until(() => core.connection.state === 'connected', 'connected');

  beforeAll(async () => {
    t = await startTestGateway({ posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 } }, { users: ['alice'] });
    work = mkdtempSync(path.join(tmpdir(), 'parley-keyreg-'));
    writeFileSync(path.join(work, 'ca.pem'), t.pki.caCertPem);
    writeFileSync(path.join(work, 'policy.json'), JSON.stringify({
      gateway: { host: '127.0.0.1', port: t.gw.fixPort, compId: t.gw.cfg.fix.compId },
      caBundle: path.join(work, 'ca.pem'),
      enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
    }));
    core = new ClientCore({
      dataDir: path.join(work, 'client'), policyPath: path.join(work, 'policy.json'), host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }), secretStore: new KeytarStore(), keychainProfile: profile,
    });
    core.events.subscribe((e) => events.push(e));
    handle = createCallHandler({ services: core.services, allowedOrigins: [APP], log: { warn: () => {}, error: () => {} } });
    await core.start();
    await core.services.enroll({ token: t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 }).token });
  }, 120_000);

  afterAll(async () => {
    await core?.services.signOut().catch(() => {});
    await core?.stop();
    await new DeviceKeychain(new KeytarStore(), profile).clear().catch(() => {});
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('registers a key after the TOTP step-up; hostile input is refused; the next logon steps up with the key', async () => {
    // Not signed in: nothing to register on.
    expect(await call('registerSecurityKey', { stage: 'begin' })).toMatchObject({ ok: false, error: { code: 'not-signed-in' } });

    await core.services.signIn({ username: 'alice', password: t.users.alice!.password });
    const totp = await challenged();
    expect(totp.methods).toEqual(['totp']);
    expect((await core.services.answerStepUp({ challengeId: totp.challengeId, method: 'totp', code: freshTotp(t.users.alice!) })).outcome).toBe('accepted');
    await connected();

    const key = new SoftAuthenticator({ origin: 'https://localhost' });
    const begun = await register({ stage: 'begin' });
    if (begun.status !== 'options') throw new Error(`no options: ${JSON.stringify(begun)}`);
    expect(begun.options.rp.id).toBe('localhost');
    const credential = key.register(begun.options);

    // Hostile before the real answer: a credential outside the schema, an oversized one, an unknown registration.
    expect(await call('registerSecurityKey', { stage: 'finish', registrationId: begun.registrationId, credential: { ...credential, extra: 1 } }))
      .toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(await call('registerSecurityKey', { stage: 'finish', registrationId: begun.registrationId, credential: { ...credential, response: { ...credential.response, attestationObject: 'A'.repeat(100_000) } } }))
      .toMatchObject({ ok: false, error: { code: 'invalid-request' } });
    expect(await call('registerSecurityKey', { stage: 'finish', registrationId: 'KR-nope', credential })).toMatchObject({ ok: true, value: { status: 'rejected' } });
    expect(await call('registerSecurityKey', 'garbage')).toMatchObject({ ok: false, error: { code: 'invalid-request' } });

    expect(await register({ stage: 'finish', registrationId: begun.registrationId, credential })).toEqual({ status: 'registered', credentialId: key.credentialId });
    expect(t.gw.users.get('alice')?.webauthnCredentials.map((c) => c.id)).toEqual([key.credentialId]);
    await until(() => events.some((e) => e.event === 'notification' && (e.payload as { title: string }).title === 'Security key registered'), 'the notification');

    // Replayed: the registration was used up on this side, and would be on the gateway's too.
    expect(await register({ stage: 'finish', registrationId: begun.registrationId, credential })).toMatchObject({ status: 'rejected' });
    // An attestation made for other options (a stale or foreign challenge) is refused by the gateway with its reason.
    const stale = await register({ stage: 'begin' });
    const fresh = await register({ stage: 'begin' });
    if (stale.status !== 'options' || fresh.status !== 'options') throw new Error('no options');
    const other = new SoftAuthenticator({ origin: 'https://localhost' });
    const refused = await register({ stage: 'finish', registrationId: fresh.registrationId, credential: other.register(stale.options) });
    expect(refused).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/challenge/i) });
    // The session keeps serving.
    expect(await call('queryHistory', { from: '2000-01-01', to: '2100-01-01' })).toMatchObject({ ok: true });
    expect(core.connection.state).toBe('connected');

    // Sign out and in again: the step-up now offers the key, and the key answers it.
    await core.services.signOut();
    await core.services.signIn({ username: 'alice', password: t.users.alice!.password });
    const ch: StepUpChallenge = await challenged();
    expect(ch.methods).toContain('webauthn');
    const assertion = key.authenticate(ch.webauthnOptions!);
    expect(await call('answerStepUp', { challengeId: ch.challengeId, method: 'webauthn', credential: assertion })).toMatchObject({ ok: true, value: { outcome: 'accepted' } });
    await connected();
  }, 180_000);
});
