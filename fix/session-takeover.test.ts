/**
 * Session takeover (AcceptOptions.takeOverSameCertificate) over real mutual TLS: a client whose old connection
 * still looks alive to the acceptor (no FIN ever arrived: its address changed) logs on again with the same
 * certificate and continues the SAME session — the old connection is dropped with the reason, sequence numbers
 * carry on, and what the acceptor sent to the dead connection is resent. Another certificate for the same
 * CompID is still refused, and without the option the second Logon is refused as QuickFIX does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FixMessage } from './codec.ts';
import { createDevPki, issueCertificate, type DevPki, type IssuedCert } from './pki/devpki.ts';
import { acceptSession, initiateSession, SessionRegistry, TAKEN_OVER, type FixSession, type SessionConfig } from './session.ts';
import { MemoryStore } from './store.ts';
import { connectFixs, createFixsServer, type FixsConnection, type FixsServer } from './transport.ts';

type Acceptor = { server: FixsServer; sessions: FixSession[]; closed: Map<FixSession, string>; store: MemoryStore };

let dir = '';
let pki: DevPki;
let otherKey: IssuedCert;

async function startAcceptor(takeOverSameCertificate: boolean | undefined): Promise<Acceptor> {
  const registry = new SessionRegistry();
  // One store per CompID, shared by every connection of the session (as the gateway keeps them).
  const store = new MemoryStore();
  const cfg: SessionConfig = { senderCompId: 'GW', targetCompId: 'CLIENT1', heartBtInt: 30, store, logonTimeoutMs: 5_000 };
  const a: Acceptor = { server: undefined as unknown as FixsServer, sessions: [], closed: new Map(), store };
  a.server = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem }, (conn) => {
    const s = acceptSession(conn, {
      registry, logonTimeoutMs: 5_000, lookup: (peer, us) => (peer === 'CLIENT1' && us === 'GW' ? cfg : undefined),
      ...(takeOverSameCertificate !== undefined ? { takeOverSameCertificate } : {}),
    });
    a.sessions.push(s);
    s.on('error', () => {});
    s.once('closed', (r: string) => a.closed.set(s, r));
  });
  return a;
}

type Client = { conn: FixsConnection; fix: FixSession; received: FixMessage[]; events: string[]; closed: Promise<string> };

async function connect(a: Acceptor, store: MemoryStore, cert: { keyPem: string; certPem: string } = pki.clients.CLIENT1!.ec): Promise<Client> {
  const conn = await connectFixs({ host: '127.0.0.1', port: a.server.port, key: cert.keyPem, cert: cert.certPem, ca: pki.caCertPem, servername: 'localhost' });
  const fix = initiateSession(conn, { senderCompId: 'CLIENT1', targetCompId: 'GW', heartBtInt: 30, store });
  const c: Client = { conn, fix, received: [], events: [], closed: new Promise((r) => fix.once('closed', r)) };
  fix.on('error', () => {});
  fix.on('message', (m: FixMessage) => c.received.push(m));
  fix.on('event', (e: string) => c.events.push(e));
  return c;
}

function loggedOn(c: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    if (c.fix.state === 'active') { resolve(); return; }
    c.fix.once('logon', () => resolve());
    c.fix.once('closed', (r: string) => reject(new Error(`closed before logon: ${r}`)));
  });
}

async function until<T>(f: () => T | undefined | false, what: string, ms = 15_000): Promise<T> {
  for (let waited = 0; waited < ms; waited += 25) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// News(B): Headline(148) and one line of text.
const note = (id: string) => [{ tag: 148, value: id }, { tag: 33, value: '1' }, { tag: 58, value: id }];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fix-takeover-'));
  pki = await createDevPki(join(dir, 'pki'), { clients: ['CLIENT1'] });
  // Another certificate for the same CompID, with its own key (a copied identity, or another device).
  otherKey = await issueCertificate(pki.dir, { name: 'CLIENT1', alg: 'ec', kind: 'client', fileStem: 'client1-other' });
}, 60_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('takeover by the same certificate (opt-in)', () => {
  let a: Acceptor;
  // One acceptor (and session store) per test: each test starts the session from sequence number 1.
  beforeEach(async () => { a = await startAcceptor(true); });
  afterEach(async () => { await a?.server.close(); });

  it('a second Logon with the same certificate takes over the live session: old connection dropped, same sequence numbers, the missed message resent', async () => {
    const clientStore = new MemoryStore();
    const first = await connect(a, clientStore);
    await loggedOn(first);
    const old = a.sessions.at(-1)!;
    await until(() => old.state === 'active', 'the acceptor side active');
    old.send('B', note('before'));
    await until(() => first.received.some((m) => m.get(148) === 'before'), 'the first news on the first connection');

    // The client's address changes: its end stops reading and writing, the acceptor still believes it alive.
    first.conn.socket.pause();
    first.fix.removeAllListeners('message');
    old.send('B', note('in-flight'));
    const seqBefore = clientStore.getNextSenderSeqNum();

    const second = await connect(a, clientStore);
    await loggedOn(second);
    const closedReason = await until(() => a.closed.get(old), 'the old connection to be dropped');
    expect(closedReason).toBe(`${TAKEN_OVER} 127.0.0.1`);
    const now = a.sessions.at(-1)!;
    expect(now).not.toBe(old);
    expect(now.state).toBe('active');
    // No reset: the Logon continued the client's numbers, and the acceptor's gap was filled by a resend.
    expect(clientStore.getNextSenderSeqNum()).toBeGreaterThan(seqBefore);
    const resent = await until(() => second.received.find((m) => m.get(148) === 'in-flight'), 'the missed message resent');
    expect(resent.get(43)).toBe('Y');
    expect(second.events.some((e) => /sent ResendRequest/.test(e))).toBe(true);
    expect(second.events.some((e) => /ResetSeqNumFlag|reset to 1/.test(e))).toBe(false);
    // The session goes on on the new connection, both ways.
    now.send('B', note('after'));
    await until(() => second.received.some((m) => m.get(148) === 'after'), 'news on the new connection');
    const seen: FixMessage[] = [];
    now.on('message', (m: FixMessage) => seen.push(m));
    second.fix.send('B', note('from-client'));
    await until(() => seen.some((m) => m.get(148) === 'from-client'), 'the client message at the acceptor');
    first.conn.socket.destroy();
    await second.fix.logout('bye');
  });

  it('a message sent on the taken-over session reaches the peer on the new connection at once, not after the next heartbeat reveals a gap', async () => {
    const clientStore = new MemoryStore();
    const first = await connect(a, clientStore);
    await loggedOn(first);
    const old = a.sessions.at(-1)!;
    await until(() => old.state === 'active', 'the acceptor side active');
    first.conn.socket.pause();
    first.fix.removeAllListeners('message');
    const second = await connect(a, clientStore);
    await loggedOn(second);
    await until(() => a.closed.get(old), 'the old connection to be dropped');
    const now = a.sessions.at(-1)!;
    await until(() => now.state === 'active', 'the new acceptor session active');
    // The application still holds the old session object (a quote due on an RFQ of the old connection): the
    // message takes the session's next sequence number, so it must go out on the connection that has the session.
    // HeartBtInt is 30 s: if it were only stored, nothing but the next message would make the client ask for it.
    old.send('B', note('late'));
    now.send('B', note('marker'));
    await until(() => second.received.some((m) => m.get(148) === 'marker'), 'the marker on the new connection');
    const late = second.received.find((m) => m.get(148) === 'late');
    expect(late).toBeDefined();
    // Delivered live, in order, not recovered by a ResendRequest as a possible duplicate.
    expect(late!.get(43)).toBeUndefined();
    expect(second.received.findIndex((m) => m.get(148) === 'late')).toBeLessThan(second.received.findIndex((m) => m.get(148) === 'marker'));
    first.conn.socket.destroy();
    await second.fix.logout('bye');
  });

  it('another certificate for the same CompID is refused and the live session goes on untouched', async () => {
    const live = await connect(a, new MemoryStore());
    await loggedOn(live);
    const holder = a.sessions.at(-1)!;
    await until(() => holder.state === 'active', 'the acceptor side active');
    const intruder = await connect(a, new MemoryStore(), otherKey);
    expect(await intruder.closed).toMatch(/connection closed|peer closed/);
    expect(intruder.fix.state).toBe('closed');
    expect(holder.state).toBe('active');
    expect(a.closed.has(holder)).toBe(false);
    holder.send('B', note('still-here'));
    await until(() => live.received.some((m) => m.get(148) === 'still-here'), 'the live session still served');
    await live.fix.logout('bye');
  });

  it('a takeover Logon that fails its own checks costs the live connection nothing', async () => {
    const live = await connect(a, new MemoryStore());
    await loggedOn(live);
    const holder = a.sessions.at(-1)!;
    await until(() => holder.state === 'active', 'the acceptor side active');
    // Same certificate, but the Logon's SendingTime is far off: refused before any takeover.
    const conn = await connectFixs({ host: '127.0.0.1', port: a.server.port, key: pki.clients.CLIENT1!.ec.keyPem, cert: pki.clients.CLIENT1!.ec.certPem, ca: pki.caCertPem, servername: 'localhost' });
    const { encodeMessage } = await import('./codec.ts');
    conn.socket.write(encodeMessage('FIX.4.4', [
      { tag: 35, value: 'A' }, { tag: 34, value: '1' }, { tag: 49, value: 'CLIENT1' }, { tag: 52, value: '20000101-00:00:00.000' },
      { tag: 56, value: 'GW' }, { tag: 98, value: '0' }, { tag: 108, value: '30' },
    ]));
    await new Promise<void>((r) => conn.socket.once('close', () => r()));
    expect(holder.state).toBe('active');
    expect(a.closed.has(holder)).toBe(false);
    await live.fix.logout('bye');
  });
});

describe('without the option (QuickFIX behaviour)', () => {
  it.each([[undefined], [false]])('takeOverSameCertificate=%s: the same certificate logging on again is refused; the live session goes on', async (opt) => {
    const a = await startAcceptor(opt);
    try {
      const live = await connect(a, new MemoryStore());
      await loggedOn(live);
      const holder = a.sessions.at(-1)!;
      await until(() => holder.state === 'active', 'the acceptor side active');
      const again = await connect(a, new MemoryStore());
      expect(await again.closed).toMatch(/connection closed|peer closed/);
      expect(holder.state).toBe('active');
      expect(a.closed.has(holder)).toBe(false);
      await live.fix.logout('bye');
    } finally {
      await a.server.close();
    }
  });
});
