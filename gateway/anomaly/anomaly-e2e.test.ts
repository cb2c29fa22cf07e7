/**
 * Anomaly rules over the real gateway (mutual TLS, real FIX sessions, the test GeoIP file), in enforce and in
 * log-only mode:
 *   impossible travel  bob's last logon was in JP ten minutes ago (the gateway's persisted history); the GeoIP
 *                      file puts 127.0.0.0/8 in GB. Enforce: the logon is denied with the anomaly factor (70 with
 *                      the password, 45 even with TOTP). Log-only: the usual step-up and allow, the finding audited.
 *   notional           alice's history is ten 1,000,000 RFQs; a 40,000,000 RFQ (below the policy's step-up limit)
 *                      is held for a fresh second factor under enforce, goes straight to the dealers in log-only.
 *   off hours          dave's 30 earlier logons were all twelve hours (UTC) away from now: +15 under enforce.
 *   password spraying  five logons with unknown user names from 127.0.0.1 (alice's certificate); then carol's own
 *                      logon from that address carries +30 (enforce) or nothing (log-only). Runs last: it taints
 *                      the address for the rest of the gateway's life.
 *   RFQ rate           the 21st RFQ in the window (alice's norm: 2) adds 20 more: the re-score reaches denyAt and
 *                      the session ends, both anomaly factors in the Logout. Log-only: the session goes on.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG, readLogoutDecision, readStepUpChallenge, readStepUpResult, stepUpResponseFields } from '../../fix/parley-protocol.ts';
import { MsgType, Tag, writeQuoteRequest } from '../../fix/protocol/index.ts';
import type { GatewayConfigInput } from '../config.ts';
import { freshTotp, loggedIn, startTestGateway, type TestGateway } from '../session/test-gateway.ts';
import { buildMmdb } from '../testing/mmdb.ts';

type Mode = 'enforce' | 'log-only';
const dir = mkdtempSync(join(tmpdir(), 'parley-anomaly-e2e-'));
const mmdb = join(dir, 'geo.mmdb');
beforeAll(async () => { await buildMmdb(mmdb, { '127.0.0.0/8': 'GB' }); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function seedHistory(file: string): void {
  const window = Math.floor(Date.now() / 3_600_000);
  writeFileSync(file, JSON.stringify({
    version: 1,
    users: {
      bob: { logons: [{ at: Date.now() - 10 * 60_000, country: 'JP' }], notionals: [], windows: {} },
      // dave always logs on twelve hours (UTC) away from now, from GB.
      dave: { logons: Array.from({ length: 30 }, (_, i) => ({ at: Date.now() - (i + 1) * 86_400_000 + 12 * 3_600_000, country: 'GB' })), notionals: [], windows: {} },
      alice: {
        logons: [], notionals: Array(10).fill(1_000_000),
        windows: { CreateRfq: Object.fromEntries([1, 2, 3, 4, 5].map((k) => [String(window - k * 24), 2])) },
      },
    },
  }));
}

function config(mode: Mode, historyFile: string): GatewayConfigInput {
  return {
    geoip: { mmdb },
    anomaly: {
      historyFile,
      impossibleTravel: { mode },
      notional: { mode, score: 30 },
      rate: { mode, score: 20, windowSec: 3600, minCount: 20 },
      passwordSpray: { mode, score: 30, distinctUsers: 5 },
      offHours: { mode, score: 15 },
    },
  };
}

function auditEntries(t: TestGateway, type: string): Record<string, unknown>[] {
  return readFileSync(t.gw.auditLog.file, 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> }).filter((e) => e.type === type).map((e) => e.data);
}

async function auditFinding(t: TestGateway, rule: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 400; i++) {
    const f = auditEntries(t, 'anomaly.detected').find((d) => d.rule === rule);
    if (f) return f;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no anomaly.detected for ${rule} in the audit log`);
}

const rfq = (id: string, qty: number) => writeQuoteRequest({ quoteReqId: id, symbol: 'US912828ZT0', side: 'buy', qty });

for (const mode of ['enforce', 'log-only'] as const) {
  describe(`anomaly rules over the gateway, ${mode}`, () => {
    let t: TestGateway;
    beforeAll(async () => {
      const historyFile = join(dir, `history-${mode}.json`);
      seedHistory(historyFile);
      t = await startTestGateway(config(mode, historyFile), { users: ['alice', 'bob', 'carol', 'dave'] });
    });
    afterAll(async () => { await t?.close(); });

    it('impossible travel JP → GB in ten minutes', async () => {
      if (mode === 'enforce') {
        const c = await t.connect('bob');
        await c.closed();
        const d = readLogoutDecision(c.logoutMessage!)!;
        expect(d.decision).toBe('deny');
        const f = d.factors.find((x) => x.name === 'anomaly');
        expect(f?.score).toBe(40);
        expect(f?.condition.startsWith('impossible travel JP to GB: ')).toBe(true);
        expect(d.score).toBe(70);
      } else {
        const c = await loggedIn(t, 'bob');
        await c.close();
      }
      const found = await auditFinding(t, 'impossible-travel');
      expect(found).toMatchObject({ mode, user: 'bob', from: 'JP', to: 'GB', score: 40 });
      expect(auditEntries(t, 'alert').some((a) => a.kind === 'anomaly.impossible-travel')).toBe(mode === 'enforce');
    });

    it('a notional far above the user\'s own, then an RFQ burst far above the user\'s rate', async () => {
      const c = await loggedIn(t, 'alice');
      c.send(MsgType.QuoteRequest, rfq('BIG', 40_000_000));
      if (mode === 'enforce') {
        const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
        expect(ch).toMatchObject({ scope: 'action', requestRef: 'BIG' });
        c.send(MSG.StepUpResponse, stepUpResponseFields({ challengeId: ch.challengeId, method: 'totp', code: freshTotp(t.users.alice!) }));
        expect(readStepUpResult(await c.waitFor(MSG.StepUpResult))).toMatchObject({ result: 'success' });
      }
      // The held RFQ goes on after the step-up; in log-only it was never held.
      const q = await c.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === 'BIG');
      expect(q.get(Tag.QuoteReqID)).toBe('BIG');
      expect(await auditFinding(t, 'notional')).toMatchObject({ mode, user: 'alice', notional: 40_000_000, median: 1_000_000, score: 30 });

      for (let i = 1; i <= 20; i++) c.send(MsgType.QuoteRequest, rfq(`S-${i}`, 1_000_000));
      expect(await auditFinding(t, 'rate')).toMatchObject({ mode, user: 'alice', count: 21, median: 2 });
      if (mode === 'enforce') {
        await c.closed();
        const d = readLogoutDecision(c.logoutMessage!)!;
        expect(d.decision).toBe('ended');
        expect(d.factors.filter((f) => f.name === 'anomaly').map((f) => f.score)).toEqual([30, 20]);
        expect(d.score).toBeGreaterThanOrEqual(40);
      } else {
        // Nothing held, nothing ended: the last RFQ of the burst is quoted and the session goes on.
        await c.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === 'S-20');
        c.send(MsgType.QuoteRequest, rfq('AFTER', 1_000_000));
        await c.waitFor(MsgType.Quote, (m) => m.get(Tag.QuoteReqID) === 'AFTER');
        expect(auditEntries(t, 'session.ended')).toHaveLength(0);
        await c.close();
      }
    });

    it('a logon outside the user\'s usual hours', async () => {
      const c = await t.connect('dave');
      const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
      const anomaly = ch.factors.find((f) => f.name === 'anomaly');
      if (mode === 'enforce') {
        expect(anomaly?.score).toBe(15);
        expect(ch.score).toBe(45);
      } else {
        expect(anomaly).toBeUndefined();
        expect(ch.score).toBe(30);
      }
      expect(await auditFinding(t, 'off-hours')).toMatchObject({ mode, user: 'dave', within: 0, logons: 30 });
      await c.close();
    });

    it('password spraying from one address across users', async () => {
      for (const u of ['x1', 'x2', 'x3', 'x4', 'x5']) {
        const c = await t.connect(u, { compId: 'ALICE', password: 'guess' });
        await c.closed();
      }
      expect(await auditFinding(t, 'password-spray')).toMatchObject({ mode, ip: '127.0.0.1', users: 5 });
      // carol: no earlier anomaly of her own (alice's from the test before still count for activeSec).
      const c = await t.connect('carol');
      const ch = readStepUpChallenge(await c.waitFor(MSG.StepUpChallenge));
      const anomaly = ch.factors.find((f) => f.name === 'anomaly');
      if (mode === 'enforce') {
        expect(anomaly?.score).toBe(30);
        expect(anomaly?.condition.startsWith('password spraying from 127.0.0.1: 5 users')).toBe(true);
        expect(ch.score).toBe(60);
      } else {
        expect(anomaly).toBeUndefined();
        expect(ch.score).toBe(30);
      }
      await c.close();
    });
  });
}
