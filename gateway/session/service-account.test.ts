/**
 * Issue 11 items 1 and 3 end to end: an institution's QuickFIX C++ engine (Debian's libquickfix, built by the test
 * as the interop tests do) with an RSA workload certificate logs on to a real gateway over mutual TLS as a service
 * account — no password, no TOTP, no posture agent — sends a QuoteRequest, gets quotes, hits one and gets the
 * ExecutionReport. With the stock FIX44.xml (account protocol fix44: the gateway sends standard FIX 4.4 only, and
 * QuickFIX validates user-defined fields) and with the shipped Parley dictionary (account protocol parley). From
 * an address off its allow-list the same kind of engine is refused with the reason, in plain FIX.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_DICTIONARY } from '../../fix/interop/parley-dictionary.ts';
import { buildQuickfixEngine, dataDictionaryPath, quickfixAvailable, startProgram, writeSettings } from '../../fix/interop/quickfix.ts';
import type { User } from '../identity/directory.ts';
import { loggedIn, startTestGateway, type TestGateway } from './test-gateway.ts';

const missing = quickfixAvailable();
let t: TestGateway;
let dir = '';
let engine = '';
let stockDictionary = '';

type AuditLine = { type: string; data: Record<string, unknown> };
const auditLines = (): AuditLine[] => readFileSync(t.gw.cfg.paths.audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
async function until<T>(f: () => T | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function serviceUser(username: string, compId: string, protocol: 'fix44' | 'parley', allowedCidrs: string[]): User {
  return {
    username, role: 'Order Flow Engine', privileged: false, passwordHash: '', webauthnCredentials: [], expectedCountries: ['GB'],
    certSubjects: [], compIds: [compId], protocol,
    service: { purpose: 'order-flow', allowedCidrs, certFingerprints: [new X509Certificate(t.pki.clients[compId]!.rsa.certPem).fingerprint256] },
  };
}

/** Runs the QuickFIX engine as `compId` with `dictionary`; its output lines and exit code (read on 'close'). */
async function runEngine(compId: string, dictionary: string): Promise<{ lines: string[]; code: number | null }> {
  const p = startEngine(compId, dictionary, false);
  const code = await p.exited;
  return { lines: p.lines, code };
}

function startEngine(compId: string, dictionary: string, wait: boolean): ReturnType<typeof startProgram> {
  const leaf = t.pki.clients[compId]!.rsa;
  const settings = join(dir, `${compId}.cfg`);
  writeSettings(settings, {
    ConnectionType: 'initiator', BeginString: 'FIX.4.4', SenderCompID: compId, TargetCompID: t.gw.cfg.fix.compId,
    SocketConnectHost: '127.0.0.1', SocketConnectPort: t.gw.fixPort, StartTime: '00:00:00', EndTime: '00:00:00',
    HeartBtInt: 30, ReconnectInterval: 1, ResetOnLogon: 'Y', UseDataDictionary: 'Y', DataDictionary: dictionary,
    // A stock engine's defaults: an unknown (user-defined) tag makes a message invalid.
    ValidateUserDefinedFields: 'Y', ValidateFieldsOutOfOrder: 'Y',
    FileStorePath: join(dir, `store-${compId}-${Math.random().toString(36).slice(2)}`), FileLogPath: join(dir, `log-${compId}`),
    CertificationAuthoritiesFile: t.pki.caCertPath, ClientCertificateFile: leaf.certPath, ClientCertificateKeyFile: leaf.keyPath,
  });
  return startProgram(engine, [settings, 'US912828ZT0', '1000000', ...(wait ? ['wait'] : [])]);
}

describe.skipIf(missing !== null)(`a QuickFIX C++ engine as a service account (${missing ?? 'libquickfix'})`, () => {
  beforeAll(async () => {
    // A short desktop re-attestation interval: a person's session without a fresh attestation ends after 1 s; a
    // service account's does not (it has no desktop agent; docs/connecting-an-engine.md).
    t = await startTestGateway({ attestation: { reattestIntervalSec: 1, graceSec: 0 } }, { memoryStores: true, users: ['alice'], extraClients: ['OMS1', 'OMS2', 'OMS3', 'OMS4', 'OMS5'] });
    dir = mkdtempSync(join(tmpdir(), 'parley-engine-'));
    engine = buildQuickfixEngine();
    stockDictionary = dataDictionaryPath(dir);
    t.gw.users.upsert(serviceUser('oms-1', 'OMS1', 'fix44', ['127.0.0.0/8']));
    t.gw.users.upsert(serviceUser('oms-2', 'OMS2', 'fix44', ['10.99.0.0/16']));
    t.gw.users.upsert(serviceUser('oms-3', 'OMS3', 'parley', ['127.0.0.1/32']));
    // Bound to OMS1's certificate, not to its own: its own certificate (CompID OMS4) is not its workload certificate.
    t.gw.users.upsert({ ...serviceUser('oms-4', 'OMS4', 'fix44', ['127.0.0.0/8']), service: { purpose: 'order-flow', allowedCidrs: ['127.0.0.0/8'], certFingerprints: serviceUser('x', 'OMS1', 'fix44', []).service!.certFingerprints } });
    t.gw.users.upsert({ ...serviceUser('oms-5', 'OMS5', 'fix44', ['127.0.0.0/8']), disabled: true });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with the stock FIX44.xml: logs on with its certificate alone, gets quotes, hits one, gets the ExecutionReport — standard FIX only', async () => {
    const { lines, code } = await runEngine('OMS1', stockDictionary);
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.some((l) => l.startsWith('LOGON '))).toBe(true);
    expect(lines.some((l) => l.startsWith('QUOTE '))).toBe(true);
    expect(lines.some((l) => l.startsWith('HIT '))).toBe(true);
    expect(lines.find((l) => l.startsWith('EXEC '))).toMatch(/^EXEC F 2/);
    // QuickFIX found nothing to reject: no Parley tag or message reached it.
    expect(lines.filter((l) => l.startsWith('REJECT') || l.startsWith('APP U'))).toEqual([]);
    const decision = await until(() => auditLines().find((l) => l.type === 'logon.decision' && l.data.username === 'oms-1'), 'the logon decision');
    expect(decision.data).toMatchObject({ machine: true, decision: 'allow' });
    expect(String(decision.data.summary)).toMatch(/^machine identity: workload certificate bound to the service account/);
    const rfq = await until(() => auditLines().find((l) => l.type === 'access.decision' && l.data.user === 'oms-1' && l.data.action === 'CreateRfq'), 'the RFQ decision');
    expect(rfq.data).toMatchObject({ decision: 'allow', reasons: ['order-flow-engine-trading'] });
  }, 90_000);

  it('with the shipped Parley dictionary (account protocol parley): the same trade, Parley messages validated by QuickFIX', async () => {
    const { lines, code } = await runEngine('OMS3', SHIPPED_DICTIONARY);
    expect(code, lines.join('\n')).toBe(0);
    expect(lines.find((l) => l.startsWith('EXEC '))).toMatch(/^EXEC F 2/);
    expect(lines.some((l) => l.startsWith('APP U'))).toBe(true);
    expect(lines.filter((l) => l.startsWith('REJECT'))).toEqual([]);
  }, 90_000);

  it('stays logged on past the desktop re-attestation deadline (a person\'s session ends at it), then heals a forced gap and trades', async () => {
    const p = startEngine('OMS1', stockDictionary, true);
    try {
      await p.waitFor(/^WAITING$/, 30_000);
      // A desktop session on the same gateway, which sends no re-attestation, is ended at the deadline…
      const alice = await loggedIn(t, 'alice');
      expect(await alice.closed(30_000)).toBeTruthy();
      expect(alice.logoutText).toMatch(/re-attestation missing/);
      // …the engine's session, logged on before it, is still there: it hits now, after forcing a sequence gap.
      expect(p.lines.filter((l) => l === 'LOGOUT' || l.startsWith('LOGOUT-TEXT'))).toEqual([]);
      p.child.stdin!.write('go\n');
      const code = await Promise.race([p.exited, p.waitFor(/^END /, 60_000).then(() => p.exited)]);
      expect(code, p.lines.join('\n')).toBe(0);
      expect(p.lines.some((l) => l.startsWith('GAP-FORCED '))).toBe(true);
      expect(p.lines.some((l) => l === 'ADMIN-IN ResendRequest')).toBe(true);
      expect(p.lines.find((l) => l.startsWith('EXEC '))).toMatch(/^EXEC F 2/);
    } catch (e) {
      process.stderr.write(`DEBUG ${auditLines().filter((l) => JSON.stringify(l).includes('OMS1') || JSON.stringify(l).includes('oms-1')).slice(-25).map((l) => JSON.stringify(l).slice(0, 300)).join('\n')}\n`);
      throw e;
    } finally {
      await p.stop();
    }
  }, 120_000);

  it('from an address off its allow-list: refused at logon with the reason, in plain FIX, and alerted', async () => {
    const { lines, code } = await runEngine('OMS2', stockDictionary);
    expect(code, lines.join('\n')).toBe(3);
    expect(lines.find((l) => l.startsWith('REFUSED '))).toBe('REFUSED logon denied: source address 127.0.0.1 is not on the allow-list of service account oms-2');
    expect(lines.some((l) => l.startsWith('LOGON '))).toBe(false);
    await until(() => auditLines().find((l) => l.type === 'alert' && l.data.kind === 'logon.denied' && l.data.username === 'oms-2'), 'the alert');
  }, 90_000);

  it('refuses what a machine identity must not present, each with its reason in plain FIX (no Parley tag), and audits it', async () => {
    const cases: [string, string, string, string][] = [
      ['OMS1', 'someone-else', 'p', 'Username(553) does not name the service account of this CompID'],
      ['OMS1', 'oms-1', 'a-password', 'a service account logs on with its workload certificate, without Password(554)'],
      ['OMS1', 'oms-1', 'x'.repeat(900), 'a service account logs on with its workload certificate, without Password(554)'],
      ['OMS1', '\u0007\u00ff'.repeat(20), 'p', 'Username(553) does not name the service account of this CompID'],
      ['OMS4', 'oms-4', 'p', 'the workload certificate is not bound to this service account'],
      ['OMS5', 'oms-5', 'p', 'the service account is disabled'],
    ];
    // (fix/ refuses a Logon with an empty Password(554) as invalid before it is authorised: every case sends one.)
    for (const [compId, username, password, reason] of cases) {
      const c = await t.connect(username, { compId, key: t.pki.clients[compId]!.rsa.keyPem, cert: t.pki.clients[compId]!.rsa.certPem, password, attestation: false });
      const why = await c.closed();
      expect(c.logoutMessage?.get(58), `${compId}/${username.slice(0, 10)}: ${why}; ${c.events.join(' | ')}`).toBe(`logon denied: ${reason}`);
      expect(c.logoutMessage?.fields.filter((f) => f.tag >= 5000 && f.tag <= 9999)).toEqual([]);
      expect(c.logoutMessage?.seqNum).toBe(1);
    }
    // The audit log is written asynchronously: wait for the line, then it is there.
    await until(() => auditLines().find((l) => l.type === 'logon.denied' && String(l.data.reason).includes('workload certificate is not bound')), 'the audited refusal');
  });
});
