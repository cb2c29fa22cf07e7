import { X509Certificate } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tcpConnect } from 'node:net';
import { connect } from 'node:tls';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayCa } from './ca.ts';
import { fakeClock } from './fake-clock.ts';
import { EnrollServer, type EnrollEvent, type EnrollServerOptions } from './http.ts';
import { CertRegistry, normSerial } from './registry.ts';
import { testCa, testCsr } from './test-pki.ts';
import { TokenStore } from './tokens.ts';

let pki: Awaited<ReturnType<typeof testCa>>;
let srv: EnrollServer;
let port: number;
let tokens: TokenStore;
let registry: CertRegistry;
let ca: GatewayCa;
const events: EnrollEvent[] = [];

type Res = { status: number; body: string };
function call(method: string, path: string, body?: unknown, client?: { cert: string; key: string }, raw?: string, type = 'application/json', toPort = port): Promise<Res> {
  return new Promise((resolve, reject) => {
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = request({ host: '127.0.0.1', port: toPort, path, method, ca: pki.caCert, servername: 'localhost', agent: false,
      headers: text === undefined ? {} : { 'content-type': type, 'content-length': Buffer.byteLength(text) },
      ...(client ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (text !== undefined) req.write(text);
    req.end();
  });
}

beforeAll(async () => {
  pki = await testCa();
  const dir = mkdtempSync(join(tmpdir(), 'enroll-'));
  ca = await GatewayCa.load(pki.caCert, pki.caKey);
  tokens = TokenStore.open(join(dir, 'tokens.json'));
  registry = new CertRegistry({ issued: join(dir, 'issued.jsonl'), revoked: join(dir, 'revoked.json'), crl: join(dir, 'crl.pem') });
  srv = new EnrollServer({ host: '127.0.0.1', port: 0, serverCert: pki.serverCert, serverKey: pki.serverKey, ca, tokens, registry, certHours: 24, onEvent: (e) => events.push(e) });
  port = await srv.listen();
});
afterAll(async () => { await srv.close(); });

describe('enrollment endpoint', () => {
  it('turns a one-time token and a CSR into a short-lived client certificate bound to the CompID; a second use is refused', async () => {
    const { token } = tokens.issue({ user: 'alice', compId: 'ALICE', ttlMs: 60_000 });
    const { csr, key } = await testCsr('CN=whatever-the-client-asks');
    const r = await call('POST', '/v1/enroll', { token, csr });
    expect(r.status).toBe(200);
    const out = JSON.parse(r.body) as { certificate: string; chain: string[]; notAfter: string; compId: string };
    const cert = new X509Certificate(out.certificate);
    expect(cert.subject).toContain('CN=ALICE');
    expect(cert.verify(new X509Certificate(pki.caCert).publicKey)).toBe(true);
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(key))).toBe(true);
    expect(Date.parse(out.notAfter) - Date.now()).toBeLessThanOrEqual(24 * 3_600_000);
    expect(out.chain[0]).toContain('BEGIN CERTIFICATE');
    expect(out.compId).toBe('ALICE');

    const again = await call('POST', '/v1/enroll', { token, csr });
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body).code).toBe('token-used');
    expect(events.map((e) => e.type)).toEqual(['enroll.issued', 'enroll.refused']);
  });

  it('refuses expired and unknown tokens, and garbage, truncated, oversized and hostile bodies', async () => {
    const { token: old } = tokens.issue({ user: 'bob', compId: 'BOB', ttlMs: -1 });
    const { csr } = await testCsr();
    expect(JSON.parse((await call('POST', '/v1/enroll', { token: old, csr })).body).code).toBe('token-expired');
    expect(JSON.parse((await call('POST', '/v1/enroll', { token: 'pet_nope_nope', csr })).body).code).toBe('token-unknown');
    expect((await call('POST', '/v1/enroll', undefined, undefined, '{"token": "abc', 'application/json')).status).toBe(400);
    expect((await call('POST', '/v1/enroll', undefined, undefined, '\u0000\u0001\u0002', 'application/json')).status).toBe(400);
    expect((await call('POST', '/v1/enroll', undefined, undefined, 'x'.repeat(40_000))).status).toBe(413);
    expect((await call('POST', '/v1/enroll', { token: 'x', csr }, undefined, undefined, 'text/plain')).status).toBe(415);
    expect((await call('POST', '/v1/enroll', { token: 'pet_aaaaaaaa', csr, __proto__x: 1 })).status).toBe(400);
    expect((await call('GET', '/v1/enroll')).status).toBe(405);
    expect((await call('GET', '/etc/passwd')).status).toBe(404);
    // A CSR whose signature was tampered with fails proof of possession.
    const { token } = tokens.issue({ user: 'bob', compId: 'BOB', ttlMs: 60_000 });
    const bad = new x509.Pkcs10CertificateRequest(csr);
    const der = new Uint8Array(bad.rawData);
    der[der.length - 5] = der[der.length - 5]! ^ 0xff;
    const tampered = new x509.Pkcs10CertificateRequest(der.buffer).toString('pem');
    const r = await call('POST', '/v1/enroll', { token, csr: tampered });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).code).toBe('bad-csr');
  });

  it('speaks TLS 1.3 only', async () => {
    const err = await new Promise<Error | null>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, ca: pki.caCert, servername: 'localhost', maxVersion: 'TLSv1.2' }, () => { s.end(); resolve(null); });
      s.on('error', resolve);
    });
    expect(err).not.toBeNull();
  });

  it('renews with the current certificate, refuses without one, and refuses a revoked one; the CRL lists it', async () => {
    const { token } = tokens.issue({ user: 'carol', compId: 'CAROL', ttlMs: 60_000 });
    const first = await testCsr();
    const enrolled = JSON.parse((await call('POST', '/v1/enroll', { token, csr: first.csr })).body) as { certificate: string; serial: string };
    const next = await testCsr();
    expect((await call('POST', '/v1/renew', { csr: next.csr })).status).toBe(401);
    const renewed = await call('POST', '/v1/renew', { csr: next.csr }, { cert: enrolled.certificate, key: first.key });
    expect(renewed.status).toBe(200);
    expect(new X509Certificate(JSON.parse(renewed.body).certificate).subject).toContain('CN=CAROL');

    await registry.revoke(ca, enrolled.serial, 'keyCompromise', 'test');
    const refused = await call('POST', '/v1/renew', { csr: next.csr }, { cert: enrolled.certificate, key: first.key });
    expect(refused.status).toBe(403);
    const crl = await call('GET', '/v1/crl');
    expect(crl.status).toBe(200);
    const parsed = new x509.X509Crl(crl.body);
    expect(await parsed.verify({ publicKey: new x509.X509Certificate(pki.caCert) })).toBe(true);
    expect(parsed.findRevoked(enrolled.serial)).not.toBeNull();
  });
});

/** A second endpoint over the same PKI with the hardening options under test (own registry and tokens). */
async function hardened(o: Partial<EnrollServerOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'enroll-h-'));
  const t = TokenStore.open(join(dir, 'tokens.json'));
  const reg = new CertRegistry({ issued: join(dir, 'issued.jsonl'), revoked: join(dir, 'revoked.json'), crl: join(dir, 'crl.pem') });
  const ev: EnrollEvent[] = [];
  const s = new EnrollServer({ host: '127.0.0.1', port: 0, serverCert: pki.serverCert, serverKey: pki.serverKey, ca, tokens: t, registry: reg, certHours: 24, onEvent: (e) => ev.push(e), ...o });
  const p = await s.listen();
  return { srv: s, port: p, tokens: t, registry: reg, events: ev, dir };
}
async function enrollAt(p: number, store: TokenStore, user: string) {
  const { token } = store.issue({ user, compId: user.toUpperCase(), ttlMs: 60_000 });
  const k = await testCsr();
  const r = await call('POST', '/v1/enroll', { token, csr: k.csr }, undefined, undefined, undefined, p);
  expect(r.status).toBe(200);
  return { ...(JSON.parse(r.body) as { certificate: string; serial: string; notAfter: string }), key: k.key };
}

describe('enrollment tokens are used only by a good CSR (issue 10 item 7)', () => {
  it('a bad CSR leaves the token usable; a good one uses it once; of two parallel good ones exactly one wins', async () => {
    const { token } = tokens.issue({ user: 'dora', compId: 'DORA', ttlMs: 60_000 });
    const good = await testCsr();
    const der = new Uint8Array(new x509.Pkcs10CertificateRequest(good.csr).rawData);
    der[der.length - 5] = der[der.length - 5]! ^ 0xff;
    const tampered = new x509.Pkcs10CertificateRequest(der.buffer).toString('pem');
    expect(JSON.parse((await call('POST', '/v1/enroll', { token, csr: tampered })).body).code).toBe('bad-csr');
    expect(JSON.parse((await call('POST', '/v1/enroll', { token, csr: 'x'.repeat(70) + '-----BEGIN CERTIFICATE REQUEST-----' })).body).code).toBe('bad-csr');
    expect(tokens.list().find((r) => r.user === 'dora')?.usedAt).toBeNull();
    const ok = await call('POST', '/v1/enroll', { token, csr: good.csr });
    expect(ok.status).toBe(200);
    expect((await call('POST', '/v1/enroll', { token, csr: good.csr })).status).toBe(401);

    for (let round = 0; round < 5; round++) {
      const { token: t2 } = tokens.issue({ user: `par${round}`, compId: `PAR${round}`, ttlMs: 60_000 });
      const [a, b] = await Promise.all([testCsr(), testCsr()]);
      const rs = await Promise.all([call('POST', '/v1/enroll', { token: t2, csr: a.csr }), call('POST', '/v1/enroll', { token: t2, csr: b.csr })]);
      expect(rs.map((r) => r.status).sort()).toEqual([200, 401]);
      expect(JSON.parse(rs.find((r) => r.status === 401)!.body).code).toBe('token-used');
      expect(registry.listIssued().filter((c) => c.user === `par${round}`)).toHaveLength(1);
    }
  });
});

describe('renewal (issue 10 item 2)', () => {
  it('revokes the replaced certificate, refuses disabled users, and ends a chain 30 days after its enrollment', async () => {
    const disabled = new Set<string>();
    let offset = 0;
    const h = await hardened({ userEnabled: (u) => !disabled.has(u), clock: { ...fakeClock(), now: () => new Date(Date.now() + offset) } });
    try {
      const first = await enrollAt(h.port, h.tokens, 'erin');
      const next = await testCsr();
      const renewed = await call('POST', '/v1/renew', { csr: next.csr }, { cert: first.certificate, key: first.key }, undefined, undefined, h.port);
      expect(renewed.status).toBe(200);
      const second = JSON.parse(renewed.body) as { serial: string; certificate: string };
      expect(h.registry.isRevoked(first.serial)).toBe(true);
      expect(h.registry.issued(second.serial)).toMatchObject({ previous: normSerial(first.serial), via: 'renew' });
      // The replaced certificate renews nothing more, and the published CRL lists it.
      const again = await call('POST', '/v1/renew', { csr: (await testCsr()).csr }, { cert: first.certificate, key: first.key }, undefined, undefined, h.port);
      expect(JSON.parse(again.body).code).toBe('revoked');
      expect(new x509.X509Crl((await call('GET', '/v1/crl', undefined, undefined, undefined, undefined, h.port)).body).findRevoked(first.serial)).not.toBeNull();
      // Revoking the original revokes what it was renewed into.
      await h.registry.revoke(ca, first.serial, 'keyCompromise', 'test');
      expect(h.registry.isRevoked(second.serial)).toBe(true);

      const gus = await enrollAt(h.port, h.tokens, 'gus');
      disabled.add('gus');
      const refused = await call('POST', '/v1/renew', { csr: next.csr }, { cert: gus.certificate, key: gus.key }, undefined, undefined, h.port);
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body).code).toBe('user-disabled');
      const { token } = h.tokens.issue({ user: 'gus', compId: 'GUS', ttlMs: 60_000 });
      expect(JSON.parse((await call('POST', '/v1/enroll', { token, csr: next.csr }, undefined, undefined, undefined, h.port)).body).code).toBe('user-disabled');

      const hal = await enrollAt(h.port, h.tokens, 'hal');
      const ivy = await enrollAt(h.port, h.tokens, 'ivy');
      const enrolledAt = h.registry.chainStart(h.registry.issued(hal.serial)!).getTime();
      offset = 29 * 86_400_000;
      const late = await call('POST', '/v1/renew', { csr: next.csr }, { cert: hal.certificate, key: hal.key }, undefined, undefined, h.port);
      expect(late.status).toBe(200);
      // Capped at the chain's end, not certHours from now.
      expect(Date.parse(JSON.parse(late.body).notAfter)).toBe(enrolledAt + 30 * 86_400_000);
      offset = 31 * 86_400_000;
      const over = await call('POST', '/v1/renew', { csr: next.csr }, { cert: ivy.certificate, key: ivy.key }, undefined, undefined, h.port);
      expect(over.status).toBe(403);
      expect(JSON.parse(over.body).code).toBe('chain-expired');
      expect(h.registry.isRevoked(ivy.serial)).toBe(false);
    } finally {
      await h.srv.close();
    }
  });

  it('revokeUser revokes every certificate of the user, and only theirs', async () => {
    const h = await hardened();
    try {
      const a = await enrollAt(h.port, h.tokens, 'jo');
      const b = await enrollAt(h.port, h.tokens, 'jo');
      const other = await enrollAt(h.port, h.tokens, 'kim');
      const r = h.registry.revokeUser('jo', 'left the firm', 'test');
      expect(r.revoked.sort()).toEqual([normSerial(a.serial), normSerial(b.serial)].sort());
      expect(h.registry.isRevoked(other.serial)).toBe(false);
      expect(h.registry.revokeUser('jo', 'again', 'test')).toMatchObject({ revoked: [] });
      expect(h.registry.revokeUser('nobody', 'x', 'test')).toEqual({ revoked: [], all: [] });
    } finally {
      await h.srv.close();
    }
  });
});

describe('the endpoint bounds what unauthenticated peers can hold (issue 10 item 5)', () => {
  it('closes connections that never start TLS or never finish their headers, and caps them per address', async () => {
    const h = await hardened({ limits: { handshakeTimeoutMs: 300, headersTimeoutMs: 500, maxConnectionsPerIp: 8 } });
    try {
      expect(h.srv.server.maxConnections).toBe(256);
      // 40 raw TCP connections that send nothing: past 8 they are dropped at once, the rest at the handshake deadline.
      const closes = Array.from({ length: 40 }, () => new Promise<void>((resolve) => {
        const s = tcpConnect(h.port, '127.0.0.1');
        s.resume();
        s.on('error', () => {});
        s.on('close', () => resolve());
      }));
      await Promise.all(closes);
      // TLS done, then a request line that never ends: closed at the headers deadline.
      await new Promise<void>((resolve) => {
        const s = connect({ host: '127.0.0.1', port: h.port, ca: pki.caCert, servername: 'localhost' }, () => s.write('GET /v1/crl HTTP/1.1\r\nHost: x\r\n'));
        s.resume();
        s.on('error', () => {});
        s.on('close', () => resolve());
      });
      // And the endpoint still serves.
      expect((await call('GET', '/v1/crl', undefined, undefined, undefined, undefined, h.port)).status).toBe(200);
    } finally {
      await h.srv.close();
    }
  });

  it('rate-limits requests per address and aggregates refusals: a flood is two audit events, not one per request', async () => {
    const timers = fakeClock();
    const h = await hardened({ limits: { requestsPerMinutePerIp: 50 }, clock: { ...timers, now: () => new Date() } });
    try {
      const codes: string[] = [];
      for (let batch = 0; batch < 6; batch++) {
        const rs = await Promise.all(Array.from({ length: 50 }, (_, i) =>
          call('POST', '/v1/enroll', { token: `pet_guess_${batch}_${i}`, csr: 'x'.repeat(64) + '-----BEGIN CERTIFICATE REQUEST-----' }, undefined, undefined, undefined, h.port)));
        codes.push(...rs.map((r) => JSON.parse(r.body).code as string));
      }
      expect(codes).toHaveLength(300);
      expect(codes.filter((c) => c === 'rate-limited').length).toBeGreaterThanOrEqual(240);
      expect(new Set(codes)).toEqual(new Set(['token-unknown', 'rate-limited']));
      // One detailed, alerted event for the first refusal; the other 299 wait for the window's summary.
      expect(h.events).toHaveLength(1);
      expect(h.events[0]).toMatchObject({ type: 'enroll.refused', alert: true, data: { reason: 'unknown' } });
      expect(timers.pending()).toContain(60_000);
      timers.advance(60_000);
      expect(h.events).toHaveLength(2);
      expect(h.events[1]).toMatchObject({ type: 'enroll.refused-summary', alert: true, data: { refused: 299, byRemote: { '127.0.0.1': 299 } } });
      const byReason = h.events[1]!.data.byReason as Record<string, number>;
      expect(Object.values(byReason).reduce((a, b) => a + b, 0)).toBe(299);
    } finally {
      await h.srv.close();
    }
  });

  it('serves GET /v1/crl from the cached signed CRL: many requests, no re-signing, no rewrite', async () => {
    const h = await hardened({ limits: { requestsPerMinutePerIp: 1_000 } });
    try {
      const file = join(h.dir, 'crl.pem');
      const before = statSync(file).mtimeMs;
      const bodies = new Set<string>();
      for (let i = 0; i < 10; i++) {
        for (const r of await Promise.all(Array.from({ length: 20 }, () => call('GET', '/v1/crl', undefined, undefined, undefined, undefined, h.port)))) {
          expect(r.status).toBe(200);
          bodies.add(r.body);
        }
      }
      expect(bodies.size).toBe(1);
      expect(statSync(file).mtimeMs).toBe(before);
    } finally {
      await h.srv.close();
    }
  });
});
