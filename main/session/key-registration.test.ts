/**
 * Registering a security key through the client core's contract (the IPC handler, as the renderer calls it)
 * against the real gateway, the real keychain and the real posture agent, with a software authenticator in
 * place of the browser: register after the TOTP logon step-up, then the next logon's step-up succeeds with the
 * key. Hostile input through the handler is refused and the session keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { SoftAuthenticator } from '../../gateway/testing/soft-authenticator.ts';
import type { ClientCore } from '../core.ts';
import type { EventEnvelope, RegisterSecurityKeyResult, StepUpChallenge } from '../ipc/contract.ts';
import { createCallHandler } from '../ipc/handler.ts';
import { hasSecretService, startClientCore, until, type TestClientCore } from '../testing/client-core.ts';

const APP = 'app://parley';
const FRAME = { url: `${APP}/index.html`, topFrame: true };

describe.runIf(hasSecretService)('registering a security key through the client core', () => {
  let t: TestGateway;
  let core: ClientCore;
  let client: TestClientCore | undefined;
  let handle: ReturnType<typeof createCallHandler>;
  const events: EventEnvelope[] = [];

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
    client = startClientCore(t, { name: 'keyreg' });
    core = client.core;
    core.events.subscribe((e) => events.push(e));
    handle = createCallHandler({ services: core.services, allowedOrigins: [APP], log: { warn: () => {}, error: () => {} } });
    await core.start();
    await core.services.enroll({ token: t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 }).token });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
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
