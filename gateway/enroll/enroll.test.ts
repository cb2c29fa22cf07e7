import { X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayCa } from './ca.ts';
import { EnrollServer, type EnrollEvent } from './http.ts';
import { CertRegistry } from './registry.ts';
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
function call(method: string, path: string, body?: unknown, client?: { cert: string; key: string }, raw?: string, type = 'application/json'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const req = request({ host: '127.0.0.1', port, path, method, ca: pki.caCert, servername: 'localhost',
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
    // A CSR whose signature was tampered with fails proof of possession (and burns the token).
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
