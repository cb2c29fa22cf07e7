/**
 * ConnectionEvent.ended: how a session ended, as the client core tells the screens. The mapping from the
 * gateway's structured end (and from an older gateway's scope, and from a close without a Logout); then the
 * REAL gateway, REAL keychain and REAL posture agent: an IT kill reads "ended by IT" with IT's reason on every
 * state until the session is back (never the network's "nothing is lost"), one 'session' notice in words; a cut
 * reads network-lost; a revocation reads certificate-revoked with IT's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshTotp, startTestGateway, type TestGateway } from '../../gateway/session/test-gateway.ts';
import type { LogoutDecision } from '../../fix/parley-protocol.ts';
import type { ClientCore } from '../core.ts';
import type { ConnectionEvent, EventEnvelope, Notification } from '../ipc/contract.ts';
import { hasSecretService, startClientCore, until, type TestClientCore } from '../testing/client-core.ts';
import { startProxy } from '../testing/proxy.ts';
import { sessionEndOf } from './session-end.ts';

const at = new Date('2026-12-03T10:00:00Z');
const ended = (d: Partial<LogoutDecision>): LogoutDecision => ({ decision: 'ended', scope: 'policy', factors: [], ...d });

describe('sessionEndOf', () => {
  it('reads who acted from the structured end, whatever the scope says', () => {
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ end: { by: 'it', detail: 'suspicious activity' } }) }, at))
      .toEqual({ cause: 'ended-by-it', detail: 'suspicious activity', at: at.toISOString() });
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ scope: 'revocation', end: { by: 'revocation', detail: 'stolen' } }) }, at)?.cause).toBe('certificate-revoked');
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ end: { by: 'policy' } }) }, at)).toEqual({ cause: 'policy-denied', at: at.toISOString() });
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ scope: 'posture', end: { by: 'posture' } }) }, at)?.cause).toBe('posture-lapsed');
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ end: { by: 'step-up' } }) }, at)?.cause).toBe('step-up-failed');
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ end: { by: 'shutdown', detail: 'the gateway is shutting down' } }) }, at)?.cause).toBe('network-lost');
  });

  it('an older gateway: the scope, with the policy reason; no Logout at all is the network', () => {
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ scope: 'posture', reason: 'stale' }) }, at)).toEqual({ cause: 'posture-lapsed', detail: 'stale', at: at.toISOString() });
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ reason: 'denied: score 60' }) }, at)?.cause).toBe('policy-denied');
    expect(sessionEndOf({ wasLoggedOn: true, decision: undefined }, at)).toEqual({ cause: 'network-lost', at: at.toISOString() });
  });

  it('a refused Logon is no end unless the certificate is revoked; a detail is trimmed and bounded', () => {
    expect(sessionEndOf({ wasLoggedOn: false, decision: { decision: 'deny', scope: 'logon', factors: [], reason: 'invalid username or password' } }, at)).toBeUndefined();
    expect(sessionEndOf({ wasLoggedOn: false, decision: undefined }, at)).toBeUndefined();
    expect(sessionEndOf({ wasLoggedOn: false, decision: { decision: 'deny', scope: 'revocation', factors: [] } }, at)?.cause).toBe('certificate-revoked');
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ end: { by: 'it', detail: `  ${'x'.repeat(5_000)}  ` } }) }, at)?.detail).toHaveLength(500);
    expect(sessionEndOf({ wasLoggedOn: true, decision: ended({ end: { by: 'it', detail: '   ' } }) }, at)).toEqual({ cause: 'ended-by-it', at: at.toISOString() });
  });
});

describe.runIf(hasSecretService)('the client core says how its session ended (real gateway)', () => {
  let t: TestGateway;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let client: TestClientCore | undefined;
  let core: ClientCore;
  const events: EventEnvelope[] = [];
  const connections = () => events.filter((e) => e.event === 'connection').map((e) => e.payload as ConnectionEvent);
  const notices = () => events.filter((e) => e.event === 'notification').map((e) => e.payload as Notification);

  /** Answers the pending logon step-up, then waits until connected. */
  async function stepUpToConnected(): Promise<void> {
    const c = await until(async () => (await core.services.getState()).pendingStepUp ?? undefined, 'the step-up challenge', 60_000);
    expect((await core.services.answerStepUp({ challengeId: c.challengeId, method: 'totp', code: freshTotp(t.users.alice!) })).outcome).toBe('accepted');
    await until(() => core.connection.state === 'connected', 'connected', 60_000);
  }

  beforeAll(async () => {
    t = await startTestGateway({ posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 } }, { users: ['alice'] });
    proxy = await startProxy(t.gw.fixPort);
    client = startClientCore({ pki: t.pki, gw: { fixPort: proxy.port, enrollPort: t.gw.enrollPort, cfg: t.gw.cfg } }, { name: 'session-end' });
    core = client.core;
    core.events.subscribe((e) => events.push(e));
    await core.start();
    await core.services.enroll({ token: t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 }).token });
    const r = await core.services.signIn({ username: 'alice', password: t.users.alice!.password });
    if (r.state === 'challenged') await stepUpToConnected();
    await until(() => core.connection.state === 'connected', 'connected', 60_000);
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await proxy?.close();
    await t?.close();
  });

  it('an IT kill: ended by IT with its reason on every state until the session is back, one session notice', async () => {
    const from = events.length;
    expect(core.connection.ended).toBeUndefined();
    expect(await t.gw.manager.kill({ user: 'alice' }, 'suspicious activity')).toHaveLength(1);
    // The gateway forgot alice's step-up with the kill: signing in again asks for one.
    await until(() => core.connection.state === 'challenged', 'challenged again', 60_000);
    const after = () => events.slice(from).filter((e) => e.event === 'connection').map((e) => e.payload as ConnectionEvent);
    const states = after();
    expect(states.length).toBeGreaterThan(0);
    for (const s of states) {
      expect(s.ended, JSON.stringify(s)).toMatchObject({ cause: 'ended-by-it', detail: 'suspicious activity' });
    }
    expect(states.map((s) => s.state)).toContain('reconnecting');
    const sessionNotices = events.slice(from).filter((e) => e.event === 'notification').map((e) => e.payload as Notification).filter((n) => n.topic === 'session');
    expect(sessionNotices.map((n) => [n.title, n.message])).toEqual([['Session ended', 'IT ended the session: suspicious activity']]);
    await stepUpToConnected();
    expect(core.connection.ended).toBeUndefined();
    expect((await core.services.getState()).connection.ended).toBeUndefined();
  });

  it('a cut connection: network-lost while reconnecting, cleared once connected', async () => {
    const from = connections().length;
    proxy.cut();
    await until(() => connections().slice(from).some((c) => c.ended?.cause === 'network-lost'), 'network-lost', 60_000);
    await until(() => core.connection.state === 'connected' || core.connection.state === 'challenged', 'back', 60_000);
    if (core.connection.state === 'challenged') await stepUpToConnected();
    for (const c of connections().slice(from).filter((x) => x.state !== 'connected')) expect(c.ended?.cause, JSON.stringify(c)).toBe('network-lost');
    expect(core.connection.ended).toBeUndefined();
  });

  it('a revocation: certificate revoked with IT\'s reason, enrollment needed', async () => {
    const serial = (await core.services.getSecurity()).certificate!.serialNumber;
    await t.gw.revoke(serial, 'laptop reported stolen', 'test');
    await until(() => core.connection.state === 'enrollment-needed', 'enrollment-needed', 60_000);
    expect(core.connection.ended).toMatchObject({ cause: 'certificate-revoked', detail: 'laptop reported stolen' });
    expect(notices().filter((n) => n.topic !== 'session' && /revoked/.test(n.message))).toEqual([]);
  });
});
