/**
 * Issue 3's done-when, end to end on real parts: a client driven by fix/'s FIXS initiator enrolls over HTTPS
 * (CSR → certificate), logs on with password and an attestation bound to its TLS channel, is challenged, answers
 * with TOTP, creates an RFQ, gets the dealers' quotes, hits one and sees the trade (also in the history); a posture
 * lapse ends a live session; the audit log verifies and detects tampering.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, TAG, readSecurityStatus, readStepUpChallenge, readStepUpResult, readDealerList, stepUpResponseFields, utcTimestamp } from '../fix/parley-protocol.ts';
import { verifyAuditLog } from './audit/log.ts';
import { testCsr } from './enroll/test-pki.ts';
import { postureReport, totpCode } from './session/test-client.ts';
import { startTestGateway, type TestGateway } from './session/test-gateway.ts';

let t: TestGateway;

function post(port: number, ca: string, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', ca, servername: 'localhost',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

beforeAll(async () => {
  t = await startTestGateway({ attestation: { reattestIntervalSec: 600, graceSec: 0 } }, { users: ['alice'] });
});
afterAll(async () => { await t?.close(); });

describe('gateway end to end', () => {
  it('enroll → logon → TOTP step-up → RFQ → quotes → hit → execution → history', async () => {
    const alice = t.users.alice!;
    // 1. Enrollment: IT issues a one-time token; the client sends a CSR and gets a short-lived certificate.
    const { token } = t.gw.tokens.issue({ user: 'alice', compId: alice.compId, ttlMs: 600_000 });
    const { csr, key } = await testCsr();
    const enrolled = await post(t.gw.enrollPort, t.pki.caCertPem, '/v1/enroll', { token, csr });
    expect(enrolled.status).toBe(200);
    expect(enrolled.json.compId).toBe('ALICE');
    expect((await post(t.gw.enrollPort, t.pki.caCertPem, '/v1/enroll', { token, csr })).status).toBe(401);

    // 2. Logon with the enrolled certificate, password and attestation: password only scores 30 → step-up.
    const c = await t.connect('alice', { cert: enrolled.json.certificate as string, key });
    const challengeMsg = await c.waitFor(MSG.StepUpChallenge);
    expect(c.logonReply?.get(TAG.Decision)).toBe('STEP_UP');
    const ch = readStepUpChallenge(challengeMsg);
    expect(ch.methods).toEqual(['totp']);
    expect(ch.scope).toBe('logon');
    expect(ch.attemptsLeft).toBe(3);
    expect(ch.factors.find((f) => f.name === 'authentication')).toMatchObject({ condition: 'password only', score: 30 });
    expect(ch.requiredAcr).toBe('urn:parley:acr:mfa');

    // 3. While challenged, trading is refused with a clear reason.
    c.send('R', [{ tag: 131, value: 'EARLY' }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 38, value: '1000000' }]);
    const early = await c.waitFor('j');
    expect(early.get(58)).toMatch(/step-up authentication required/);
    expect(early.get(TAG.Decision)).toBe('STEP_UP');

    // 4. A wrong code costs an attempt; the right one re-scores to allow.
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: '000000' === totpCode(alice.totpSecret) ? '111111' : '000000' }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'failed', attemptsLeft: 2 });
    c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: totpCode(alice.totpSecret) }));
    expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
    const allowed = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
    expect(allowed).toMatchObject({ decision: 'allow', scope: 'logon', score: 5, role: 'Trader' });
    expect(allowed.attestDeadline).toBeInstanceOf(Date);
    const instruments = await c.waitFor('y');
    expect(Number(instruments.get(146))).toBeGreaterThan(0);
    expect(readDealerList(await c.waitFor(MSG.DealerList)).map((d) => d.name)).toEqual(['DLR1', 'DLR2', 'DLR3']);

    // 5. RFQ → one quote per dealer, each with ValidUntilTime.
    c.send('R', [{ tag: 131, value: 'RFQ-1' }, { tag: 146, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 54, value: '1' }, { tag: 38, value: '1000000' }]);
    const quotes = [await c.waitFor('S'), await c.waitFor('S'), await c.waitFor('S')];
    expect(new Set(quotes.map((q) => q.get(TAG.Dealer)))).toEqual(new Set(['DLR1', 'DLR2', 'DLR3']));
    for (const q of quotes) {
      expect(q.get(131)).toBe('RFQ-1');
      expect(Number(q.get(133))).toBeGreaterThan(Number(q.get(132)));
      expect(q.get(62)! > utcTimestamp(new Date())).toBe(true);
    }

    // 6. Hit the best offer → ExecutionReport (trade); the same QuoteRespID again → that trade's report again (issue
    // 19 item 3: a retried hit is answered with its trade), never a second trade.
    const best = quotes.reduce((b, q) => (Number(q.get(133)) < Number(b.get(133)) ? q : b));
    const hit = [{ tag: 693, value: 'HIT-1' }, { tag: 117, value: best.get(117)! }, { tag: 694, value: '1' }, { tag: 54, value: '1' }, { tag: 55, value: 'US912828ZT0' }, { tag: 38, value: '1000000' }];
    c.send('AJ', hit);
    const exec = await c.waitFor('8');
    expect(exec.get(150)).toBe('F');
    expect(exec.get(39)).toBe('2');
    expect(exec.get(31)).toBe(best.get(133));
    expect(exec.get(TAG.Dealer)).toBe(best.get(TAG.Dealer));
    c.send('AJ', hit);
    const dup = await c.waitFor('8');
    expect(dup.get(150)).toBe('F');
    expect([dup.get(17), dup.get(37)]).toEqual([exec.get(17), exec.get(37)]);
    const other = quotes.find((q) => q !== best)!;
    c.send('AJ', [{ tag: 693, value: 'HIT-2' }, { tag: 117, value: other.get(117)! }, { tag: 694, value: '1' }]);
    expect((await c.waitFor('8')).get(58)).toMatch(/already traded/);
    c.send('AJ', [{ tag: 693, value: 'HIT-3' }, { tag: 117, value: 'Q-UNKNOWN' }, { tag: 694, value: '1' }]);
    expect((await c.waitFor('8')).get(58)).toMatch(/unknown quote/);

    // 7. History: TradeCaptureReportRequest → ack + exactly one trade.
    c.send('AD', [{ tag: 568, value: 'H-1' }, { tag: 569, value: '0' }]);
    const ack = await c.waitFor('AQ');
    expect(ack.get(748)).toBe('1');
    const report = await c.waitFor('AE');
    expect(report.get(571)).toBe(exec.get(37));
    expect(report.get(912)).toBe('Y');
    expect(t.gw.desk.trades.query({ user: 'alice' })).toHaveLength(1);

    // 8. A fresh attestation keeps the session allowed; a failing one (disk not encrypted) ends it at once.
    c.send(MSG.Attestation, [{ tag: TAG.Attestation, value: await c.attestation() }]);
    expect(readSecurityStatus(await c.waitFor(MSG.SecurityStatus))).toMatchObject({ decision: 'allow', scope: 'reattest' });
    c.send(MSG.Attestation, [{ tag: TAG.Attestation, value: await c.attestation(postureReport({ encrypted: false })) }]);
    const ended = readSecurityStatus(await c.waitFor(MSG.SecurityStatus));
    expect(ended).toMatchObject({ decision: 'ended', scope: 'posture' });
    expect(ended.text).toMatch(/disk/);
    await c.closed();
    expect(c.logoutText).toMatch(/session ended: device no longer compliant/);
  });

  it('the audit log verifies, and detects an edited line', async () => {
    // Let the previous test's last events land first.
    for (let i = 0; i < 50 && !readFileSync(t.gw.cfg.paths.audit, 'utf8').includes('"session.closed"'); i++) await new Promise((r) => setTimeout(r, 100));
    const file = t.gw.cfg.paths.audit;
    const text = readFileSync(file, 'utf8');
    for (const type of ['enroll.issued', 'logon.decision', 'stepup.challenge', 'stepup.failed', 'stepup.success', 'access.decision', 'trade.executed', 'posture.result', 'alert']) {
      expect(text, type).toContain(`"type":"${type}"`);
    }
    expect(await verifyAuditLog(file)).toMatchObject({ ok: true });
    const copy = `${file}.tampered`;
    writeFileSync(copy, text.replace('"decision":"step-up"', '"decision":"allow"'));
    const v = await verifyAuditLog(copy);
    expect(v.ok).toBe(false);
  });
});
