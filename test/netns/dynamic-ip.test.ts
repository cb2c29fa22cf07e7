/**
 * "Remote users on dynamic IPs reconnect and resume without losing a quote or a trade", across a REAL change
 * of the client's address: the gateway and the client core run in two network namespaces joined by a veth
 * pair (198.18.0.0/15, the benchmarking range, only). The real gateway listens on 198.18.0.1 (its listen.host);
 * the real client core (real posture agent, real gnome-keyring inside its namespace, production backoff, a 30 s
 * heartbeat) is used as a trader would, with password + TOTP:
 *   1. from home (198.18.0.20, outside the corporate CIDR 198.18.0.0/28) a logon scores password only 45, but
 *      TOTP would make it 20: challenged, not denied, and allowed after the TOTP answer;
 *   2. from the office (198.18.0.2) a logon scores 30: challenged, TOTP, allowed at 5; an RFQ is opened;
 *   3. while dealers are still answering, the office address goes away and, a moment later, the home address
 *      comes up (Wi-Fi gone, tethering up). The gateway still believes the old connection alive (no FIN could
 *      reach it, heartbeats every 30 s), yet the core resumes at once: it reconnects as soon as it sees the new
 *      address, and the gateway lets the same certificate take the session over. The same FIX session goes on
 *      (ResendRequest, no reset), re-scored at 20 (TOTP proved within the max age, network +15 — the step-up
 *      band, satisfied), and the RFQ fills once with every quote the gateway sent, one of them sent into the gap;
 *   4. an address the GeoIP database places in an unexpected country: the resumed logon is denied (60: even the
 *      TOTP leaves it at 40 or more) with the geography factor.
 *
 * The shipped access policy lets traders hit quotes from the corporate LAN only, so this gateway carries a
 * firm's remote-trading rule (gateway-driver.ts, REMOTE_TRADING).
 *
 * Needs root and `ip netns`; skips with the reason otherwise. Run:
 *   dbus-run-session -- bash scripts/with-keyring.sh node node_modules/vitest/vitest.mjs run test/netns
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { totpCode } from '../../gateway/session/test-client.ts';
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
  let totpSecret = '';
  let lastStep = -Infinity;
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

  /** The challenge the core holds, answered with a code from the user's authenticator app. */
  async function answerWithTotp(seenBefore: number): Promise<StepUpResult> {
    const c = await cl.until(() => cl.of<StepUpChallenge>('stepUpChallenge').slice(seenBefore).at(-1), 'a step-up challenge');
    expect(c.methods).toContain('totp');
    // A TOTP step is accepted once: successive answers take successive steps inside the gateway's ±1 window.
    const step = Math.max(Math.floor(Date.now() / 30_000) - 1, lastStep + 1);
    lastStep = step;
    return svc<StepUpResult>('answerStepUp', { challengeId: c.challengeId, method: 'totp', code: totpCode(totpSecret, step * 30_000 + 1_000) });
  }

  beforeAll(async () => {
    const stale = removeStale();
    if (stale.length) console.warn(`test/netns: removed stale namespaces ${stale.join(', ')}`);
    pair = createPair({ gwAddr: GW, clientAddr: HOME });
    work = mkdtempSync(path.join(tmpdir(), 'parley-netns-'));

    gw = startChild('gateway', 'ip', ['netns', 'exec', pair.gw, ...node, path.join(import.meta.dirname, 'gateway-driver.ts')], { cwd: repo });
    const g = await gw.call<{ fixPort: number; enrollPort: number; caPem: string; compId: string; password: string; totpSecret: string }>('start', {
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
    // The usual 30 s heartbeat: the gateway would take ~72 s to notice a dead connection on its own; the resume
    // must not wait for that (the same certificate takes the session over).
    const first = await cl.call<ConnectionEvent>('start', { dataDir: path.join(work, 'client'), policyPath, profile: `netns-${randomUUID()}`, heartBtIntSec: 30 }, 60_000);
    expect(first.state).toBe('enrollment-needed');
    const { token } = await gw.call<{ token: string }>('issueToken', { user: 'alice', compId: 'ALICE' });
    await svc('enroll', { token });
    password = g.password;
    totpSecret = g.totpSecret;
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

  it('a remote logon (password + TOTP, unknown address) is challenged, not denied, and allowed after TOTP', async () => {
    expect(await cl.call<string[]>('addresses')).toEqual([HOME]);
    const challenges = cl.of<StepUpChallenge>('stepUpChallenge').length;
    const r = await svc<ConnectionEvent>('signIn', { username: 'alice', password });
    expect(r.state, JSON.stringify(r)).toBe('challenged');
    // The reason the UI shows names what the user can do about it.
    const challenged = await cl.until(() => conn().filter((e) => e.state === 'challenged').find((e) => /with TOTP/.test(e.reason ?? '')), 'the challenge reason');
    expect(challenged.reason).toMatch(/network: unknown or dynamic address \+15/);
    expect(challenged.reason).toMatch(/password only: 45; with TOTP: 20 - step-up required/);
    expect(await logonFrom(HOME)).toMatchObject({ network: 'remote', country: 'GB', decision: 'step-up', score: 45 });
    expect((await answerWithTotp(challenges)).outcome).toBe('accepted');
    await cl.until(() => conn().at(-1)?.state === 'connected', 'connected');
    const sec = await svc<Security>('getSecurity');
    expect(sec.risk).toMatchObject({ decision: 'allow', score: 20 });
    expect(sec.risk!.factors).toContainEqual({ name: 'authentication', score: 5, detail: 'software token (TOTP)' });
    // Signing out ends the session (and what the gateway remembered of the second factor).
    await svc('signOut');
    await cl.until(() => conn().at(-1)?.state === 'signed-out', 'signed out');
  });

  it('logs on from the corporate address and passes the step-up with TOTP', async () => {
    pair.setClientAddress(HOME, CORPORATE);
    expect(await cl.call<string[]>('addresses')).toEqual([CORPORATE]);
    const challenges = cl.of<StepUpChallenge>('stepUpChallenge').length;
    const r = await svc<ConnectionEvent>('signIn', { username: 'alice', password });
    expect(r.state, JSON.stringify(r)).toBe('challenged');
    expect((await answerWithTotp(challenges)).outcome).toBe('accepted');
    await cl.until(() => conn().at(-1)?.state === 'connected', 'connected');
    const sec = await svc<Security>('getSecurity');
    expect(sec.tls?.version).toBe('TLSv1.3');
    expect(sec.risk).toMatchObject({ decision: 'allow', score: 5 });
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
    const logsSince = (n: number) => cl.of<string>('log').slice(n);

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
    // The office network goes away; the home one comes up once the desk has sent a quote into the gap.
    pair.removeClientAddress(CORPORATE);
    expect(await cl.call<string[]>('addresses')).toEqual([]);
    await gw.until(() => gw.of<{ quoteReqId: string; sentAt: number }>('quote').some((q) => q.quoteReqId === req.clientRfqId && q.sentAt > changedAt), 'a quote sent while the client has no address', 30_000);
    pair.addClientAddress(HOME);
    expect(await cl.call<string[]>('addresses')).toEqual([HOME]);
    const upAt = Date.now();

    await cl.until(() => conn().slice(seenBefore).some((e) => e.state === 'reconnecting'), 'the core to notice and reconnect');
    await cl.until(() => cl.events.some((e) => e.event === 'connection' && e.at >= upAt && (e.payload as ConnectionEvent).state === 'connected'), 'connected from the new address', 60_000);
    if (process.env.PARLEY_DEBUG) console.log(`connected ${Date.now() - upAt} ms after the new address came up`);
    expect(logsSince(logsBefore).some((l) => /the network changed; reconnecting at once/.test(l))).toBe(true);
    const states = conn().slice(seenBefore);
    // Reconnecting (a delay announced), never denied nor asked again: the TOTP proved within the step-up max age
    // still counts, and with network +15 the score (20) is in the step-up band, which that TOTP satisfies.
    const retries = states.filter((e) => e.state === 'reconnecting' && typeof e.retryInSec === 'number');
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries[0]!.reason).toMatch(/the network changed|connection lost/);
    expect(states.map((e) => e.state)).not.toContain('challenged');
    expect(states.map((e) => e.state)).not.toContain('denied');

    // The gateway re-scored the logon from the new address, and the decision with its factors reached the client.
    expect(await logonFrom(HOME)).toMatchObject({ network: 'remote', country: 'GB', decision: 'allow', score: 20 });
    const sec = await svc<Security>('getSecurity');
    expect(sec.risk).toMatchObject({ decision: 'allow', score: 20 });
    expect(sec.risk!.factors).toContainEqual({ name: 'authentication', score: 5, detail: 'software token (TOTP)' });
    expect(sec.risk!.factors).toContainEqual({ name: 'network', score: 15, detail: 'unknown or dynamic address' });
    expect(sec.risk!.factors).toContainEqual({ name: 'geography', score: 0, detail: 'expected country GB' });

    // The gateway did not wait for its heartbeat timeout: the same certificate took the session over from the
    // connection it still believed alive, and the session was handed on.
    const takenOver = await gw.call<{ reason: string }[]>('audit', { type: 'session.taken-over' });
    expect(takenOver.map((t) => t.reason)).toContain(`taken over by a new connection from ${HOME}`);
    expect((await gw.call<{ reason: string }[]>('audit', { type: 'session.closed' })).filter((c) => /timed out/.test(c.reason))).toEqual([]);
    // The same FIX session: the client asked for what it missed, and nobody reset the sequence numbers.
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
    // TOTP (remembered) 5 + network 15 + geography 40: no second factor could bring it under 40.
    expect(denied.reason).toMatch(/with TOTP: 60 - denied: 40 or more/);
    expect(await logonFrom(ABROAD)).toMatchObject({ network: 'remote', country: 'KP', decision: 'deny', score: 60 });
  });
});
