/**
 * TOTP replay across a gateway restart (issue 10 item 9), over mutual TLS: a code used for a step-up before the
 * restart is refused after it, and refused exactly as a wrong code is (same result, same words, an attempt spent);
 * the audit alone says it was a replay.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, readStepUpChallenge, readStepUpResult, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { Gateway } from '../server.ts';
import { TestClient, totpCode } from '../session/test-client.ts';
import { startTestGateway, type TestGateway } from '../session/test-gateway.ts';

let t: TestGateway;
let restarted: Gateway | undefined;
beforeAll(async () => { t = await startTestGateway({}, { memoryStores: true, users: ['alice'] }); });
afterAll(async () => { await restarted?.close(); await t?.close(); });

function connect(gw: Gateway): Promise<TestClient> {
  const leaf = t.pki.clients.ALICE!.ec;
  return TestClient.connect({ port: gw.fixPort, ca: t.pki.caCertPem, cert: leaf.certPem, key: leaf.keyPem, compId: 'ALICE', username: 'alice', password: t.users.alice!.password });
}

async function answer(c: TestClient, challengeId: string, code: string) {
  c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId, method: 'totp', code }));
  return readStepUpResult(await c.waitFor(MSG.StepUpResult));
}

describe('TOTP replay state survives a restart', () => {
  it('a code used before the restart is answered after it exactly like a wrong code', async () => {
    const secret = t.users.alice!.totpSecret;
    const used = totpCode(secret, Date.now());
    const first = await connect(t.gw);
    const ch1 = readStepUpChallenge(await first.waitFor(MSG.StepUpChallenge));
    expect(await answer(first, ch1.challengeId, used)).toMatchObject({ result: 'success' });
    await first.close();

    const cfg = t.gw.cfg;
    await t.gw.close();
    restarted = await Gateway.start(cfg, { log: () => {}, memoryStores: true });
    const again = await connect(restarted);
    const ch = readStepUpChallenge(await again.waitFor(MSG.StepUpChallenge));
    const replayed = await answer(again, ch.challengeId, used);
    const wrong = await answer(again, ch.challengeId, used === '000000' ? '111111' : '000000');
    expect(replayed).toEqual({ challengeId: ch.challengeId, result: 'failed', attemptsLeft: ch.attemptsLeft - 1, text: 'wrong code' });
    expect(wrong).toEqual({ challengeId: ch.challengeId, result: 'failed', attemptsLeft: ch.attemptsLeft - 2, text: 'wrong code' });
    // the next step's code still works
    expect(await answer(again, ch.challengeId, totpCode(secret, Date.now() + 30_000))).toMatchObject({ result: 'success' });
    await again.close();
    // only the audit tells the replay from the wrong code
    let audit = '';
    for (let i = 0; i < 200 && !/"replayed":true/.test(audit); i++) { audit = readFileSync(cfg.paths.audit, 'utf8'); await new Promise((r) => setTimeout(r, 50)); }
    expect(audit).toMatch(/"type":"stepup.failed".*"reason":"wrong code".*"replayed":true/);
  });
});
