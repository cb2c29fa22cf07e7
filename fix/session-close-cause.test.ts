/**
 * The 'closed' event's structured cause (CloseCause.kind, also FixSession.closeCause), over real mutual TLS:
 * code decides on the kind, the reason text stays for people.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDevPki, type DevPki } from './pki/devpki.ts';
import { acceptSession, initiateSession, SessionRegistry, TAKEN_OVER, type CloseCause, type FixSession, type SessionConfig } from './session.ts';
import { MemoryStore } from './store.ts';
import { connectFixs, createFixsServer, type FixsServer } from './transport.ts';

type Closed = { reason: string; cause: CloseCause | undefined };
type Acceptor = { server: FixsServer; sessions: FixSession[]; closed: Map<FixSession, Promise<Closed>> };

let dir = '';
let pki: DevPki;
const servers: FixsServer[] = [];

function closedOf(s: FixSession): Promise<Closed> {
  return new Promise((resolve) => s.once('closed', (reason: string, cause: CloseCause | undefined) => resolve({ reason, cause })));
}

async function startAcceptor(): Promise<Acceptor> {
  const registry = new SessionRegistry();
  const cfg: SessionConfig = { senderCompId: 'GW', targetCompId: 'CLIENT1', heartBtInt: 30, store: new MemoryStore(), logonTimeoutMs: 5_000 };
  const a: Acceptor = { server: undefined as unknown as FixsServer, sessions: [], closed: new Map() };
  a.server = await createFixsServer({ key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem }, (conn) => {
    const s = acceptSession(conn, { registry, logonTimeoutMs: 5_000, takeOverSameCertificate: true, lookup: (peer, us) => (peer === 'CLIENT1' && us === 'GW' ? cfg : undefined) });
    s.on('error', () => {});
    a.sessions.push(s);
    a.closed.set(s, closedOf(s));
  });
  servers.push(a.server);
  return a;
}

async function connect(a: Acceptor, store: MemoryStore): Promise<{ fix: FixSession; closed: Promise<Closed> }> {
  const c = pki.clients.CLIENT1!.ec;
  const conn = await connectFixs({ host: '127.0.0.1', port: a.server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
  const fix = initiateSession(conn, { senderCompId: 'CLIENT1', targetCompId: 'GW', heartBtInt: 30, store });
  fix.on('error', () => {});
  return { fix, closed: closedOf(fix) };
}

function loggedOn(fix: FixSession): Promise<void> {
  return new Promise((resolve, reject) => {
    fix.once('logon', () => resolve());
    fix.once('closed', (r: string) => reject(new Error(`closed before logon: ${r}`)));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fix-close-cause-'));
  pki = await createDevPki(join(dir, 'pki'), { clients: ['CLIENT1'] });
}, 60_000);
afterEach(async () => { for (const s of servers.splice(0)) await s.close(); });
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('the closed event carries a structured cause', () => {
  it('logged-out on both sides after a Logout exchange; the text stays', async () => {
    const a = await startAcceptor();
    const c = await connect(a, new MemoryStore());
    await loggedOn(c.fix);
    await c.fix.logout('bye');
    expect(await c.closed).toEqual({ reason: 'logged out', cause: { kind: 'logged-out' } });
    expect((await a.closed.get(a.sessions[0]!)!).cause).toEqual({ kind: 'logged-out' });
    expect(c.fix.closeCause).toEqual({ kind: 'logged-out' });
  });

  it('connection-lost when the peer goes away, disconnected for a caller\'s own disconnect', async () => {
    const a = await startAcceptor();
    const c = await connect(a, new MemoryStore());
    await loggedOn(c.fix);
    c.fix.disconnect('going away');
    expect(await c.closed).toEqual({ reason: 'going away', cause: { kind: 'disconnected' } });
    expect((await a.closed.get(a.sessions[0]!)!).cause).toEqual({ kind: 'connection-lost' });
  });

  it('taken-over for the connection a same-certificate Logon took the session from', async () => {
    const a = await startAcceptor();
    const store = new MemoryStore();
    const first = await connect(a, store);
    await loggedOn(first.fix);
    const second = await connect(a, store);
    await loggedOn(second.fix);
    const old = await a.closed.get(a.sessions[0]!)!;
    expect(old.cause).toEqual({ kind: 'taken-over' });
    expect(old.reason.startsWith(TAKEN_OVER)).toBe(true);
    second.fix.disconnect('done');
    first.fix.disconnect('done');
  });

  it('seq-too-low for the side that saw a Logon behind its numbers; the other side only gets the Logout', async () => {
    const a = await startAcceptor();
    const c = await connect(a, new MemoryStore());
    await loggedOn(c.fix);
    await c.fix.logout();
    // A fresh store starts again at MsgSeqNum 1, behind what the acceptor expects.
    const again = await connect(a, new MemoryStore());
    const closed = await again.closed;
    expect(closed.cause).toEqual({ kind: 'logged-out' });
    const refused = await a.closed.get(a.sessions[1]!)!;
    expect(refused.cause).toEqual({ kind: 'seq-too-low' });
    expect(refused.reason).toMatch(/^MsgSeqNum too low/);
  });
});
