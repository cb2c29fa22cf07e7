// The session layer over real mutual TLS: handshake, ordering, heartbeats/TestRequest, logon authorisation
// and timeouts, daily reset, hostile input (each refused while a bystander session keeps being served),
// and a FileStore that survives kill -9 of a real child process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Peer, prepareOutgoing } from './acceptance/runner.ts';
import { decodeMessage, type FixMessage } from './codec.ts';
import { createDevPki, issueCertificate, type DevPki } from './pki/devpki.ts';
import { acceptSession, type FixSession, initiateSession, type LogonDecision, type SessionConfig, SessionRegistry } from './session.ts';
import { parleyDictionary } from './parley-protocol.ts';
import { FileStore, MemoryStore } from './store.ts';
import { connectFixs, createFixsServer, type FixsServer } from './transport.ts';

const here = dirname(fileURLToPath(import.meta.url));
let dir = '';
let pki: DevPki;
let server: FixsServer;
const configs = new Map<string, SessionConfig>();
let authorize: ((logon: FixMessage) => Promise<LogonDecision>) | undefined;
const accepted: FixSession[] = [];
const received: FixMessage[] = [];

function cfgFor(peer: string, extra: Partial<SessionConfig> = {}): SessionConfig {
  return { senderCompId: 'GW', targetCompId: peer, heartBtInt: 30, store: new MemoryStore(), resetOnLogon: true, maxMessageSize: 4096, logonTimeoutMs: 800, logoutTimeoutMs: 500, ...extra };
}

async function rawClient(name = 'CLIENT1'): Promise<Peer> {
  const c = pki.clients[name]!.ec;
  const sock = tls.connect({ host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
  await new Promise<void>((r, j) => { sock.once('secureConnect', () => r()); sock.once('error', j); });
  return new Peer(sock);
}
const T = '<TIME>';
const msg = (sender: string, type: string, seq: number, body = ''): Buffer =>
  prepareOutgoing(`8=FIX.4.4\x0135=${type}\x0134=${seq}\x0149=${sender}\x0152=${T}\x0156=GW\x01${body}`);

async function next(p: Peer): Promise<FixMessage | string> {
  const m = await p.next(10_000);
  return m === 'closed' || m === 'timeout' || m.startsWith('GARBLED') ? m : decodeMessage(Buffer.from(m, 'latin1'));
}
async function nextMsg(p: Peer): Promise<FixMessage> {
  const m = await next(p);
  if (typeof m === 'string') throw new Error(`expected a message, got ${m}`);
  return m;
}

async function logonRaw(name: string, hb = 30): Promise<Peer> {
  const p = await rawClient(name);
  p.write(msg(name, 'A', 1, `98=0\x01108=${hb}\x01`));
  const a = await nextMsg(p);
  expect(a.msgType).toBe('A');
  return p;
}

/** A session that stays logged on through the hostile tests and must keep answering. */
let bystander: Peer;
let bystanderSeq = 2;
async function bystanderAlive(): Promise<void> {
  const id = `ping-${bystanderSeq}`;
  bystander.write(msg('TW44', '1', bystanderSeq++, `112=${id}\x01`));
  let hb = await nextMsg(bystander);
  // Its own 30 s heartbeats may come in between on a slow machine; the answer must still come.
  while (hb.msgType === '0' && hb.get(112) === undefined) hb = await nextMsg(bystander);
  expect([hb.msgType, hb.get(112)]).toEqual(['0', id]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fix-session-'));
  pki = await createDevPki(join(dir, 'pki'), { clients: ['CLIENT1', 'TW44', 'SLOW', 'AUTH'] });
  await issueCertificate(pki.dir, { name: 'CRASHER', alg: 'ec', kind: 'client' });
  for (const n of ['CLIENT1', 'TW44', 'AUTH']) configs.set(n, cfgFor(n));
  configs.set('SLOW', cfgFor('SLOW', { heartbeatUnitMs: 500 }));
  const registry = new SessionRegistry();
  server = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem, crl: pki.readCrl }, (conn) => {
    const s = acceptSession(conn, {
      registry, logonTimeoutMs: 800, maxMessageSize: 64 * 1024,
      lookup: (sender, target) => (target === 'GW' ? configs.get(sender) : undefined),
      authorizeLogon: async (logon) => (authorize && logon.get(49) === 'AUTH' ? authorize(logon) : { ok: true }),
    });
    accepted.push(s);
    s.on('message', (m: FixMessage) => {
      received.push(m);
      if (m.msgType === 'D') s.send('8', [{ tag: 37, value: 'O1' }, { tag: 17, value: 'E1' }, { tag: 150, value: '0' }, { tag: 39, value: '0' }, { tag: 54, value: '1' }, { tag: 151, value: '0' }, { tag: 14, value: '0' }, { tag: 6, value: '0' }, { tag: 55, value: m.get(55) ?? '' }]);
    });
  });
  bystander = await logonRaw('TW44');
}, 60_000);
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('session over mutual TLS', () => {
  it('fix/ initiator ↔ fix/ acceptor: logon, application messages once and in order, logout', async () => {
    const c = pki.clients.CLIENT1!.ec;
    const conn = await connectFixs({ host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
    const s = initiateSession(conn, { senderCompId: 'CLIENT1', targetCompId: 'GW', heartBtInt: 30, store: new MemoryStore(), resetOnLogon: true });
    const reports: FixMessage[] = [];
    s.on('message', (m: FixMessage) => reports.push(m));
    await new Promise<void>((r) => s.once('logon', () => r()));
    expect(s.state).toBe('active');
    const before = received.length;
    for (let i = 0; i < 20; i++) s.send('D', [{ tag: 11, value: `C${i}` }, { tag: 21, value: '1' }, { tag: 55, value: `S${i}` }, { tag: 54, value: '1' }, { tag: 60, value: '20250101-00:00:00' }, { tag: 40, value: '1' }]);
    for (let i = 0; i < 200 && reports.length < 20; i++) await new Promise((r) => setTimeout(r, 25));
    expect(received.slice(before).map((m) => m.get(11))).toEqual(Array.from({ length: 20 }, (_, i) => `C${i}`));
    expect(reports.map((m) => m.get(55))).toEqual(Array.from({ length: 20 }, (_, i) => `S${i}`));
    expect(reports.map((m) => m.seqNum)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    const closed = new Promise<string>((r) => s.once('closed', r));
    await s.logout('bye');
    expect(await closed).toBe('logged out');
    expect(s.state).toBe('closed');
  });

  it('sends heartbeats, then a TestRequest on silence, then disconnects', async () => {
    const p = await logonRaw('SLOW', 2); // HeartBtInt 2 × 500 ms in this session's compressed time
    const hb = await nextMsg(p);
    expect(hb.msgType).toBe('0');
    let sawTest = false;
    for (;;) {
      const m = await next(p);
      if (m === 'closed') break;
      if (typeof m === 'string') throw new Error(m);
      if (m.msgType === '1') { sawTest = true; expect(m.get(112)).toBe('TEST'); }
    }
    expect(sawTest).toBe(true);
    await bystanderAlive();
  });

  it('closes a connection that never logs on (logon timeout)', async () => {
    const p = await rawClient();
    expect(await p.next(10_000)).toBe('closed');
    await bystanderAlive();
  });

  it('asks authorizeLogon before answering: a refusal is a Logout with its text, extra fields go on the reply', async () => {
    authorize = async () => ({ ok: false, text: 'step-up required' });
    const p = await rawClient('AUTH');
    p.write(msg('AUTH', 'A', 1, '98=0\x01108=30\x01'));
    const lo = await nextMsg(p);
    expect([lo.msgType, lo.get(58)]).toEqual(['5', 'step-up required']);
    expect(await p.next(10_000)).toBe('closed');
    authorize = async () => ({ ok: true, extraFields: [{ tag: 58, value: 'welcome' }] });
    const q = await rawClient('AUTH');
    q.write(msg('AUTH', 'A', 1, '98=0\x01108=30\x01'));
    const a = await nextMsg(q);
    expect([a.msgType, a.get(58)]).toEqual(['A', 'welcome']);
    // Our own Logout may carry extra fields too.
    const ended = accepted.at(-1)!.logout('ended by policy', [{ tag: 5002, value: 'ENDED' }, { tag: 58, value: 'dropped' }]);
    const lo2 = await nextMsg(q);
    expect([lo2.msgType, lo2.get(58), lo2.get(5002)]).toEqual(['5', 'ended by policy', 'ENDED']);
    q.write(msg('AUTH', '5', 2));
    await ended;
    expect(await q.next(10_000)).toBe('closed');
    authorize = undefined;
  });

  it('a fix/ initiator refused at logon gets the Logout text and fields as its logout event; the refusal is not answered or counted', async () => {
    authorize = async () => ({ ok: false, text: 'device posture too old', extraFields: [{ tag: 5002, value: 'DENY' }, { tag: 5008, value: 'posture' }, { tag: 34, value: '999' }] });
    try {
      const c = pki.clients.AUTH!.ec;
      const conn = await connectFixs({ host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
      const store = new MemoryStore();
      const s = initiateSession(conn, { senderCompId: 'AUTH', targetCompId: 'GW', heartBtInt: 30, store, resetOnLogon: true, dictionary: parleyDictionary() });
      expect(() => s.send('D', [])).toThrow(/logon/);
      const events: string[] = [];
      s.on('event', (e: string) => events.push(e));
      const [text, m] = await new Promise<[string | undefined, FixMessage]>((resolve, reject) => {
        s.once('logout', (t: string | undefined, lo: FixMessage) => resolve([t, lo]));
        s.once('closed', (why: string) => reject(new Error(`closed without a Logout: ${why}; ${events.join(' | ')}`)));
      });
      expect(text).toBe('device posture too old');
      expect([m.get(5002), m.get(5008)]).toEqual(['DENY', 'posture']);
      await new Promise<void>((r) => (s.state === 'closed' ? r() : s.once('closed', () => r())));
      // Only our Logon went out (no Logout in answer), and the refusal did not move the expected number.
      expect([store.getNextSenderSeqNum(), store.getNextTargetSeqNum()]).toEqual([2, 1]);
      expect(events.join(' | ')).not.toMatch(/before Logon/);
    } finally {
      authorize = undefined;
    }
  });

  it('initiator gives up when the Logon is never answered', async () => {
    const silent = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem }, () => undefined);
    try {
      const c = pki.clients.CLIENT1!.ec;
      const conn = await connectFixs({ host: '127.0.0.1', port: silent.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
      const s = initiateSession(conn, { senderCompId: 'CLIENT1', targetCompId: 'GW', heartBtInt: 30, store: new MemoryStore(), logonTimeoutMs: 300 });
      expect(s.state).toBe('logon-sent');
      expect(await new Promise<string>((r) => s.once('closed', r))).toBe('logon timed out');
    } finally {
      await silent.close();
    }
  });

  it('daily reset logs the session out and resets both sequence numbers', async () => {
    const now = new Date(Date.now() + 2500);
    const at = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}:${String(now.getUTCSeconds()).padStart(2, '0')}`;
    const store = new MemoryStore();
    configs.set('CLIENT1', cfgFor('CLIENT1', { dailyReset: { atUtc: at }, resetOnLogon: false, store }));
    try {
      const p = await logonRaw('CLIENT1');
      p.write(msg('CLIENT1', '0', 2));
      const lo = await nextMsg(p);
      expect([lo.msgType, lo.get(58)]).toEqual(['5', 'Daily session reset']);
      expect(await p.next(10_000)).toBe('closed');
      expect([store.getNextSenderSeqNum(), store.getNextTargetSeqNum()]).toEqual([1, 1]);
    } finally {
      configs.set('CLIENT1', cfgFor('CLIENT1'));
    }
  });
});

describe('hostile input: a clear refusal, and the bystander session keeps being served', () => {
  it('garbage bytes before a Logon: disconnected', async () => {
    const p = await rawClient();
    p.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(10)));
    p.write(Buffer.from([0, 1, 2, 255, 254, 0x38, 0x3d, 0x46, 0x49, 0x58, 0x01, 0x39, 0x3d, 0x35, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01]));
    expect(await p.next(10_000)).toBe('closed');
    await bystanderAlive();
  });

  it('garbage bytes after logon: ignored, no sequence number consumed', async () => {
    const p = await logonRaw('CLIENT1');
    p.write(Buffer.from('\x00\x01garbage=\x01\xff\xfe'));
    p.write(msg('CLIENT1', '1', 2, '112=Z\x01'));
    const hb = await nextMsg(p);
    expect([hb.msgType, hb.get(112), hb.seqNum]).toEqual(['0', 'Z', 2]);
    p.close();
    await bystanderAlive();
  });

  it('a bad checksum: ignored, no sequence number consumed', async () => {
    const p = await logonRaw('CLIENT1');
    const bad = msg('CLIENT1', '1', 2, '112=X\x01').toString('latin1').replace(/10=\d{3}/, '10=000');
    p.write(Buffer.from(bad, 'latin1'));
    p.write(msg('CLIENT1', '1', 2, '112=Z\x01'));
    const hb = await nextMsg(p);
    expect([hb.msgType, hb.get(112), hb.seqNum]).toEqual(['0', 'Z', 2]);
    p.close();
    await bystanderAlive();
  });

  it('a wrong body length: ignored, no sequence number consumed', async () => {
    const p = await logonRaw('CLIENT1');
    p.write(prepareOutgoing(`8=FIX.4.4\x019=5\x0135=1\x0134=2\x0149=CLIENT1\x0152=${T}\x0156=GW\x01112=Y\x01`));
    p.write(msg('CLIENT1', '1', 2, '112=Z\x01'));
    const hb = await nextMsg(p);
    expect([hb.msgType, hb.get(112), hb.seqNum]).toEqual(['0', 'Z', 2]);
    p.close();
    await bystanderAlive();
  });

  it('a wrong BeginString after logon: Logout "Incorrect BeginString"', async () => {
    const p = await logonRaw('CLIENT1');
    p.write(prepareOutgoing(`8=FIX.4.2\x0135=1\x0134=2\x0149=CLIENT1\x0152=${T}\x0156=GW\x01112=X\x01`));
    const lo = await nextMsg(p);
    expect([lo.msgType, lo.get(58)]).toEqual(['5', 'Incorrect BeginString']);
    expect(await p.next(10_000)).toBe('closed');
    await bystanderAlive();
  });

  it('a message over the size limit: Logout and disconnect', async () => {
    const p = await logonRaw('CLIENT1');
    p.write(msg('CLIENT1', '1', 2, `112=${'x'.repeat(10_000)}\x01`));
    const lo = await nextMsg(p);
    expect([lo.msgType, lo.get(58)]).toEqual(['5', 'Message exceeds the size limit']);
    expect(await p.next(10_000)).toBe('closed');
    await bystanderAlive();
  });

  it('a tag without a value: session Reject 373=4 naming the tag', async () => {
    const p = await logonRaw('CLIENT1');
    p.write(msg('CLIENT1', '1', 2, '112=\x01'));
    const rj = await nextMsg(p);
    expect([rj.msgType, rj.get(373), rj.get(371), rj.get(45)]).toEqual(['3', '4', '112', '2']);
    p.write(msg('CLIENT1', '1', 3, '112=ok\x01'));
    expect((await nextMsg(p)).get(112)).toBe('ok');
    p.close();
    await bystanderAlive();
  });

  it('mutated, truncated and shuffled messages (seeded fuzz): the session never crashes the process', async () => {
    let seed = 12345;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const p = await logonRaw('CLIENT1');
    const chunks: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const good = Buffer.from(msg('CLIENT1', rnd(3) ? '1' : 'D', 2 + rnd(50), `112=F${i}\x0111=X\x0155=S\x01`));
      switch (rnd(5)) {
        case 0: good[rnd(good.length)] = rnd(256); break;                 // flip a byte
        case 1: chunks.push(good.subarray(0, rnd(good.length))); continue; // truncated
        case 2: good[rnd(good.length)] = 0x01; break;                     // stray delimiter
        case 3: chunks.push(Buffer.from([rnd(256), rnd(256), 0x3d, 0x01])); break;
        default: break;
      }
      chunks.push(good);
    }
    for (const c of chunks) p.write(c);
    // Whatever it made of that, the session either still answers or has closed; the process serves on.
    for (;;) {
      const m = await p.next(3000);
      if (m === 'closed' || m === 'timeout') break;
    }
    p.close();
    await bystanderAlive();
  });

  it('a Logon for a session that does not exist, or already logged on: disconnected without an answer', async () => {
    const p = await rawClient('TW44');
    p.write(msg('TW44', 'A', 1, '98=0\x01108=30\x01'));
    expect(await p.next(10_000)).toBe('closed');
    const q = await rawClient('CLIENT1');
    q.write(prepareOutgoing(`8=FIX.4.4\x0135=A\x0134=1\x0149=CLIENT1\x0152=${T}\x0156=NOBODY\x0198=0\x01108=30\x01`));
    expect(await q.next(10_000)).toBe('closed');
    await bystanderAlive();
  });
});

describe('FileStore survives kill -9', () => {
  const child = (args: string[]) => {
    const c = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(here, 'testing/store-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
    c.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const waitFor = async (re: RegExp): Promise<string> => {
      for (let i = 0; i < 600; i++) {
        const hit = lines.find((l) => re.test(l));
        if (hit) return hit;
        if (c.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`child never printed ${re}: ${lines.join(' | ')} ${err}`);
    };
    const killed = new Promise<NodeJS.Signals | null>((r) => c.on('exit', (_code, sig) => r(sig)));
    return { c, waitFor, killed };
  };

  it('a restarted initiator resumes its sequence numbers and answers a ResendRequest from its store', async () => {
    const storePath = join(dir, 'crasher.store');
    const store = new MemoryStore();
    configs.set('CRASHER', cfgFor('CRASHER', { store, resetOnLogon: false }));
    const first = child(['send', String(server.port), storePath, pki.dir, '5']);
    expect(await first.waitFor(/^SENT /)).toBe('SENT 6');
    for (let i = 0; i < 200 && store.getNextTargetSeqNum() < 7; i++) await new Promise((r) => setTimeout(r, 25));
    const firstRound = received.filter((m) => m.get(49) === 'CRASHER').map((m) => [m.seqNum, m.get(131)]);
    expect(firstRound).toEqual([[2, 'QR1'], [3, 'QR2'], [4, 'QR3'], [5, 'QR4'], [6, 'QR5']]);
    first.c.kill('SIGKILL');
    expect(await first.killed).toBe('SIGKILL');

    // The gateway "lost" messages 2..6: it will ask the restarted client for them.
    store.setNextTargetSeqNum(2);
    const before = received.length;
    const second = child(['resume', String(server.port), storePath, pki.dir]);
    expect(await second.waitFor(/^LOGON /)).toBe('LOGON 7'); // sequence numbers survived the crash
    for (let i = 0; i < 200 && received.length < before + 5; i++) await new Promise((r) => setTimeout(r, 25));
    const resent = received.slice(before);
    expect(resent.map((m) => [m.seqNum, m.get(131), m.get(43)])).toEqual([[2, 'QR1', 'Y'], [3, 'QR2', 'Y'], [4, 'QR3', 'Y'], [5, 'QR4', 'Y'], [6, 'QR5', 'Y']]);
    expect(resent.every((m) => m.get(122) !== undefined)).toBe(true);
    second.c.kill('SIGKILL');
    await second.killed;
  });

  it('a store killed mid-write reopens consistent: every saved message reads back', async () => {
    const storePath = join(dir, 'flood.store');
    const flood = child(['flood', storePath]);
    await flood.waitFor(/^FLOODING/);
    flood.c.kill('SIGKILL');
    await flood.killed;
    const s = new FileStore(storePath);
    const next = s.getNextSenderSeqNum();
    expect(next).toBeGreaterThan(2000);
    const all = s.getSent(1, next);
    expect(all.map((m) => m.seqNum)).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
    for (const m of all) expect(decodeMessage(m.bytes).get(131)).toBe(`F${m.seqNum}`);
    s.close();
  });
});
