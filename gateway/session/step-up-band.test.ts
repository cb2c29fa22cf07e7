/**
 * The step-up band (20–39) means "allowed once a step-up is satisfied": a session whose re-score after a
 * correct second factor is still in the band goes on (it used to be ended, and its second factor forgotten, so
 * the client's automatic reconnect was scored password-only). Only a re-score at or above denyAt ends it.
 * Against a real gateway over mutual TLS, with a risk table where TOTP alone leaves a logon in the band.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, TAG, decisionToWire, readSecurityStatus, readStepUpChallenge, readStepUpResult, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { freshTotp, startTestGateway, type TestGateway } from './test-gateway.ts';

describe('a satisfied step-up in the step-up band', () => {
  let t: TestGateway;
  beforeAll(async () => {
    // TOTP scores 20 here: password 30 → step-up; after TOTP the re-score is 20, still in the band.
    t = await startTestGateway({ risk: { auth: { totp: 20 } } }, { memoryStores: true, users: ['alice'] });
  });
  afterAll(async () => { await t?.close(); });

  it('continues the session after TOTP (re-score 20 < denyAt), and the reconnect within the max age is allowed unasked', async () => {
    const c = await t.connect('alice');
    const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: freshTotp(t.users.alice!) }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
    expect(readSecurityStatus(await c.waitFor(MSG.SecurityStatus))).toMatchObject({ decision: 'allow', scope: 'logon', score: 20 });
    c.send('x', [{ tag: 320, value: 'BAND-1' }, { tag: 559, value: '4' }]);
    await c.waitFor('y', (m) => m.get(320) === 'BAND-1');

    // The connection drops: the second factor was remembered, so the new logon is not password-only.
    c.conn.socket.destroy();
    await c.closed();
    const again = await t.connect('alice');
    const relog = await again.waitFor('A');
    expect([relog.get(TAG.Decision), relog.get(TAG.RiskScore)]).toEqual([decisionToWire('allow'), '20']);
    expect(again.received.some((m) => m.msgType === MSG.StepUpChallenge)).toBe(false);
    await again.close();
  });
});
