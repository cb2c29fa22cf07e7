/**
 * The SIEM export against Debian's rsyslogd (imtcp + gtls, x509/name), with a real audit log and a PKI generated
 * at run time: ECS documents arrive; rsyslog stopped while events are produced and started again loses nothing,
 * and the duplicates are only the replay window's, with the same event.id; a restart resumes at the cursor.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, issueCertificate, type DevPki, type IssuedCert } from '../../fix/pki/devpki.ts';
import { AuditLog } from '../audit/log.ts';
import { startTestGateway } from '../session/test-gateway.ts';
import { ECS_VERSION } from './ecs.ts';
import { SyslogExporter, type SyslogExportOptions } from './syslog-export.ts';
import { Rsyslog, rsyslogSkipReason, type Received } from './testing/rsyslog.ts';

const skip = rsyslogSkipReason();

type Doc = { '@timestamp': string; ecs: { version: string }; event: Record<string, unknown>; user?: { name: string }; source?: { ip: string }; parley: { audit: { seq: number; type: string; hash: string } } };

function docs(r: Rsyslog): { rec: Received; doc: Doc }[] {
  const rows = r.received();
  const out: { rec: Received; doc: Doc }[] = [];
  rows.forEach((rec, i) => {
    try {
      out.push({ rec, doc: JSON.parse(rec.msg) as Doc });
    } catch (e) {
      if (i !== rows.length - 1) throw e; // only the line rsyslog is writing right now may be incomplete
    }
  });
  return out;
}

async function until(what: string, cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip !== null)(`SIEM export to rsyslog over TLS${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let pki: DevPki;
  let sender: IssuedCert;
  let rsyslog: Rsyslog;
  const events: { type: string; data: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-siem-'));
    pki = await createDevPki(join(dir, 'pki'), { clients: [] });
    const server = await issueCertificate(pki.dir, { name: 'siem-receiver', alg: 'ec', kind: 'server', hostNames: ['127.0.0.1', 'localhost'] });
    sender = await issueCertificate(pki.dir, { name: 'parley-gateway-siem', alg: 'ec', kind: 'client' });
    rsyslog = await Rsyslog.create({ dir, caFile: pki.caCertPath, certFile: server.certPath, keyFile: server.keyPath, permittedPeer: 'parley-gateway-siem' });
    await rsyslog.start();
  });
  afterAll(async () => {
    await rsyslog?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const options = (log: AuditLog, over: Partial<SyslogExportOptions> = {}): SyslogExportOptions => ({
    auditFile: log.file, cursorFile: join(dir, 'siem.cursor'), host: '127.0.0.1', port: rsyslog.port,
    ca: pki.caCertPem, cert: sender.certPem, key: sender.keyPem, hostname: 'gw-test', reconnectMinMs: 50, reconnectMaxMs: 500,
    pollMs: 100, onEvent: (type, data) => events.push({ type, data }), ...over,
  });

  it('sends every audit entry as RFC 5424 over TLS with an ECS document, loses none across a receiver outage, and resumes at the cursor', async () => {
    const log = await AuditLog.open(join(dir, 'audit.jsonl'));
    const replayWindow = 100;
    // Above all the test sends (about 2.5 MB): however slowly rsyslog reads on a loaded machine, what the kernel
    // buffered when it stopped is inside the window. The count window (100) is what bounds re-sends otherwise.
    const replayBytes = 4 * 1024 * 1024;
    let x = await SyslogExporter.start(options(log, { replayWindow, replayBytes }));
    const nudged = async (type: string, data: Record<string, unknown>) => { await log.append(type, data); x.nudge(); };
    try {
      await nudged('logon.decision', { compId: 'ALICE', ip: '10.1.2.3', serial: 'ab12', username: 'alice', decision: 'allow', score: 5, summary: 'password only: 5 - allowed', country: 'GB' });
      await nudged('alert', { kind: 'logon.denied', username: 'mallory', ip: '203.0.113.9', reason: 'wrong password \u00e9' });
      await until('the first two entries at rsyslog', () => docs(rsyslog).length >= 2);
      const [first, second] = docs(rsyslog);
      // rsyslog parsed our header: APP-NAME, MSGID (the audit type) and the SD element with the ids.
      expect(first!.rec.appName).toBe('parley-gateway');
      expect(first!.rec.msgId).toBe('logon.decision');
      expect(first!.rec.sd).toBe(`[parley@32473 seq="1" id="${first!.doc.event.id as string}"]`);
      const d = first!.doc;
      expect(d.ecs.version).toBe(ECS_VERSION);
      expect(Number.isNaN(Date.parse(d['@timestamp']))).toBe(false);
      expect(d.event).toMatchObject({ kind: 'event', category: ['authentication'], action: 'logon.decision', outcome: 'success', sequence: 1, dataset: 'parley.audit', risk_score: 5 });
      expect(d.event.type).toEqual(['start', 'allowed']);
      expect(d.event.id).toMatch(/^[0-9a-f]{64}$/);
      expect(d.user).toEqual({ name: 'alice' });
      expect(d.source).toEqual({ ip: '10.1.2.3', geo: { country_iso_code: 'GB' } });
      expect(d.parley.audit).toMatchObject({ seq: 1, type: 'logon.decision', hash: d.event.id });
      expect(second!.doc.event).toMatchObject({ kind: 'alert', action: 'logon.denied', outcome: 'failure', reason: 'wrong password \u00e9' });
      expect(second!.doc.event.category).toEqual(['intrusion_detection', 'authentication']);

      // Load, with the receiver stopped for a while in the middle and started again.
      const total = 2500;
      let seq = 2;
      const produce = async (n: number) => {
        for (let i = 0; i < n; i++) {
          seq++;
          await nudged(i % 2 ? 'rfq.created' : 'trade.executed', { session: 's1', user: 'alice', quoteReqId: `Q${seq}`, qty: 1_000_000, pad: 'x'.repeat(300) });
          if (i % 50 === 0) await new Promise((r) => setImmediate(r));
        }
      };
      await produce(800);
      const stopped = rsyslog.stop();
      await produce(600);
      await stopped;
      await produce(600);
      await until('the exporter to notice the outage', () => events.some((e) => e.type === 'telemetry.syslog-down'));
      await rsyslog.start();
      await produce(total - 2000);
      await until(`all ${seq} entries at rsyslog`, () => new Set(docs(rsyslog).map((r) => r.doc.event.sequence)).size === seq);
      expect(events.some((e) => e.type === 'telemetry.syslog-connected')).toBe(true);

      // Every entry arrived; a duplicate is the same event (same id) and there are at most a window's worth
      // per reconnect.
      const got = docs(rsyslog);
      const byseq = new Map<number, Set<string>>();
      for (const r of got) {
        const s = r.doc.event.sequence as number;
        byseq.set(s, (byseq.get(s) ?? new Set()).add(r.doc.event.id as string));
      }
      for (let s = 1; s <= seq; s++) expect(byseq.get(s)?.size, `entry ${s}`).toBe(1);
      const dups = got.length - seq;
      const frame = Math.min(...got.map((r) => r.rec.msg.length));
      const window = Math.max(replayWindow, Math.ceil(replayBytes / frame)) + 1;
      expect(dups).toBeLessThanOrEqual(x.stats().reconnects * window);
      // Re-sent entries start where the export said it would resend from when the receiver went away.
      const resendFrom = Math.min(...events.filter((e) => e.type === 'telemetry.syslog-down').map((e) => e.data.resendFrom as number));
      const seen = new Set<number>();
      for (const r of got) {
        const s = r.doc.event.sequence as number;
        if (seen.has(s)) expect(s).toBeGreaterThanOrEqual(resendFrom);
        seen.add(s);
      }
      expect(x.stats().lag).toBe(0);

      // A clean close confirms everything: the next exporter sends only what is new.
      await x.close();
      const before = got.length;
      await log.append('gateway.started', { fixPort: 1 });
      x = await SyslogExporter.start(options(log, { replayWindow, replayBytes }));
      await until('the entry written while no exporter ran', () => docs(rsyslog).length > before);
      await log.append('gateway.stopped', {});
      x.nudge();
      await until('the next entry', () => docs(rsyslog).length >= before + 2);
      expect(docs(rsyslog).slice(before).map((r) => r.doc.event.sequence)).toEqual([seq + 1, seq + 2]);
    } finally {
      await x.close();
      await log.close();
    }
  });

  it('after a crash (the cursor as last saved while running) the replay window is sent again: nothing lost, duplicates by id', async () => {
    const log = await AuditLog.open(join(dir, 'audit-crash.jsonl'));
    const cursorFile = join(dir, 'crash.cursor');
    const before = docs(rsyslog).length;
    const mine = () => docs(rsyslog).slice(before);
    const a = await SyslogExporter.start(options(log, { cursorFile, replayWindow: 20, replayBytes: 0 }));
    for (let i = 0; i < 60; i++) await log.append('rfq.created', { user: 'alice', n: i });
    a.nudge();
    await until('60 entries', () => mine().length >= 60);
    // The cursor as a crash would leave it: saved while running, pointing at the start of the replay window.
    await until('the cursor saved at the window', () => { a.nudge(); try { return JSON.parse(readFileSync(cursorFile, 'utf8')).seq === 41; } catch { return false; } });
    copyFileSync(cursorFile, `${cursorFile}.crash`);
    await a.close();
    copyFileSync(`${cursorFile}.crash`, cursorFile);
    for (let i = 60; i < 70; i++) await log.append('rfq.created', { user: 'alice', n: i });
    const b = await SyslogExporter.start(options(log, { cursorFile, replayWindow: 20, replayBytes: 0 }));
    try {
      await until('all 70 entries', () => new Set(mine().map((r) => r.doc.event.sequence)).size === 70);
      const seqs = mine().map((r) => r.doc.event.sequence as number);
      // 1-60 once, then 41-60 again (the window) with the same ids, then 61-70.
      expect(seqs).toEqual([...Array.from({ length: 60 }, (_, i) => i + 1), ...Array.from({ length: 30 }, (_, i) => i + 41)]);
      const ids = new Map<number, Set<string>>();
      for (const r of mine()) ids.set(r.doc.event.sequence as number, (ids.get(r.doc.event.sequence as number) ?? new Set()).add(r.doc.event.id as string));
      expect([...ids.values()].every((x) => x.size === 1)).toBe(true);
    } finally {
      await b.close();
      await log.close();
    }
  });

  it('a cursor that is not a cursor, or names another log, starts from the log\'s start and says so', async () => {
    const log = await AuditLog.open(join(dir, 'audit2.jsonl'));
    const cursorFile = join(dir, 'other.cursor');
    await log.append('gateway.started', { n: 1 });
    for (const bad of ['garbage', JSON.stringify({ offset: 1_000_000, seq: 5, prev: '0'.repeat(64) }), JSON.stringify({ offset: 0, seq: 7, prev: 'f'.repeat(64) })]) {
      writeFileSync(cursorFile, bad);
      events.length = 0;
      const before = docs(rsyslog).length;
      const x = await SyslogExporter.start(options(log, { cursorFile }));
      try {
        await until('the entry', () => docs(rsyslog).length > before);
        expect(docs(rsyslog)[before]!.doc.event.sequence).toBe(1);
        expect(events.map((e) => e.type)).toContain('telemetry.syslog-cursor-reset');
      } finally {
        await x.close();
      }
    }
    await log.close();
  });

  it('a gateway with telemetry.syslog on exports its own audit log (gateway.started … gateway.stopped)', async () => {
    const t = await startTestGateway({
      telemetry: { syslog: { enabled: true, host: '127.0.0.1', port: rsyslog.port, caFile: pki.caCertPath, certFile: sender.certPath, keyFile: sender.keyPath, hostname: 'gw-e2e', pollMs: 50 } },
    }, { users: ['alice'] });
    const before = docs(rsyslog).length;
    let closed = false;
    try {
      await until('gateway.started from the gateway', () => docs(rsyslog).slice(before).some((r) => r.doc.event.action === 'gateway.started'));
      await t.close();
      closed = true;
      // The export is flushed at close: the last entry (gateway.stopped) is there too.
      const mine = docs(rsyslog).slice(before).filter((r) => r.rec.msgId.startsWith('gateway.'));
      expect(mine.map((r) => r.doc.event.action)).toEqual(['gateway.started', 'gateway.stopped']);
      expect(mine[0]!.doc).toMatchObject({ host: { name: 'gw-e2e' }, event: { kind: 'event', category: ['process'] } });
    } finally {
      if (!closed) await t.close();
    }
  });

  it('a receiver whose certificate is not from the configured CA gets nothing', async () => {
    const other = await createDevPki(join(dir, 'other-pki'), { clients: [] });
    const log = await AuditLog.open(join(dir, 'audit3.jsonl'));
    await log.append('gateway.started', { secret: 'not for strangers' });
    events.length = 0;
    const before = docs(rsyslog).length;
    const x = await SyslogExporter.start(options(log, { cursorFile: join(dir, 'c3.cursor'), ca: other.caCertPem }));
    try {
      await until('the refused handshake', () => events.some((e) => e.type === 'telemetry.syslog-down'));
      const down = events.find((e) => e.type === 'telemetry.syslog-down')!;
      expect(down.data.error).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
      expect(x.stats().sentSeq).toBe(0);
      expect(docs(rsyslog).length).toBe(before);
    } finally {
      await x.close();
      await log.close();
    }
  });
});
