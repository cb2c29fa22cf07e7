/**
 * The client core end to end against the REAL gateway (gateway/server.ts with a fresh dev PKI), the REAL
 * keychain (Secret Service) and the REAL posture agent: from a fresh data folder it enrolls, logs on with
 * posture, passes a TOTP step-up, trades an RFQ, survives a cut connection, and a revoked certificate
 * ends in a clear state. A broken policy file is a clear config-error.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostureAgent } from '../agent/collect.ts';
import { freshTotp, startTestGateway, type TestGateway } from '../gateway/session/test-gateway.ts';
import { ClientCore } from './core.ts';
import type { EventEnvelope, Execution, OpenRfq, Rfq, StepUpChallenge } from './ipc/contract.ts';
import { createCallHandler } from './ipc/handler.ts';
import { DeviceKeychain } from './keychain/device-identity.ts';
import { KeytarStore } from './keychain/secret-store.ts';
import { Backoff } from './session/backoff.ts';
import { businessDayAfter } from './testing/dates.ts';
import { startProxy } from './testing/proxy.ts';
import { until } from './testing/until.ts';

const hasSession = process.platform !== 'linux' || !!process.env.DBUS_SESSION_BUS_ADDRESS;

/** The challenge the core currently holds (the newest one the gateway sent on this connection). */
async function pendingChallenge(core: ClientCore): Promise<StepUpChallenge> {
  for (let i = 0; i < 600; i++) {
    const c = (await core.services.getState()).pendingStepUp;
    if (c) return c;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out waiting for a step-up challenge');
}

describe('client core: broken policy file', () => {
  it('is a clear config-error state, not a crash', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-core-'));
    const policy = path.join(dir, 'policy.json');
    writeFileSync(policy, '{"gateway": {"host": "gw", "port": "eighty"}}');
    const core = new ClientCore({ dataDir: dir, policyPath: policy, host: 'preview', posture: { get: async () => { throw new Error('unused'); }, current: () => undefined } });
    const s = await core.start();
    expect(s).toMatchObject({ state: 'config-error', reason: expect.stringContaining(`${policy}: gateway.port:`) });
    await expect(core.services.signIn({ username: 'a', password: 'b' })).rejects.toMatchObject({ code: 'config-error' });
    await core.stop();
  });
});

describe.runIf(hasSession)('client core against the real gateway', () => {
  let t: TestGateway;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let core: ClientCore;
  let dataDir: string;
  const profile = `test-${randomUUID()}`;
  let policyPath: string;
  const events: EventEnvelope[] = [];
  const of = <T>(name: string) => events.filter((e) => e.event === name).map((e) => e.payload as T);

  beforeAll(async () => {
    // The gateway's own posture policy, relaxed only where this CI machine cannot comply (no disk encryption,
    // pending updates): the facts themselves come from the real agent.
    t = await startTestGateway({ posture: { requireDiskEncryption: false, maxDaysSinceLastPatch: 3650 } });
    proxy = await startProxy(t.gw.fixPort);
    dataDir = mkdtempSync(path.join(tmpdir(), 'parley-core-data-'));
    const caFile = path.join(dataDir, '..', `ca-${randomUUID()}.pem`);
    writeFileSync(caFile, t.pki.caCertPem);
    policyPath = path.join(path.dirname(caFile), `policy-${randomUUID()}.json`);
    writeFileSync(policyPath, JSON.stringify({
      gateway: { host: '127.0.0.1', port: proxy.port, compId: t.gw.cfg.fix.compId },
      caBundle: caFile,
      enrollmentUrl: `https://localhost:${t.gw.enrollPort}`,
      reattestIntervalSec: 60,
    }));
    core = new ClientCore({
      dataDir,
      policyPath,
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: profile,
      backoff: new Backoff({ baseMs: 200, maxMs: 1_000 }),
    });
    core.events.subscribe((e) => events.push(e));
    if (process.env.PARLEY_DEBUG) core.events.subscribe((e) => e.event === 'connection' || e.event === 'notification' || e.event === 'stepUpChallenge' ? console.log('EV', JSON.stringify(e)) : undefined);
  }, 120_000);

  afterAll(async () => {
    await core?.services.signOut().catch(() => {});
    await core?.stop();
    await new DeviceKeychain(new KeytarStore(), profile).clear();
    await proxy?.close();
    await t?.close();
  });

  it('from a fresh data folder: enrollment needed, then enrolls; the keychain holds the only copy of the key', async () => {
    expect(await core.start()).toMatchObject({ state: 'enrollment-needed' });
    const { token } = t.gw.tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 600_000 });
    const r = await core.services.enroll({ token });
    expect(r.subject).toMatch(/CN=ALICE/);
    expect((await core.services.getState()).enrolled).toBe(true);
    const sec = await core.services.getSecurity();
    expect(sec.certificate?.subject).toMatch(/ALICE/);
    // The key is in the keychain, and nowhere in the data folder (neither as PEM nor as its DER bytes).
    const stored = await new DeviceKeychain(new KeytarStore(), profile).load();
    const pem = stored!.key.tlsKey();
    const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const scalar = der.subarray(der.length - 100, der.length - 70);
    for (const f of readdirSync(dataDir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dataDir, f))) {
      if (!statSync(f).isFile()) continue;
      const bytes = readFileSync(f);
      expect(bytes.toString('latin1'), f).not.toMatch(/PRIVATE KEY/);
      expect(bytes.includes(scalar), f).toBe(false);
      expect(bytes.toString('latin1').includes(der.toString('base64').slice(40, 80)), f).toBe(false);
    }
  });

  it('a wrong password is denied with the gateway reason', async () => {
    const r = await core.services.signIn({ username: 'alice', password: 'not-her-password' });
    expect(r).toMatchObject({ state: 'denied', reason: expect.stringMatching(/.+/) });
    await core.services.signOut();
  });

  it('logs on with posture, is challenged and passes the TOTP step-up', async () => {
    const r = await core.services.signIn({ username: 'alice', password: t.users.alice!.password });
    expect(r.state, JSON.stringify(r)).toBe('challenged');
    const c = await pendingChallenge(core);
    expect(c.methods).toContain('totp');
    expect(c.reason.length).toBeGreaterThan(0);
    const res = await core.services.answerStepUp({ challengeId: c.challengeId, method: 'totp', code: freshTotp(t.users.alice!) });
    expect(res.outcome).toBe('accepted');
    await until(() => core.connection.state === 'connected', 'connected');
    const sec = await core.services.getSecurity();
    expect(sec.tls?.version).toBe('TLSv1.3');
    expect(sec.risk?.decision).toBe('allow');
    expect(sec.posture?.facts.length).toBeGreaterThan(5);
  });

  it('RFQ round trip with the dealer desk, idempotent on resubmission and on a repeated hit', async () => {
    const instruments = await core.services.listInstruments();
    expect(instruments.length).toBeGreaterThan(0);
    const req = { clientRfqId: `e2e-${randomUUID().slice(0, 8)}`, instrument: instruments[0]!.symbol, side: 'buy' as const, quantity: 1_000_000, settlementDate: businessDayAfter(), dealers: 'all' as const, expirySeconds: 60 };
    await core.services.createRfq(req);
    await core.services.createRfq(req);
    const rfq = await until(() => of<Rfq>('rfq').filter((r) => r.clientRfqId === req.clientRfqId && r.quotes.length >= 3).at(-1), 'three quotes');
    const best = rfq.quotes.reduce((a, b) => (b.price < a.price ? b : a));
    const hit = await core.services.hitQuote({ clientRfqId: req.clientRfqId, quoteId: best.quoteId });
    expect(hit).toMatchObject({ status: 'filled', execution: { settlementDate: req.settlementDate } });
    expect(await core.services.hitQuote({ clientRfqId: req.clientRfqId, quoteId: best.quoteId })).toMatchObject({ status: 'duplicate' });
    expect(of<Execution>('execution').filter((e) => e.clientRfqId === req.clientRfqId)).toHaveLength(1);
    const today = new Date().toISOString().slice(0, 10);
    const history = await core.services.queryHistory({ from: today, to: today });
    expect(history.filter((h) => h.clientRfqId === req.clientRfqId)).toHaveLength(1);
    expect(await core.services.queryHistory({ from: today, to: today, side: 'sell' })).not.toContainEqual(expect.objectContaining({ clientRfqId: req.clientRfqId }));
  });

  it('a risk officer sees all open RFQs read-only; a trader is refused', async () => {
    await expect(core.services.listOpenRfqs()).rejects.toMatchObject({ code: 'forbidden' });
    const ritaProfile = `test-${randomUUID()}`;
    const rita = new ClientCore({
      dataDir: mkdtempSync(path.join(tmpdir(), 'parley-core-rita-')),
      policyPath,
      host: 'preview',
      posture: new PostureAgent({ commandTimeoutMs: 10_000 }),
      secretStore: new KeytarStore(),
      keychainProfile: ritaProfile,
    });
    const seen: EventEnvelope[] = [];
    rita.events.subscribe((e) => seen.push(e));
    try {
      await rita.start();
      await rita.services.enroll({ token: t.gw.tokens.issue({ user: 'rita', compId: 'RITA', ttlMs: 600_000 }).token });
      expect((await rita.services.signIn({ username: 'rita', password: t.users.rita!.password })).state).toBe('challenged');
      const c = await pendingChallenge(rita);
      expect((await rita.services.answerStepUp({ challengeId: c.challengeId, method: 'totp', code: freshTotp(t.users.rita!) })).outcome).toBe('accepted');
      await until(() => rita.connection.state === 'connected', 'rita connected');
      const before = await rita.services.listOpenRfqs();
      const view = () => seen.filter((e) => e.event === 'openRfqs').at(-1)?.payload as OpenRfq[] | undefined;
      const instrument = (await core.services.listInstruments())[0]!.symbol;
      const id = `ro-${randomUUID().slice(0, 8)}`;
      const sentAt = Date.now();
      await core.services.createRfq({ clientRfqId: id, instrument, side: 'buy', quantity: 1_000_000, settlementDate: businessDayAfter(), dealers: 'all', expirySeconds: 60 });
      const row = await until(() => seen.filter((e) => e.event === 'openRfqs').flatMap((e) => e.payload as OpenRfq[]).find((r) => r.rfqId === id), 'the new RFQ in the risk view');
      expect(row).toMatchObject({ owner: 'alice', side: 'buy', quantity: 1_000_000, expiresAt: expect.any(String) });
      expect(before.some((r) => r.rfqId === id)).toBe(false);
      // The expiry the trader asked for (60 s), as the desk keeps it: not before the request, not much after.
      const expiresAt = Date.parse(row.expiresAt!);
      expect(expiresAt).toBeGreaterThan(sentAt + 55_000);
      expect(expiresAt).toBeLessThan(Date.now() + 65_000);

      // Cancelled by the trader: it leaves the risk view.
      await core.services.cancelRfq({ clientRfqId: id });
      await until(() => view() && !view()!.some((r) => r.rfqId === id), 'the cancelled RFQ gone from the risk view');

      // Traded: it shows while quoted, and leaves the view with the fill.
      const traded = `rt-${randomUUID().slice(0, 8)}`;
      await core.services.createRfq({ clientRfqId: traded, instrument, side: 'sell', quantity: 1_000_000, settlementDate: businessDayAfter(), dealers: 'all', expirySeconds: 60 });
      const quoted = await until(() => of<Rfq>('rfq').filter((r) => r.clientRfqId === traded && r.quotes.length >= 1).at(-1), 'a quote');
      await until(() => view()?.some((r) => r.rfqId === traded), 'the RFQ to trade in the risk view');
      expect((await core.services.hitQuote({ clientRfqId: traded, quoteId: quoted.quotes[0]!.quoteId })).status).toBe('filled');
      await until(() => view() && !view()!.some((r) => r.rfqId === traded), 'the traded RFQ gone from the risk view');
      const after = await rita.services.listOpenRfqs();
      expect(after.map((r) => r.rfqId)).not.toContain(id);
      expect(after.map((r) => r.rfqId)).not.toContain(traded);
    } finally {
      await rita.services.signOut().catch(() => {});
      await rita.stop();
      await new DeviceKeychain(new KeytarStore(), ritaProfile).clear();
    }
  });

  it('a connection cut mid-RFQ is resumed with nothing lost or duplicated', async () => {
    const req = { clientRfqId: `cut-${randomUUID().slice(0, 8)}`, instrument: (await core.services.listInstruments())[0]!.symbol, side: 'sell' as const, quantity: 2_000_000, settlementDate: businessDayAfter(), dealers: 'all' as const, expirySeconds: 60 };
    // The quotes are answered into a dead connection...
    proxy.state.blackhole = true;
    await core.services.createRfq(req);
    await new Promise((r) => setTimeout(r, 300));
    proxy.cut();
    proxy.state.blackhole = false;
    await until(() => of<{ state: string }>('connection').some((e) => e.state === 'reconnecting'), 'reconnecting');
    // The new connection is scored afresh (network, geography, posture), but the second factor proved with this
    // certificate is within the step-up max age: no new challenge.
    const seenBefore = of<{ state: string }>('connection').length;
    await until(() => core.connection.state === 'connected', 'reconnected', 60_000);
    expect(of<{ state: string }>('connection').slice(seenBefore).map((e) => e.state)).not.toContain('challenged');
    // ...and all arrive after the reconnect, through the resumed FIX session's resend.
    const rfq = await until(() => of<Rfq>('rfq').filter((r) => r.clientRfqId === req.clientRfqId && r.quotes.length >= 3).at(-1), 'the resent quotes');
    expect(new Set(rfq.quotes.map((q) => q.quoteId)).size).toBe(rfq.quotes.length);
    // A dropped connection leaves the RFQ open (only a Logout cancels it): the same RFQ is hit, and filled once.
    const hit = await core.services.hitQuote({ clientRfqId: req.clientRfqId, quoteId: rfq.quotes[0]!.quoteId });
    expect(hit.status, JSON.stringify(hit)).toBe('filled');
    expect(await core.services.hitQuote({ clientRfqId: req.clientRfqId, quoteId: rfq.quotes[0]!.quoteId })).toMatchObject({ status: 'duplicate' });
    expect(of<Execution>('execution').filter((e) => e.clientRfqId === req.clientRfqId)).toHaveLength(1);
    // The resumed session trades.
    const next = { ...req, clientRfqId: `after-${randomUUID().slice(0, 8)}` };
    await core.services.createRfq(next);
    const r2 = await until(() => of<Rfq>('rfq').filter((r) => r.clientRfqId === next.clientRfqId && r.quotes.length >= 1).at(-1), 'a quote after the reconnect');
    expect((await core.services.hitQuote({ clientRfqId: next.clientRfqId, quoteId: r2.quotes[0]!.quoteId })).status).toBe('filled');
  });

  it('the sender-frame check refuses a foreign frame', async () => {
    const handle = createCallHandler({ services: core.services, allowedOrigins: ['app://parley'], log: { warn: () => {}, error: () => {} } });
    expect(await handle({ url: 'https://evil.example/', topFrame: true }, { call: 'getSecurity', request: {} })).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect(await handle({ url: 'app://parley/index.html', topFrame: true }, { call: 'getSecurity', request: {} })).toMatchObject({ ok: true });
  });

  it('a revoked certificate is refused with a clear enrollment-needed state', async () => {
    const serial = (await core.services.getSecurity()).certificate!.serialNumber;
    await t.gw.revoke(serial, 'device lost', 'test');
    await until(() => core.connection.state === 'enrollment-needed', 'enrollment-needed', 60_000);
    expect(core.connection.reason).toMatch(/revoked/i);
    expect((await core.services.getState()).enrolled).toBe(false);
  });
});
