/**
 * GatewaySession against a scripted FIX acceptor built from the real fix/ engine (session layer, store,
 * mutual-TLS transport) with a certificate issued by the real gateway enrollment endpoint, through a TCP
 * proxy that can swallow bytes and cut the connection. The acceptor's behaviour is scripted here because
 * this tests the client's side of the protocol; main/e2e tests run against the real gateway.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir, type NetworkInterfaceInfo } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FixMessage } from '../../fix/codec.ts';
import {
  MSG,
  TAG,
  logoutDecisionFields,
  parleyDictionary,
  securityStatusFields,
  stepUpChallengeFields,
  stepUpResultFields,
  utcTimestamp,
} from '../../fix/parley-protocol.ts';
import { acceptSession, type FixSession } from '../../fix/session.ts';
import { MemoryStore as FixMemoryStore } from '../../fix/store.ts';
import { createFixsServer, type FixsServer } from '../../fix/transport.ts';
import { CertificateManager, describeCertificate } from '../enroll/certificate-manager.ts';
import { isRevokedPerCrl } from '../enroll/crl.ts';
import { DeviceKeychain } from '../keychain/device-identity.ts';
import { MemoryStore } from '../keychain/secret-store.ts';
import { startEnrollServer } from '../testing/enroll-server.ts';
import { startProxy } from '../testing/proxy.ts';
import type { ConnectionEvent, Execution, OpenRfq, Rfq, StepUpChallenge } from '../ipc/contract.ts';
import { Backoff } from './backoff.ts';
import { GatewaySession } from './gateway-session.ts';
import { NetworkWatcher } from './network-watch.ts';
import { until } from '../testing/until.ts';

// ---------------------------------------------------------------------------------------------------------
// The scripted acceptor.

interface Acceptor {
  server: FixsServer;
  logons: FixMessage[];
  received: FixMessage[];
  live: () => FixSession | undefined;
  stepUp: boolean;
  quoteOnRfq: boolean;
}

async function startAcceptor(gw: Awaited<ReturnType<typeof startEnrollServer>>): Promise<Acceptor> {
  const stores = new Map<string, FixMemoryStore>();
  const a: Acceptor = { server: undefined as unknown as FixsServer, logons: [], received: [], live: () => current, stepUp: true, quoteOnRfq: true };
  let current: FixSession | undefined;
  let challengeId = 0;
  let okLogons = 0;
  let pendingStepUp = false;
  let seq = 0;
  const hits = new Map<string, Execution>();
  a.server = await createFixsServer({ key: gw.serverKey, cert: gw.serverCert, ca: gw.caPem, crl: gw.crl }, (conn) => {
    const s = acceptSession(conn, {
      lookup: (peer, us) => {
        let st = stores.get(peer);
        if (!st) stores.set(peer, (st = new FixMemoryStore()));
        return { senderCompId: us, targetCompId: peer, heartBtInt: 30, store: st, dictionary: parleyDictionary() };
      },
      authorizeLogon: async (logon) => {
        a.logons.push(logon);
        if (logon.get(TAG.Password) === 'risky horse') {
          return {
            ok: false, text: 'logon denied: risk score 55',
            extraFields: logoutDecisionFields({ decision: 'deny', scope: 'logon', score: 55, reason: 'risk score 55', factors: [
              { name: 'authentication', condition: 'password only', score: 30 }, { name: 'device', condition: 'non-compliant posture', score: 25 }, { name: 'network', condition: 'corporate', score: 0 }] }),
          };
        }
        if (logon.get(TAG.Password) === 'revoked horse') {
          return {
            ok: false, text: 'logon denied: the client certificate is revoked',
            extraFields: logoutDecisionFields({ decision: 'deny', scope: 'revocation', factors: [], reason: 'the client certificate is revoked' }),
          };
        }
        if (logon.get(TAG.Password) !== 'correct horse') return { ok: false, text: 'DENY: wrong username or password' };
        if (!logon.get(TAG.Attestation)?.startsWith('jws.')) return { ok: false, text: 'DENY: attestation missing' };
        const stepUp = a.stepUp && ++okLogons === 1;
        pendingStepUp = stepUp;
        return {
          ok: true,
          extraFields: [
            { tag: TAG.Decision, value: stepUp ? 'STEP_UP' : 'ALLOW' },
            { tag: TAG.RiskScore, value: stepUp ? '30' : '5' },
            { tag: TAG.NoFactors, value: '1' },
            { tag: TAG.FactorName, value: 'authentication' },
            { tag: TAG.FactorCondition, value: stepUp ? 'password only' : 'software token' },
            { tag: TAG.FactorScore, value: stepUp ? '30' : '5' },
            { tag: TAG.SessionRole, value: 'Trader' },
          ],
        };
      },
    });
    s.on('logon', () => {
      current = s;
      if (process.env.PARLEY_DEBUG) console.log('ACCEPTOR logon', s.state, a.logons.length);
      if (pendingStepUp) {
        pendingStepUp = false;
        s.send(MSG.StepUpChallenge, stepUpChallengeFields({
          challengeId: `C${++challengeId}`, methods: ['totp'], scope: 'logon', score: 30,
          factors: [{ name: 'authentication', condition: 'password only', score: 30 }],
          expiresAt: new Date(Date.now() + 120_000), attemptsLeft: 3,
        }));
      }
    });
    s.on('message', (m: FixMessage) => {
      a.received.push(m);
      if (m.msgType === MSG.StepUpResponse) {
        const ok = m.get(TAG.StepUpCode) === '123456';
        s.send(MSG.StepUpResult, stepUpResultFields({ challengeId: m.get(TAG.ChallengeID)!, result: ok ? 'success' : 'failed', attemptsLeft: ok ? 3 : 2 }));
        if (ok) s.send(MSG.SecurityStatus, securityStatusFields({ decision: 'allow', scope: 'logon', score: 5, factors: [{ name: 'authentication', condition: 'software token', score: 5 }] }));
      } else if (m.msgType === 'R' && a.quoteOnRfq) {
        sendQuote(s, m.get(131)!, `Q${++seq}`, 'DLR1');
      } else if (m.msgType === 'AJ') {
        const resp = m.get(693)!;
        let e = hits.get(resp);
        if (!e) {
          e = { execId: `E${++seq}`, clientRfqId: '', quoteId: m.get(117)!, dealer: 'DLR1', instrument: m.get(55)!, side: 'buy', quantity: Number(m.get(38)), price: Number(m.get(44)), settlementDate: '2026-11-27', transactTime: new Date().toISOString() };
          hits.set(resp, e);
          s.send('8', [
            { tag: 37, value: `T${seq}` }, { tag: 11, value: resp }, { tag: 693, value: resp }, { tag: 17, value: e.execId },
            { tag: 150, value: 'F' }, { tag: 39, value: '2' }, { tag: 55, value: e.instrument }, { tag: 54, value: '1' },
            { tag: 38, value: String(e.quantity) }, { tag: 32, value: String(e.quantity) }, { tag: 31, value: String(e.price) },
            { tag: 151, value: '0' }, { tag: 14, value: String(e.quantity) }, { tag: 6, value: String(e.price) },
            { tag: 60, value: utcTimestamp(new Date()) }, { tag: TAG.Dealer, value: 'DLR1' }, { tag: 64, value: e.settlementDate.replace(/-/g, '') },
          ]);
        } else {
          s.send('8', [
            { tag: 37, value: 'NONE' }, { tag: 11, value: resp }, { tag: 693, value: resp }, { tag: 17, value: `REJ${++seq}` },
            { tag: 150, value: '8' }, { tag: 39, value: '8' }, { tag: 103, value: '99' }, { tag: 55, value: m.get(55)! }, { tag: 54, value: '1' },
            { tag: 151, value: '0' }, { tag: 14, value: '0' }, { tag: 6, value: '0' }, { tag: 58, value: 'duplicate hit' },
          ]);
        }
      }
    });
    s.on('error', () => {});
    if (process.env.PARLEY_DEBUG) s.on('event', (t: string) => console.log('ACCEPTOR', t));
  });
  return a;
}

function sendQuote(s: FixSession, quoteReqId: string, quoteId: string, dealer: string): void {
  s.send('S', [
    { tag: 131, value: quoteReqId }, { tag: 117, value: quoteId }, { tag: 55, value: 'UST10Y' }, { tag: 38, value: '1000000' },
    { tag: 15, value: 'USD' }, { tag: 132, value: '99.5' }, { tag: 133, value: '100.25' }, { tag: 134, value: '1000000' },
    { tag: 135, value: '1000000' }, { tag: 62, value: utcTimestamp(new Date(Date.now() + 60_000)) },
    { tag: 60, value: utcTimestamp(new Date()) }, { tag: TAG.Dealer, value: dealer },
  ]);
}

// ---------------------------------------------------------------------------------------------------------

describe('GatewaySession', () => {
  let gw: Awaited<ReturnType<typeof startEnrollServer>>;
  let acceptor: Acceptor;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let mgr: CertificateManager;
  let session: GatewaySession;
  let watcher: NetworkWatcher;
  const states: ConnectionEvent[] = [];
  const challenges: StepUpChallenge[] = [];
  const executions: Execution[] = [];
  const rfqs = new Map<string, Rfq>();
  let ifaces: NodeJS.Dict<NetworkInterfaceInfo[]> = { wlan0: [{ address: '192.168.1.20', family: 'IPv4', internal: false, netmask: '255.255.255.0', mac: '00:00:00:00:00:01', cidr: null } as NetworkInterfaceInfo] };
  let reattestSec = 300;

  beforeAll(async () => {
    gw = await startEnrollServer();
    acceptor = await startAcceptor(gw);
    proxy = await startProxy(acceptor.server.port);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-session-'));
    const endpoint = { url: gw.url, ca: [gw.caPem] };
    mgr = new CertificateManager({ keychain: new DeviceKeychain(new MemoryStore(), 'unit'), dataDir, endpoint: () => endpoint });
    await mgr.enroll(gw.token('alice', 'ALICE'));
    watcher = new NetworkWatcher({ intervalMs: 60_000, read: () => ifaces });
    session = new GatewaySession({
      dataDir,
      target: () => ({ host: '127.0.0.1', port: proxy.port, compId: 'PARLEY', caPem: [gw.caPem], spkiPins: [] }),
      identity: () => {
        const id = mgr.identity;
        return id && mgr.state.state === 'enrolled' ? { ...id, compId: mgr.state.info.compId! } : null;
      },
      attest: async (exporter) => `jws.${exporter('EXPORTER-parley-posture', 32).toString('base64url')}`,
      reattestIntervalSec: () => reattestSec,
      isCertificateRevoked: () => isRevokedPerCrl(endpoint, mgr.identity!.certificatePem),
      backoff: new Backoff({ baseMs: 100, maxMs: 500 }),
      watcher,
      ...(process.env.PARLEY_DEBUG ? { log: { info: (m: string) => console.log(m), warn: (m: string) => console.log(m) } } : {}),
    });
    if (process.env.PARLEY_DEBUG) session.on('connection', (e) => console.log('STATE', JSON.stringify(e)));
    session.on('connection', (e) => states.push(e));
    session.on('stepUpChallenge', (c) => challenges.push(c));
    session.on('execution', (e) => executions.push(e));
    session.on('rfq', (r) => rfqs.set(r.clientRfqId, r));
  });

  afterAll(async () => {
    await session?.close();
    mgr?.stop();
    await proxy?.close();
    await acceptor?.server.close();
    await gw?.close();
  });

  it('sign-in against an unreachable gateway answers "reconnecting in N s" at once', async () => {
    const closed = await startProxy(1);
    const port = closed.port;
    await closed.close();
    const s2 = new GatewaySession({
      dataDir: mkdtempSync(path.join(tmpdir(), 'parley-session-down-')),
      target: () => ({ host: '127.0.0.1', port, compId: 'PARLEY', caPem: [gw.caPem], spkiPins: [] }),
      identity: () => ({ ...mgr.identity!, compId: 'ALICE' }),
      attest: async () => 'jws.x',
      reattestIntervalSec: () => 300,
      backoff: new Backoff({ baseMs: 5_000, maxMs: 5_000 }),
    });
    const r = await s2.signIn('alice', 'correct horse');
    expect(r).toMatchObject({ state: 'reconnecting', retryInSec: expect.any(Number), reason: expect.stringMatching(/cannot reach the gateway/) });
    await s2.close();
  });

  it('a wrong password is denied with the gateway reason and not retried', async () => {
    const r = await session.signIn('alice', 'wrong');
    expect(r).toMatchObject({ state: 'denied', reason: expect.stringMatching(/wrong username or password/) });
    await session.signOut();
  });

  it('a denial shows the reason with the factors from the Logout\'s decision fields', async () => {
    const r = await session.signIn('alice', 'risky horse');
    expect(r.state).toBe('denied');
    expect(r.reason).toBe('logon denied: risk score 55 (authentication: password only +30, device: non-compliant posture +25)');
    expect(session.risk).toMatchObject({ score: 55, decision: 'deny' });
    expect(session.risk!.factors.map((f) => f.name)).toEqual(['authentication', 'device', 'network']);
    await session.signOut();
  });

  it('a Logon refused with the revocation scope asks to enroll again, whatever the CRL says', async () => {
    const r = await session.signIn('alice', 'revoked horse');
    expect(r).toMatchObject({ state: 'enrollment-needed', reason: 'the device certificate is revoked: logon denied: the client certificate is revoked' });
    expect(await isRevokedPerCrl({ url: gw.url, ca: [gw.caPem] }, mgr.identity!.certificatePem)).toBe(false);
    await session.signOut();
  });

  it('logs on with credentials and a channel-bound attestation, relays the TOTP step-up', async () => {
    const r = await session.signIn('alice', 'correct horse');
    expect(['challenged', 'connected']).toContain(r.state);
    const logon = acceptor.logons.at(-1)!;
    expect(logon.get(TAG.Username)).toBe('alice');
    expect(logon.get(TAG.Attestation)).toMatch(/^jws\.[A-Za-z0-9_-]{43}$/);
    const c = await until(() => challenges[0], 'a step-up challenge');
    expect(c).toMatchObject({ methods: ['totp'], attemptsLeft: 3, reason: [{ name: 'authentication', score: 30 }] });
    expect(session.connection.state).toBe('challenged');
    expect(await session.answerStepUp({ challengeId: c.challengeId, method: 'totp', code: '000000' })).toMatchObject({ outcome: 'rejected', attemptsLeft: 2 });
    expect(await session.answerStepUp({ challengeId: c.challengeId, method: 'totp', code: '123456' })).toMatchObject({ outcome: 'accepted' });
    await until(() => session.connection.state === 'connected', 'connected');
    expect(session.tls?.version).toBe('TLSv1.3');
    expect(session.risk).toMatchObject({ score: 5, decision: 'allow' });
    expect(session.role).toBe('Trader');
  });

  it('relays a WebAuthn step-up: options to the UI, the assertion back as JSON', async () => {
    const options = { challenge: 'Y2hhbGxlbmdl', rpId: 'localhost', allowCredentials: [{ id: 'Y3JlZA', type: 'public-key' as const }], userVerification: 'preferred' as const };
    acceptor.live()!.send(MSG.StepUpChallenge, stepUpChallengeFields({
      challengeId: 'W1', methods: ['totp', 'webauthn'], scope: 'action', score: 25,
      factors: [{ name: 'policy', condition: 'RFQ above the notional limit', score: 0 }],
      expiresAt: new Date(Date.now() + 60_000), attemptsLeft: 3, webauthnOptions: JSON.stringify(options), requestRef: 'rfq-x',
    }));
    const c = await until(() => challenges.find((x) => x.challengeId === 'W1'), 'the WebAuthn challenge');
    expect(c.methods).toEqual(['totp', 'webauthn']);
    expect(c.webauthnOptions).toEqual(options);
    expect(session.connection.state).toBe('connected');
    const credential = { id: 'Y3JlZA', rawId: 'Y3JlZA', type: 'public-key' as const, response: { clientDataJSON: 'e30', authenticatorData: 'AA', signature: 'AA' }, clientExtensionResults: {} };
    const res = await session.answerStepUp({ challengeId: 'W1', method: 'webauthn', credential });
    expect(res.outcome).toBe('rejected');
    const ud = acceptor.received.filter((m) => m.msgType === MSG.StepUpResponse).at(-1)!;
    expect(ud.get(TAG.StepUpMethod)).toBe('webauthn');
    expect(JSON.parse(ud.get(TAG.WebAuthnResponse)!)).toEqual(credential);
  });

  const rfq = { clientRfqId: 'rfq-1', instrument: 'UST10Y', side: 'buy' as const, quantity: 1_000_000, settlementDate: '2026-11-24', dealers: 'all' as const, expirySeconds: 60 };

  it('RFQ round trip: one RFQ for a resubmission, quote, hit, one execution for a repeated hit', async () => {
    await session.createRfq(rfq);
    await session.createRfq(rfq);
    const quoted = await until(() => rfqs.get('rfq-1')?.quotes[0], 'a quote');
    expect(quoted.price).toBe(100.25);
    const hit = await session.hitQuote('rfq-1', quoted.quoteId);
    // The settlement date booked on the fill (SettlDate on the ExecutionReport), not the one the RFQ asked for.
    expect(hit).toMatchObject({ status: 'filled', execution: { clientRfqId: 'rfq-1', price: 100.25, settlementDate: '2026-11-27' } });
    expect(await session.hitQuote('rfq-1', quoted.quoteId)).toMatchObject({ status: 'duplicate' });
    expect(acceptor.received.filter((m) => m.msgType === 'R' && m.get(131) === 'rfq-1')).toHaveLength(1);
    expect(acceptor.received.filter((m) => m.msgType === 'AJ')).toHaveLength(1);
    expect(executions.filter((e) => e.clientRfqId === 'rfq-1')).toHaveLength(1);
  });

  it('ignores application messages it cannot trust and keeps serving', async () => {
    await session.createRfq({ ...rfq, clientRfqId: 'rfq-junk', quantity: 3 });
    await until(() => rfqs.get('rfq-junk')?.quotes.length === 1, 'the normal quote');
    const live = acceptor.live()!;
    live.send('S', [{ tag: 131, value: 'rfq-junk' }, { tag: 117, value: 'Q-BAD' }, { tag: 55, value: 'UST10Y' }, { tag: 62, value: '20260101-00:00:00' }]);
    live.send('S', [{ tag: 131, value: 'no-such-rfq' }, { tag: 117, value: 'Q-X' }, { tag: 55, value: 'UST10Y' }, { tag: 133, value: '1' }, { tag: 62, value: utcTimestamp(new Date(Date.now() + 60_000)) }, { tag: TAG.Dealer, value: 'DLR9' }]);
    live.send('8', [{ tag: 37, value: 'X' }, { tag: 17, value: 'E-BAD' }, { tag: 150, value: 'F' }, { tag: 39, value: '2' }, { tag: 55, value: 'UST10Y' }, { tag: 54, value: '1' }, { tag: 151, value: '0' }, { tag: 14, value: '0' }, { tag: 6, value: '0' }]);
    live.send('AI', [{ tag: 131, value: 'rfq-junk' }, { tag: 117, value: 'Q' }, { tag: 297, value: '16' }, { tag: TAG.RfqOwner, value: 'mallory' }]);
    sendQuote(live, 'rfq-junk', 'Q-GOOD', 'DLR2');
    const r = await until(() => rfqs.get('rfq-junk')?.quotes.find((q) => q.quoteId === 'Q-GOOD') && rfqs.get('rfq-junk'), 'the good quote after the junk');
    expect(r.quotes.map((q) => q.quoteId)).not.toContain('Q-BAD');
    expect(executions.some((e) => e.execId === 'E-BAD')).toBe(false);
    expect(session.connection.state).toBe('connected');
  });

  it('the gateway\'s cancel (QuoteStatus 4) closes the trader\'s RFQ; other statuses without an owner do not', async () => {
    await session.createRfq({ ...rfq, clientRfqId: 'rfq-cx' });
    await until(() => rfqs.get('rfq-cx')?.quotes.length === 1, 'a quote');
    const live = acceptor.live()!;
    live.send('AI', [{ tag: 131, value: 'rfq-cx' }, { tag: 117, value: 'Q' }, { tag: 297, value: '16' }]);
    live.send('AI', [{ tag: 131, value: 'rfq-cx' }, { tag: 117, value: 'Q' }, { tag: 297, value: '4' }, { tag: 58, value: 'RFQ cancelled' }]);
    const r = await until(() => rfqs.get('rfq-cx')?.status === 'cancelled' && rfqs.get('rfq-cx'), 'the RFQ cancelled');
    expect(r.quotes.map((q) => q.status)).toEqual(['cancelled']);
  });

  it('the risk view: an open RFQ carries its expiry, and a traded, cancelled or expired one leaves it', async () => {
    const views: OpenRfq[][] = [];
    session.on('openRfqs', (v) => views.push(v));
    const live = acceptor.live()!;
    const expires = new Date(Date.now() + 90_000);
    const ai = (id: string, status: string, extra: Array<{ tag: number; value: string }> = []) => live.send('AI', [
      { tag: 131, value: id }, { tag: 55, value: 'UST10Y' }, { tag: 54, value: '1' }, { tag: 38, value: '1000000' }, { tag: 297, value: status },
      { tag: 60, value: utcTimestamp(new Date()) }, { tag: 126, value: utcTimestamp(expires) }, { tag: TAG.RfqOwner, value: 'bob' }, ...extra,
    ]);
    for (const id of ['ro-traded', 'ro-cancelled', 'ro-expired', 'ro-open']) ai(id, '10');
    ai('ro-open', '0', [{ tag: 117, value: 'Q1' }, { tag: 133, value: '100.5' }]);
    const open = await until(() => views.at(-1)?.find((r) => r.rfqId === 'ro-open' && r.status === 'quoted'), 'the quoted RFQ in the view');
    expect(open).toMatchObject({ owner: 'bob', quoteCount: 1, expiresAt: expires.toISOString() });
    ai('ro-traded', '6');
    ai('ro-cancelled', '4');
    ai('ro-expired', '7');
    const after = await until(() => views.at(-1)?.length === 1 && views.at(-1), 'the closed RFQs gone');
    expect(after.map((r) => r.rfqId)).toEqual(['ro-open']);
  });

  it('a connection cut mid-RFQ is resumed: the quote sent into the cut arrives once, nothing is duplicated', async () => {
    const before = acceptor.logons.length;
    await session.createRfq({ ...rfq, clientRfqId: 'rfq-2' });
    await until(() => rfqs.get('rfq-2')?.quotes.length === 1, 'the first quote');
    // The gateway's next quote goes into a dead connection...
    proxy.state.blackhole = true;
    sendQuote(acceptor.live()!, 'rfq-2', 'Q-LOST', 'DLR2');
    await new Promise((r) => setTimeout(r, 100));
    proxy.cut();
    proxy.state.blackhole = false;
    await until(() => states.some((s) => s.state === 'reconnecting'), 'reconnecting');
    // ...and is recovered by the resumed FIX session's resend.
    await until(() => acceptor.logons.length > before && session.connection.state === 'connected', 'reconnected');
    const r2 = await until(() => rfqs.get('rfq-2')?.quotes.length === 2 && rfqs.get('rfq-2'), 'the resent quote');
    expect(r2.quotes.map((q) => q.quoteId).sort()).toEqual(['Q-LOST', expect.stringMatching(/^Q\d+$/)].sort());
    // Same FIX session: no sequence reset on the reconnect Logon.
    expect(acceptor.logons.at(-1)!.get(141)).not.toBe('Y');
    expect(acceptor.logons.at(-1)!.seqNum).toBeGreaterThan(1);
    expect(acceptor.received.filter((m) => m.msgType === 'R' && m.get(131) === 'rfq-2')).toHaveLength(1);
    const hit = await session.hitQuote('rfq-2', 'Q-LOST');
    expect(hit.status).toBe('filled');
    expect(executions.filter((e) => e.clientRfqId === 'rfq-2')).toHaveLength(1);
  });

  it('reconnects on a resume from sleep', async () => {
    const before = acceptor.logons.length;
    watcher.notifyResume(3_600_000);
    await until(() => acceptor.logons.length > before && session.connection.state === 'connected', 'reconnected after resume');
  });

  it('reconnects when the network changes (a new address)', async () => {
    const before = acceptor.logons.length;
    ifaces = { wwan0: [{ address: '10.64.3.9', family: 'IPv4', internal: false, netmask: '255.0.0.0', mac: '00:00:00:00:00:02', cidr: null } as NetworkInterfaceInfo] };
    watcher.tick();
    await until(() => acceptor.logons.length > before && session.connection.state === 'connected', 'reconnected after the network change');
  });

  it('re-attests periodically and when the gateway asks, bound to the live channel', async () => {
    const count = () => acceptor.received.filter((m) => m.msgType === MSG.Attestation).length;
    const before = count();
    acceptor.live()!.send(MSG.AttestationRequest, [{ tag: TAG.AttestDeadline, value: utcTimestamp(new Date(Date.now() + 60_000)) }]);
    await until(() => count() > before, 'an attestation on request');
    reattestSec = 0.2;
    acceptor.live()!.send(MSG.AttestationRequest, [{ tag: TAG.AttestDeadline, value: utcTimestamp(new Date(Date.now() + 60_000)) }]);
    await until(() => count() >= before + 4, 'periodic attestations');
    reattestSec = 300;
    const last = acceptor.received.filter((m) => m.msgType === MSG.Attestation).at(-1)!;
    // Bound to this very TLS channel: the acceptor's side of the exporter gives the same value.
    const conn = acceptor.live()!.connection as unknown as { exporter(label: string, length: number): Buffer };
    expect(last.get(TAG.Attestation)).toBe(`jws.${conn.exporter('EXPORTER-parley-posture', 32).toString('base64url')}`);
    expect(session.lastAttestationAt).not.toBeNull();
  });

  it('a revoked certificate ends in the enrollment-needed state', async () => {
    await gw.revoke(describeCertificate(mgr.identity!.certificatePem).serialNumber);
    proxy.cut();
    const s = await until(() => states.find((x) => x.state === 'enrollment-needed'), 'enrollment-needed', 30_000);
    expect(s.reason).toMatch(/revoked/);
  });
});
