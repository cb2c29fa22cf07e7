/**
 * GatewaySession.listInstruments / listDealers before logon: the contract's 'not-connected' error (through the
 * IPC handler too), never an empty list the UI would take for "the gateway offers nothing"; once logged on,
 * the gateway's lists. Against the real gateway, the real keychain and the real posture agent.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostureAgent } from '../../agent/collect.ts';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import { ClientCore } from '../core.ts';
import { createCallHandler } from '../ipc/handler.ts';
import { DeviceKeychain } from '../keychain/device-identity.ts';
import { KeytarStore } from '../keychain/secret-store.ts';

const hasSession = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;
const APP = 'app://parley';

describe.runIf(hasSession)('reference data before and after logon', () => {
  let t: TestGateway;
  let core: ClientCore;
  let work: string;
  let handle: ReturnType<typeof createCallHandler>;
  const profile = `lists-${randomUUID()}`;

  const bothRefused = async (when: string) => {
    await expect(core.services.listInstruments(), when).rejects.toMatchObject({ code: 'not-connected' });
    await expect(core.services.listDealers(), when).rejects.toMatchObject({ code: 'not-connected' });
    for (const call of ['listInstruments', 'listDealers']) {
      expect(await handle({ url: `${APP}/index.html`, topFrame: true }, { call, request: {} }), `${when}: ${call}`).toMatchObject({ ok: false, error: { code: 'not-connected' } });
    }
  };

  beforeAll(async () => {
    t = await startTestGateway({ posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 } }, { users: ['alice'] });
    work = mkdtempSync(path.join(tmpdir(), 'parley-lists-'));
    writeFileSync(path.join(work, 'ca.pem'), t.pki.caCertPem);
    writeFileSync(path.join(work, 'policy.json'), JSON.stringify({
      gateway: { host: '127.0.0.1', port: t.gw.fixPort, compId: t.gw.cfg.fix.compId },
      caBundle: path.join(work, 'ca.pem'),
      enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
    }));
    core = new ClientCore({
      dataDir: path.join(work, 'client'),
      policyPath: path.join(work, 'policy.json'),
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: profile,
    });
    handle = createCallHandler({ services: core.services, allowedOrigins: [APP], log: { warn: () => {}, error: () => {} } });
  }, 120_000);

  afterAll(async () => {
    await core?.services.signOut().catch(() => {});
    await core?.stop();
    await new DeviceKeychain(new KeytarStore(), profile).clear().catch(() => {});
    await t?.close();
    if (work) rmSync(work, { recursive: true, force: true });
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
