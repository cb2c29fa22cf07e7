// FIXS transport with real TLS and certificates generated at run time: protocol and cipher policy, client
// certificate checks (other CA, expired, revoked, none), certificate→CompID binding, SPKI pins, exporter.
// After every refusal a good client still logs on: the server keeps serving others.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Peer, prepareOutgoing } from './acceptance/runner.ts';
import { createDevPki, issueCertificate, revokeCertificate, type DevPki, type IssuedCert } from './pki/devpki.ts';
import { acceptSession, initiateSession, SessionRegistry } from './session.ts';
import { MemoryStore } from './store.ts';
import { X509Certificate } from 'node:crypto';
import { connectFixs, createFixsServer, CrlChecker, TLS12_AEAD_CIPHERS, type FixsConnection, type FixsServer } from './transport.ts';

let dir = '';
let pki: DevPki;
let foreign: DevPki;
let expired: IssuedCert;
let revoked: IssuedCert;
let server: FixsServer;
let server12: FixsServer;
const refusals: string[] = [];
const refusedFrom: string[] = [];
const serverConns: FixsConnection[] = [];

function startServer(allowTls12: boolean): Promise<FixsServer> {
  const registry = new SessionRegistry();
  return createFixsServer({
    key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem, crl: pki.readCrl, allowTls12,
    onRefused: (r) => { refusals.push(r.reason); refusedFrom.push(r.remoteAddress); },
  }, (conn) => {
    serverConns.push(conn);
    acceptSession(conn, {
      registry,
      lookup: (sender, target) => (target === 'GW' ? { senderCompId: 'GW', targetCompId: sender, heartBtInt: 30, store: new MemoryStore(), resetOnLogon: true } : undefined),
    });
  });
}

/** A good client (CLIENT1, P-256) logs on and out: proof the server is still serving. */
async function goodLogon(port = server.port, alg: 'ec' | 'rsa' = 'ec'): Promise<FixsConnection> {
  const c = pki.clients.CLIENT1![alg];
  const conn = await connectFixs({ host: '127.0.0.1', port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
  const s = initiateSession(conn, { senderCompId: 'CLIENT1', targetCompId: 'GW', heartBtInt: 30, store: new MemoryStore(), resetOnLogon: true });
  await new Promise<void>((resolve, reject) => {
    s.once('logon', () => resolve());
    s.once('closed', (why: string) => reject(new Error(`closed before logon: ${why}`)));
  });
  await s.logout();
  return conn;
}

/** Connects with raw TLS options and reports how the server answered: refused, or what it said to a Logon. */
async function tryRaw(opts: tls.ConnectionOptions, port = server.port): Promise<{ handshake: boolean; data: string; error?: string }> {
  return new Promise((resolve) => {
    let handshake = false;
    let data = '';
    let error: string | undefined;
    const s = tls.connect({ host: '127.0.0.1', port, ca: pki.caCertPem, servername: 'localhost', ...opts });
    s.on('secureConnect', () => {
      handshake = true;
      s.write(prepareOutgoing(`8=FIX.4.4\x0135=A\x0134=1\x0149=CLIENT1\x0152=<TIME>\x0156=GW\x0198=0\x01108=30\x01`));
    });
    s.on('data', (d: Buffer) => { data += d.toString('latin1'); if (/\x0110=\d{3}\x01/.test(data)) s.destroy(); });
    s.on('error', (e) => { error = e.message; });
    s.on('close', () => resolve({ handshake, data, ...(error ? { error } : {}) }));
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fix-transport-'));
  pki = await createDevPki(join(dir, 'pki'), { clients: ['CLIENT1', 'TW44'] });
  foreign = await createDevPki(join(dir, 'foreign'), { clients: ['CLIENT1'], caName: 'Someone Else CA' });
  expired = await issueCertificate(pki.dir, { name: 'CLIENT1', alg: 'ec', kind: 'client', fileStem: 'expired', notBefore: new Date(Date.now() - 3 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) });
  revoked = await issueCertificate(pki.dir, { name: 'CLIENT1', alg: 'ec', kind: 'client', fileStem: 'revoked' });
  server = await startServer(false);
  server12 = await startServer(true);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await server12?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('FIXS transport', () => {
  it('speaks TLS 1.3 by default, with P-256 and RSA-2048 client certificates, and exposes the same exporter on both ends', async () => {
    const before = serverConns.length;
    const conn = await goodLogon(server.port, 'ec');
    expect(conn.protocol).toBe('TLSv1.3');
    expect(conn.peerCertificate.subject).toContain('CN=gateway');
    const srv = serverConns[before]!;
    expect(srv.allowedCompIds).toEqual(['CLIENT1']);
    expect(srv.peerCertificate.subject).toContain('CN=CLIENT1');
    const rsa = await goodLogon(server.port, 'rsa');
    expect(rsa.protocol).toBe('TLSv1.3');

    const c = pki.clients.CLIENT1!.ec;
    const live = await connectFixs({ host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
    for (let i = 0; i < 100 && serverConns.length < before + 3; i++) await new Promise((r) => setTimeout(r, 20));
    const srvLive = serverConns[before + 2]!;
    const a = live.exporter('EXPORTER-parley-attestation', 32);
    expect(a).toHaveLength(32);
    expect(a.equals(srvLive.exporter('EXPORTER-parley-attestation', 32))).toBe(true);
    expect(a.equals(live.exporter('EXPORTER-other', 32))).toBe(false);
    live.socket.destroy();
  });

  it('refuses TLS 1.2 unless configured, and then only with AEAD suites', async () => {
    const c = pki.clients.CLIENT1!.ec;
    const tls12 = await tryRaw({ key: c.keyPem, cert: c.certPem, maxVersion: 'TLSv1.2' });
    expect(tls12.handshake).toBe(false);
    const aead = await connectFixs({ host: '127.0.0.1', port: server12.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost', allowTls12: true });
    aead.socket.destroy();
    const forced = await tryRaw({ key: c.keyPem, cert: c.certPem, maxVersion: 'TLSv1.2', ciphers: TLS12_AEAD_CIPHERS }, server12.port);
    expect(forced.data).toContain('35=A');
    const cbc = await tryRaw({ key: c.keyPem, cert: c.certPem, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA' }, server12.port);
    expect(cbc.handshake).toBe(false);
    expect(cbc.data).toBe('');
    await goodLogon(server12.port);
  });

  it('refuses a TLS 1.1 client', async () => {
    const c = pki.clients.CLIENT1!.ec;
    const r = await tryRaw({ key: c.keyPem, cert: c.certPem, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, server12.port);
    expect(r.handshake).toBe(false);
    await goodLogon();
  });

  it('refuses a client without a certificate', async () => {
    const none = await tryRaw({});
    expect(none.data).toBe('');
    expect(refusals.some((r) => /did not return a certificate/i.test(r)), refusals.join('; ')).toBe(true);
    await goodLogon();
  });

  it('refuses a client certificate from another CA', async () => {
    const other = foreign.clients.CLIENT1!.ec;
    const fromOther = await tryRaw({ key: other.keyPem, cert: other.certPem });
    expect(fromOther.data).toBe('');
    expect(refusals.some((r) => /not issued by a trusted CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/.test(r)), refusals.join('; ')).toBe(true);
    expect(refusedFrom[refusals.findIndex((r) => /UNABLE_TO_VERIFY_LEAF_SIGNATURE/.test(r))]).toBe('127.0.0.1');
    await goodLogon();
  });

  it('refuses an expired client certificate', async () => {
    const old = await tryRaw({ key: expired.keyPem, cert: expired.certPem });
    expect(old.data).toBe('');
    expect(refusals.some((r) => /expired/i.test(r)), refusals.join('; ')).toBe(true);
    await goodLogon();
  });

  it('refuses a certificate revoked after the server started (the CRL is re-read for every handshake)', async () => {
    const ok = await tryRaw({ key: revoked.keyPem, cert: revoked.certPem });
    expect(ok.data).toContain('35=A');
    await revokeCertificate(pki.dir, revoked.certPem);
    const gone = await tryRaw({ key: revoked.keyPem, cert: revoked.certPem });
    expect(gone.data).toBe('');
    expect(refusals.some((r) => /revoked/i.test(r)), refusals.join('; ')).toBe(true);
    await goodLogon();
  });

  it('parses and verifies each distinct CRL once; changed bytes take effect on the next check', async () => {
    const checker = new CrlChecker([pki.caCertPem]);
    const victim = await issueCertificate(pki.dir, { name: 'CLIENT1', alg: 'ec', kind: 'client', fileStem: 'crlcache' });
    const cert = new X509Certificate(victim.certPem);
    for (let i = 0; i < 5; i++) expect(await checker.isRevoked(cert, pki.readCrl())).toBe(false);
    expect(checker.parses).toBe(1);
    await revokeCertificate(pki.dir, victim.certPem);
    expect(await checker.isRevoked(cert, pki.readCrl())).toBe(true);
    expect(await checker.isRevoked(cert, Buffer.from(pki.readCrl()))).toBe(true);
    expect(checker.parses).toBe(2);
    // A CRL from another CA authenticates nothing: refused (fail closed), and garbage throws (the caller refuses).
    expect(await checker.isRevoked(cert, foreign.readCrl())).toBe(true);
    await expect(checker.isRevoked(cert, '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n')).rejects.toThrow();
    expect(await checker.isRevoked(cert, pki.readCrl())).toBe(true);
  });

  it('a CRL changed while the server runs takes effect on the next connection (the cached one is not reused)', async () => {
    const victim = await issueCertificate(pki.dir, { name: 'CLIENT1', alg: 'ec', kind: 'client', fileStem: 'crlnext' });
    for (let i = 0; i < 3; i++) expect((await tryRaw({ key: victim.keyPem, cert: victim.certPem })).data).toContain('35=A');
    await revokeCertificate(pki.dir, victim.certPem);
    expect((await tryRaw({ key: victim.keyPem, cert: victim.certPem })).data).toBe('');
    await goodLogon();
  });

  it('fails closed when the CRL cannot be read, and recovers when it can', async () => {
    let broken = false;
    const local: string[] = [];
    const srv = await createFixsServer({
      key: pki.gateway.ec.keyPem, cert: pki.gateway.ec.certPem, ca: pki.caCertPem,
      crl: () => { if (broken) throw new Error('ENOENT: ca.crl.pem'); return pki.readCrl(); },
      onRefused: (r) => local.push(r.reason),
    }, (conn) => {
      acceptSession(conn, { lookup: (sender) => ({ senderCompId: 'GW', targetCompId: sender, heartBtInt: 30, store: new MemoryStore() }) });
    });
    try {
      await goodLogon(srv.port);
      broken = true;
      const c = pki.clients.CLIENT1!.ec;
      const r = await tryRaw({ key: c.keyPem, cert: c.certPem }, srv.port);
      expect(r.data).toBe('');
      expect(local.some((l) => /CRL unusable/.test(l))).toBe(true);
      broken = false;
      await goodLogon(srv.port);
    } finally {
      await srv.close();
    }
  });

  it('refuses TLS 1.2 renegotiation', async () => {
    const c = pki.clients.CLIENT1!.ec;
    const conn = await connectFixs({ host: '127.0.0.1', port: server12.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost', allowTls12: true });
    const raw = tls.connect({ host: '127.0.0.1', port: server12.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost', maxVersion: 'TLSv1.2' });
    await new Promise<void>((r) => raw.once('secureConnect', () => r()));
    expect(raw.getProtocol()).toBe('TLSv1.2');
    const outcome = await new Promise<string>((resolve) => {
      raw.once('close', () => resolve('closed'));
      raw.once('error', (e) => resolve(`error: ${e.message}`));
      const started = raw.renegotiate({ rejectUnauthorized: true }, (err) => resolve(err ? `error: ${err.message}` : 'renegotiated'));
      if (!started) resolve('not started');
    });
    expect(outcome).toMatch(/no renegotiation/);
    raw.destroy();
    conn.socket.destroy();
    await goodLogon(server12.port);
  });

  it('binds a certificate to its CompID: CLIENT1 cannot log on as TW44', async () => {
    const c = pki.clients.CLIENT1!.ec;
    const sock = tls.connect({ host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, ca: pki.caCertPem, servername: 'localhost' });
    await new Promise<void>((r) => sock.once('secureConnect', () => r()));
    const peer = new Peer(sock);
    peer.write(prepareOutgoing('8=FIX.4.4\x0135=A\x0134=1\x0149=TW44\x0152=<TIME>\x0156=GW\x0198=0\x01108=30\x01'));
    const answer = await peer.next(10_000);
    expect(answer).toMatch(/35=5\x01/);
    expect(answer).toMatch(/58=certificate is not authorised for SenderCompID TW44/);
    expect(await peer.next(10_000)).toBe('closed');
    // TW44's own certificate may.
    const t = pki.clients.TW44!.ec;
    const conn = await connectFixs({ host: '127.0.0.1', port: server.port, key: t.keyPem, cert: t.certPem, ca: pki.caCertPem, servername: 'localhost' });
    const s = initiateSession(conn, { senderCompId: 'TW44', targetCompId: 'GW', heartBtInt: 30, store: new MemoryStore() });
    await new Promise<void>((resolve, reject) => { s.once('logon', () => resolve()); s.once('closed', reject); });
    await s.logout();
    await goodLogon();
  });

  it('initiator verifies the gateway: CA, host name and optional SPKI pins', async () => {
    const c = pki.clients.CLIENT1!.ec;
    const base = { host: '127.0.0.1', port: server.port, key: c.keyPem, cert: c.certPem, servername: 'localhost' };
    const pinned = await connectFixs({ ...base, ca: pki.caCertPem, spkiPins: ['AAAA', pki.gateway.ec.spkiSha256] });
    pinned.socket.destroy();
    await expect(connectFixs({ ...base, ca: pki.caCertPem, spkiPins: [pki.gateway.rsa.spkiSha256] })).rejects.toThrow(/pin/);
    await expect(connectFixs({ ...base, ca: foreign.caCertPem })).rejects.toThrow();
    await expect(connectFixs({ ...base, ca: pki.caCertPem, servername: 'evil.example' })).rejects.toThrow(/evil\.example|altnames|Hostname/i);
  });
});
