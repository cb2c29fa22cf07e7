/**
 * Who ended a session, on the wire: against a real gateway over mutual TLS, each way a session ends — an IT
 * kill and a revocation through the admin contract, a disabled user, a posture lapse, a gateway shutdown —
 * carries ParleyEndedBy / ParleyEndDetail / ParleyNextStep on both the UB ENDED and the Logout, with the
 * actor's own reason (not the serial, not the scope). The scope stays what it was (older clients read it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, TAG, readLogoutDecision, readSecurityStatus } from '../../fix/parley-protocol.ts';
import { gatewayContext } from '../admin/live.ts';
import { run } from '../admin/dispatch.ts';
import type { TestClient } from './test-client.ts';
import { loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({}, { memoryStores: true, users: ['alice', 'bob', 'carol', 'dave', 'erin'] });
});
afterAll(async () => { await t?.close(); });

/** The UB ENDED and the Logout that follow an end: both must say the same. */
async function endOf(c: TestClient) {
  const ub = readSecurityStatus(await c.waitFor(MSG.SecurityStatus, (m) => readSecurityStatus(m).decision === 'ended', 20_000));
  await c.closed();
  const logout = readLogoutDecision(c.logoutMessage!);
  expect(logout?.end).toEqual(ub.end);
  return { ub, logout: logout! };
}

describe('the end of a session says who acted', () => {
  it('an IT kill: IT, with the reason IT typed, sign in again', async () => {
    const c = await loggedIn(t, 'alice');
    const r = await run(gatewayContext(t.gw), 'sessions.kill', { user: 'alice', reason: 'suspicious activity' });
    expect(r.ended).toHaveLength(1);
    const { logout } = await endOf(c);
    expect(logout).toMatchObject({ decision: 'ended', scope: 'policy', end: { by: 'it', detail: 'suspicious activity', next: 'sign-in' } });
  });

  it('a revocation: IT revoked the device, with its reason (not the serial), enroll again', async () => {
    const c = await loggedIn(t, 'bob');
    const serial = t.pki.clients.BOB!.ec.serialNumber;
    await run(gatewayContext(t.gw), 'certs.revoke', { serial, reason: 'laptop reported stolen', by: 'test' });
    const { logout } = await endOf(c);
    expect(logout).toMatchObject({ decision: 'ended', scope: 'revocation', end: { by: 'revocation', detail: 'laptop reported stolen', next: 'enroll' } });
  });

  it('a disabled user: IT, contact IT', async () => {
    const c = await loggedIn(t, 'carol');
    await run(gatewayContext(t.gw), 'users.set-disabled', { user: 'carol', disabled: true });
    const { logout } = await endOf(c);
    expect(logout.end).toEqual({ by: 'it', detail: 'IT disabled this user', next: 'contact-it' });
  });

  it('a posture lapse (a refused re-attestation): the device check, fix the device', async () => {
    const c = await loggedIn(t, 'dave');
    c.send(MSG.Attestation, [{ tag: TAG.Attestation, value: 'not-a-jws' }]);
    const { logout } = await endOf(c);
    expect(logout).toMatchObject({ scope: 'posture', end: { by: 'posture', next: 'fix-device' } });
    expect(logout.end?.detail).toMatch(/^attestation refused/);
  });

  it('a gateway shutdown: the gateway, the client reconnects by itself', async () => {
    const own = await startTestGateway({}, { memoryStores: true, users: ['erin'] });
    try {
      const c = await loggedIn(own, 'erin');
      const closing = own.gw.close();
      const { logout } = await endOf(c);
      await closing;
      expect(logout.end).toEqual({ by: 'shutdown', detail: 'the gateway is shutting down', next: 'reconnect' });
    } finally {
      await own.close().catch(() => {});
    }
  });
});
