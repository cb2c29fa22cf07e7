/**
 * GatewaySession.listInstruments / listDealers before logon: the contract's 'not-connected' error (through the
 * IPC handler too), never an empty list the UI would take for "the gateway offers nothing"; once logged on,
 * the gateway's lists. Against the real gateway, the real keychain and the real posture agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import type { ClientCore } from '../core.ts';
import { createCallHandler } from '../ipc/handler.ts';
import { hasSecretService, startClientCore, until, type TestClientCore } from '../testing/client-core.ts';

const APP = 'app://parley';

describe.runIf(hasSecretService)('reference data before and after logon', () => {
  let t: TestGateway;
  let core: ClientCore;
  let client: TestClientCore | undefined;
  let handle: ReturnType<typeof createCallHandler>;

  const bothRefused = async (when: string) => {
    await expect(core.services.listInstruments(), when).rejects.toMatchObject({ code: 'not-connected' });
    await expect(core.services.listDealers(), when).rejects.toMatchObject({ code: 'not-connected' });
    for (const call of ['listInstruments', 'listDealers']) {
      expect(await handle({ url: `${APP}/index.html`, topFrame: true }, { call, request: {} }), `${when}: ${call}`).toMatchObject({ ok: false, error: { code: 'not-connected' } });
    }
  };

  beforeAll(async () => {
    t = await startTestGateway({ posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 } }, { users: ['alice'] });
    client = startClientCore(t, { name: 'lists' });
    core = client.core;
    handle = createCallHandler({ services: core.services, allowedOrigins: [APP], log: { warn: () => {}, error: () => {} } });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await t?.close();
  });

  it('not enrolled, denied, or challenged: not-connected; logged on: the gateway\'s lists', async () => {
    expect(await core.start()).toMatchObject({ state: 'enrollment-needed' });
    await bothRefused('before enrollment');

    await core.services.enroll({ token: t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 }).token });
    await bothRefused('enrolled, not signed in');

    expect(await core.services.signIn({ username: 'alice', password: 'not-her-password' })).toMatchObject({ state: 'denied' });
    await bothRefused('after a denied logon');
    await core.services.signOut();

    const r = await core.services.signIn({ username: 'alice', password: t.users.alice!.password });
    let challenge = (await core.services.getState()).pendingStepUp;
    if (r.state === 'challenged') {
      // Logon is not complete until the second factor is in.
      await bothRefused('challenged at logon');
      for (let i = 0; i < 400 && !challenge; i++) {
        await new Promise((res) => setTimeout(res, 50));
        challenge = (await core.services.getState()).pendingStepUp;
      }
      expect(challenge).toBeTruthy();
      expect((await core.services.answerStepUp({ challengeId: challenge!.challengeId, method: 'totp', code: freshTotp(t.users.alice!) })).outcome).toBe('accepted');
    }
    for (let i = 0; i < 600 && core.connection.state !== 'connected'; i++) await new Promise((res) => setTimeout(res, 50));
    expect(core.connection.state).toBe('connected');
    const [instruments, dealers] = await Promise.all([core.services.listInstruments(), core.services.listDealers()]);
    expect(instruments.length).toBeGreaterThan(0);
    expect(dealers.length).toBeGreaterThan(0);
  }, 180_000);
});
