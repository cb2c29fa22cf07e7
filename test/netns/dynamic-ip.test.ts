/**
 * "Remote users on dynamic IPs reconnect and resume without losing a quote or a trade", across a REAL change
 * of the client's address: the gateway and the client core run in two network namespaces joined by a veth
 * pair (198.18.0.0/15, the benchmarking range, only). The real gateway listens on 198.18.0.1; the real client
 * core (real posture agent, real gnome-keyring inside its namespace) logs on from 198.18.0.2, inside the
 * corporate CIDR 198.18.0.0/28, passes the step-up with a security key and opens an RFQ. While dealers are
 * still answering, its address is moved to 198.18.0.20 (outside the corporate CIDR): the core notices, resumes
 * the same FIX session, is re-scored (network +15) and fills the same RFQ once, with every quote the gateway
 * sent and none twice. Then the address moves into a range the GeoIP database places in an unexpected country,
 * and the resumed logon is denied with the geography factor.
 *
 * Under the shipped risk table this path exists only for a user whose second factor was a security key proved
 * within the step-up max age: the resumed logon scores network +15 (allow), whereas TOTP +5 with network +15 is
 * 20 (step-up, and still 20 after the TOTP answer, so the gateway ends the session) and a password-only logon
 * from a remote address is 45 (deny). The shipped access policy lets traders hit quotes from the corporate LAN
 * only, so this gateway carries a firm's remote-trading rule (gateway-driver.ts, REMOTE_TRADING).
 *
 * Needs root and `ip netns`; skips with the reason otherwise. Run:
 *   dbus-run-session -- bash scripts/with-keyring.sh node node_modules/vitest/vitest.mjs run test/netns
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { SoftAuthenticator } from '../../gateway/testing/soft-authenticator.ts';
import type { ConnectionEvent, Execution, Rfq, Security, StepUpChallenge, StepUpResult, HitResult } from '../../main/ipc/contract.ts';
import { createPair, netnsUnavailable, removeStale, type Pair } from './netns.ts';
import { startChild, type Child } from './rpc.ts';

const GW = '198.18.0.1';
const CORPORATE = '198.18.0.2';
const HOME = '198.18.0.20';
const ABROAD = '198.18.0.40';
const GEO = { '198.18.0.0/28': 'GB', '198.18.0.16/28': 'GB', '198.18.0.32/28': 'KP' };

const repo = path.resolve(import.meta.dirname, '..', '..');
const node = [process.execPath, '--disable-warning=ExperimentalWarning'];
const skip = netnsUnavailable();
if (skip) console.warn(`test/netns skipped: ${skip}`);

describe.skipIf(!!skip)(`a real address change under a live session${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let pair: Pair;
  let work: string;
  let gw: Child;
  let cl: Child;
  let password = '';
  const key = new SoftAuthenticator({ origin: 'https://localhost' });
  const svc = <T>(name: string, request: unknown = {}) => cl.call<T>('service', { name, request });
  const conn = () => cl.of<ConnectionEvent>('connection');
  const rfqOf = (id: string) => cl.of<Rfq>('rfq').filter((r) => r.clientRfqId === id).at(-1);
  const settle = new Date(Date.now() + 5 * 86_400_000).toISOString().slice(0, 10);

  type LogonDecision = { ip: string; network: string; decision: string; score: number; country: string | null };
  /** The gateway's latest logon decision for this address (its audit line is written as the Logon is answered). */
  async function logonFrom(ip: string): Promise<LogonDecision> {
    for (let i = 0; i < 200; i++) {
      const last = (await gw.call<LogonDecision[]>('audit', { type: 'logon.decision' })).at(-1);
      if (last?.ip === ip) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no logon decision for ${ip} in the gateway's audit log`);
  }

  /** The challenge the core holds, answered with the user's security key. */
  async function answerWithKey(): Promise<StepUpResult> {
    const c = await cl.until(() => cl.of<StepUpChallenge>('stepUpChallenge').at(-1), 'a step-up challenge');
    expect(c.methods).toContain('webauthn');
    const credential = key.authenticate({ challenge: c.webauthnOptions!.challenge, rpId: c.webauthnOptions!.rpId ?? 'localhost' });
    return svc<StepUpResult>('answerStepUp', { challengeId: c.challengeId, method: 'webauthn', credential });
  }

  beforeAll(async () => {
    const stale = removeStale();
    if (stale.length) console.warn(`test/netns: removed stale namespaces ${stale.join(', ')}`);
    pair = createPair({ gwAddr: GW, clientAddr: CORPORATE });
    work = mkdtempSync(path.join(tmpdir(), 'parley-netns-'));

    gw = startChild('gateway', 'ip', ['netns', 'exec', pair.gw, ...node, path.join(import.meta.dirname, 'gateway-driver.ts')], { cwd: repo });
    const g = await gw.call<{ fixPort: number; enrollPort: number; caPem: string; compId: string; password: string }>('start', {
      addr: GW, dir: path.join(work, 'gateway'), corporate: ['198.18.0.0/28'], geo: GEO, quoteTtlMs: 90_000,
      // One dealer answers at once; the others answer while the address is being changed and after.
      dealers: [{ name: 'DLR1', delayMs: 0, spreadBps: 8 }, { name: 'DLR2', delayMs: 3_000, spreadBps: 12 }, { name: 'DLR3', delayMs: 8_000, spreadBps: 20 }],
    }, 90_000);

    const caFile = path.join(work, 'ca.pem');
    writeFileSync(caFile, g.caPem);
    const policyPath = path.join(work, 'policy.json');
    writeFileSync(policyPath, JSON.stringify({
      gateway: { host: GW, port: g.fixPort, compId: g.compId },
      caBundle: caFile,
      enrollmentUrl: `https://${GW}:${g.enrollPort}`,
      reattestIntervalSec: 60,
    }));

    // Its own D-Bus session and keyring: the test's session bus is an abstract socket of the host's namespace.
    const env = { ...process.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.GNOME_KEYRING_CONTROL;
    cl = startChild('client', 'ip', ['netns', 'exec', pair.cl, 'dbus-run-session', '--', 'bash', 'scripts/with-keyring.sh', ...node, path.join(import.meta.dirname, 'client-driver.ts')], { cwd: repo, env });
    // A short heartbeat: the gateway learns of the dead connection on the old address within a few seconds.
    // Until then it refuses a second logon of a session it believes live (closing the connection), so with the
    // default 30 s the resume waits for its ~60 s heartbeat timeout plus the client's grown backoff.
    const first = await cl.call<ConnectionEvent>('start', { dataDir: path.join(work, 'client'), policyPath, profile: `netns-${randomUUID()}`, heartBtIntSec: 2 }, 60_000);
    expect(first.state).toBe('enrollment-needed');
    const { token } = await gw.call<{ token: string }>('issueToken', { user: 'alice', compId: 'ALICE' });
    await svc('enroll', { token });

    // Alice's security key, registered as an admin would after a registration ceremony.
    const opts = await gw.call<{ challenge: string; rp: { id?: string } }>('webauthnOptions', { user: 'alice' });
    await gw.call('webauthnRegister', { user: 'alice', response: key.register(opts), challenge: opts.challenge });
    password = g.password;
  }, 120_000);

  afterAll(async () => {
    try {
      await cl?.stop();
      await gw?.stop();
    } finally {
      pair?.destroy();
      if (work) rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);

  it('logs on from the corporate address and passes the step-up with a security key', async () => {
    expect(await cl.call<string[]>('addresses')).toEqual([CORPORATE]);
    const r = await svc<ConnectionEvent>('signIn', { username: 'alice', password });
    expect(r.state, JSON.stringify(r)).toBe('challenged');
    expect((await answerWithKey()).outcome).toBe('accepted');
    await cl.until(() => conn().at(-1)?.state === 'connected', 'connected');
    const sec = await svc<Security>('getSecurity');
    expect(sec.tls?.version).toBe('TLSv1.3');
    expect(sec.risk).toMatchObject({ decision: 'allow', score: 0 });
    expect(sec.risk!.factors).toContainEqual({ name: 'network', score: 0, detail: 'corporate network' });
    expect(await logonFrom(CORPORATE)).toMatchObject({ network: 'corporate-lan', country: 'GB', decision: 'step-up', score: 30 });
  });

  it('the address changes while quotes are in flight: the same FIX session resumes, re-scored, and the RFQ fills once with every quote', async () => {
    const instrument = (await svc<{ symbol: string }[]>('listInstruments'))[0]!.symbol;
    const req = { clientRfqId: `ip-${randomUUID().slice(0, 8)}`, instrument, side: 'buy' as const, quantity: 1_000_000, settlementDate: settle, dealers: 'all' as const, expirySeconds: 60 };
    await svc('createRfq', req);
    await cl.until(() => (rfqOf(req.clientRfqId)?.quotes.length ?? 0) >= 1, 'the first quote');
    const seenBefore = conn().length;
    const logsBefore = cl.of<string>('log').length;

    const changedAt = Date.now();
    const timeline = () => {
      const line = (at: number, what: string) => `${String(at - changedAt).padStart(7)} ms  ${what}`;
      return [
        ...gw.of<{ quoteReqId: string; quoteId: string; sentAt: number }>('quote').filter((q) => q.quoteReqId === req.clientRfqId).map((q) => line(q.sentAt, `gateway sent ${q.quoteId}`)),
        ...cl.events.filter((e) => e.at >= changedAt - 2_000 && ['connection', 'log', 'rfq'].includes(e.event))
          .map((e) => line(e.at, `${e.event} ${JSON.stringify(e.payload).slice(0, 200)}`)),
      ].sort((a, b) => parseInt(a) - parseInt(b)).join('\n');
    };
    onTestFailed(() => console.log(`timeline around the address change:\n${timeline()}`));
    pair.setClientAddress(CORPORATE, HOME);
    expect(await cl.call<string[]>('addresses')).toEqual([HOME]);

    await cl.until(() => conn().slice(seenBefore).some((e) => e.state === 'reconnecting'), 'the core to notice and reconnect');
    await cl.until(() => conn().slice(seenBefore).at(-1)?.state === 'connected', 'connected from the new address', 60_000);
    const states = conn().slice(seenBefore);
    // Reconnecting with backoff (a delay announced), never denied nor asked again: the security key proved
    // within the step-up max age still counts, and network +15 alone stays below the step-up threshold.
    const retries = states.filter((e) => e.state === 'reconnecting' && typeof e.retryInSec === 'number');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.reason).toMatch(/the network changed|connection lost/);
    expect(states.map((e) => e.state)).not.toContain('challenged');
    expect(states.map((e) => e.state)).not.toContain('denied');

    // The gateway re-scored the logon from the new address, and the decision with its factors reached the client.
    expect(await logonFrom(HOME)).toMatchObject({ network: 'remote', country: 'GB', decision: 'allow', score: 15 });
    const sec = await svc<Security>('getSecurity');
    expect(sec.risk).toMatchObject({ decision: 'allow', score: 15 });
    expect(sec.risk!.factors).toContainEqual({ name: 'network', score: 15, detail: 'unknown or dynamic address' });
    expect(sec.risk!.factors).toContainEqual({ name: 'geography', score: 0, detail: 'expected country GB' });

    // The same FIX session: the gateway handed the dropped session over, the client asked for what it missed,
    // and nobody reset the sequence numbers.
    expect((await gw.call<unknown[]>('audit', { type: 'session.resumed' })).length).toBeGreaterThanOrEqual(1);
    const logs = cl.of<string>('log').slice(logsBefore);
    expect(logs.some((l) => /sent ResendRequest/.test(l)), logs.join('\n')).toBe(true);
    expect(logs.filter((l) => /ResetSeqNumFlag|reset to 1|starting a new one/.test(l))).toEqual([]);

    // Every quote the desk sent reached the client, once.
    await gw.until(() => gw.of<{ quoteReqId: string }>('quote').filter((q) => q.quoteReqId === req.clientRfqId).length >= 3, 'three dealers to answer', 30_000);
    const sent = await gw.call<string[]>('sentQuotes', { quoteReqId: req.clientRfqId });
    expect(sent).toHaveLength(3);
    // In flight indeed: the desk sent some of them after the old address was gone.
    const quotes = gw.of<{ quoteReqId: string; quoteId: string; sentAt: number }>('quote').filter((q) => q.quoteReqId === req.clientRfqId);
    expect(quotes.filter((q) => q.sentAt > changedAt).length).toBeGreaterThanOrEqual(1);
    const rfq = await cl.until(() => { const r = rfqOf(req.clientRfqId); return r && r.quotes.length >= 3 ? r : undefined; }, 'all three quotes on the client', 30_000);
    const got = rfq.quotes.map((q) => q.quoteId);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...sent].sort());

    // The same RFQ, opened on the old address, is hit from the new one and filled exactly once.
    const best = rfq.quotes.reduce((a, b) => (b.price < a.price ? b : a));
    const hit = await svc<HitResult>('hitQuote', { clientRfqId: req.clientRfqId, quoteId: best.quoteId });
    expect(hit.status, JSON.stringify(hit)).toBe('filled');
    expect(await svc<HitResult>('hitQuote', { clientRfqId: req.clientRfqId, quoteId: best.quoteId })).toMatchObject({ status: 'duplicate' });
    await cl.until(() => cl.of<Execution>('execution').some((e) => e.clientRfqId === req.clientRfqId), 'the execution');
    expect(cl.of<Execution>('execution').filter((e) => e.clientRfqId === req.clientRfqId)).toHaveLength(1);
    expect(await gw.call<unknown[]>('trades', { quoteReqId: req.clientRfqId })).toHaveLength(1);
    if (process.env.PARLEY_DEBUG) console.log(timeline());
  });

  it('an address the GeoIP database places in an unexpected country: the resumed logon is denied with the geography factor', async () => {
    const seenBefore = conn().length;
    pair.setClientAddress(HOME, ABROAD);
    const denied = await cl.until(() => conn().slice(seenBefore).find((e) => e.state === 'denied'), 'the denial', 60_000);
    expect(denied.reason).toMatch(/geography: anomalous country KP \+40/);
    // What the UI reads: the state says denied, with the gateway's reason naming the factors.
    expect((await svc<{ connection: ConnectionEvent }>('getState')).connection).toMatchObject({ state: 'denied', reason: denied.reason });
    expect(denied.reason).toMatch(/network: unknown or dynamic address \+15/);
    expect(await logonFrom(ABROAD)).toMatchObject({ network: 'remote', country: 'KP', decision: 'deny', score: 55 });
  });
});
