/**
 * Issue 10 items 2, 5, 6, 7 against the real gateway: enrollment over HTTPS, renewal over mutual TLS, the FIX
 * acceptor checking the CRL those publish, the audit log and the alert webhook. Nothing is timed: the CRL test
 * waits for the gateway's own re-issue event, the connection tests for the server to close sockets.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG } from '../../fix/parley-protocol.ts';
import { startTestGateway, type TestGateway } from '../session/test-gateway.ts';
import { normSerial } from './registry.ts';
import { testCsr } from './test-pki.ts';

let t: TestGateway;
let hook: Server;
const webhook: string[] = [];

type Res = { status: number; json: Record<string, unknown>; text: string };
function call(method: string, path: string, body?: unknown, client?: { cert: string; key: string }): Promise<Res> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port: t.gw.enrollPort, path, method, ca: t.pki.caCertPem, servername: 'localhost', agent: false,
      headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, ...(client ?? {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const s = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> = {};
        try { json = JSON.parse(s) as Record<string, unknown>; } catch { /* the CRL is PEM */ }
        resolve({ status: res.statusCode ?? 0, json, text: s });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}
async function enroll(user: string): Promise<{ certificate: string; serial: string; key: string }> {
  const { token } = t.gw.tokens.issue({ user, compId: t.users[user]!.compId, ttlMs: 600_000 });
  const k = await testCsr();
  const r = await call('POST', '/v1/enroll', { token, csr: k.csr });
  expect(r.status).toBe(200);
  return { certificate: r.json.certificate as string, serial: r.json.serial as string, key: k.key };
}
async function renew(cur: { certificate: string; key: string }): Promise<Res & { key: string }> {
  const k = await testCsr();
  return { ...(await call('POST', '/v1/renew', { csr: k.csr }, { cert: cur.certificate, key: cur.key })), key: k.key };
}
/** Logs on far enough to be challenged: the certificate got through the acceptor's CRL check. */
async function fixAccepts(user: string, cert: { certificate: string; key: string }): Promise<boolean> {
  const c = await t.connect(user, { cert: cert.certificate, key: cert.key });
  try {
    await c.waitFor(MSG.StepUpChallenge);
    return true;
  } catch {
    return false;
  } finally {
    await c.close().catch(() => {});
  }
}
type AuditLine = { type: string; data: Record<string, unknown> };
function audit(): AuditLine[] {
  return readFileSync(t.gw.cfg.paths.audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
}
async function auditUntil(pred: (l: AuditLine[]) => boolean): Promise<AuditLine[]> {
  for (let i = 0; i < 1_200; i++) {
    const lines = audit();
    if (pred(lines)) return lines;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the audit log never showed the expected event');
}

beforeAll(async () => {
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { webhook.push(Buffer.concat(chunks).toString('utf8')); res.end('ok'); });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  t = await startTestGateway({
    enroll: { crlValiditySec: 4, handshakeTimeoutMs: 300, maxConnectionsPerIp: 16, requestsPerMinutePerIp: 100, refusalWindowSec: 600 },
    audit: { alertWebhook: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts` },
  }, { users: ['alice', 'bob', 'carol', 'dave'] });
}, 60_000);
afterAll(async () => {
  await t?.close();
  await new Promise<void>((r) => hook?.close(() => r()));
});

describe('renewal against the real gateway over mutual TLS (issue 10 item 2)', () => {
  it('revokes the replaced certificate at the FIX port; revoking the first revokes what it was renewed into', async () => {
    const first = await enroll('alice');
    expect(await fixAccepts('alice', first)).toBe(true);
    const r = await renew(first);
    expect(r.status).toBe(200);
    const second = { certificate: r.json.certificate as string, key: r.key, serial: r.json.serial as string };
    expect(t.gw.registry.isRevoked(first.serial)).toBe(true);
    expect(await fixAccepts('alice', first)).toBe(false);
    expect(await fixAccepts('alice', second)).toBe(true);
    // The replaced certificate renews nothing more.
    expect((await renew(first)).json.code).toBe('revoked');
    // A thief's renewal dies with the stolen certificate it came from.
    await t.gw.revoke(first.serial, 'keyCompromise', 'test');
    expect(t.gw.registry.isRevoked(second.serial)).toBe(true);
    expect(await fixAccepts('alice', second)).toBe(false);
    expect(audit().find((l) => l.type === 'enroll.renewed')?.data).toMatchObject({ previous: normSerial(first.serial), previousRevoked: true });
  });

  it('refuses to renew for a disabled user, and a chain past its maximum age', async () => {
    const bob = await enroll('bob');
    t.gw.users.upsert({ ...t.gw.users.get('bob')!, disabled: true });
    const refused = await renew(bob);
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe('user-disabled');
    t.gw.users.upsert({ ...t.gw.users.get('bob')!, disabled: false });
    expect((await renew(bob)).status).toBe(200);

    const carol = await enroll('carol');
    // The enrollment happened 31 days ago as far as the registry knows (the default chain cap is 30 days).
    const file = t.gw.cfg.paths.issued;
    const old = new Date(Date.now() - 31 * 86_400_000).toISOString();
    writeFileSync(file, readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => {
      const c = JSON.parse(l) as { serial: string; enrolledAt?: string };
      return JSON.stringify(c.serial === normSerial(carol.serial) ? { ...c, enrolledAt: old } : c);
    }).join('\n') + '\n');
    const over = await renew(carol);
    expect(over.status).toBe(403);
    expect(over.json.code).toBe('chain-expired');
  });
});

describe('enrollment tokens (issue 10 item 7)', () => {
  it('two parallel enrollments with one token: exactly one certificate', async () => {
    const { token } = t.gw.tokens.issue({ user: 'dave', compId: 'DAVE', ttlMs: 600_000 });
    const [a, b] = await Promise.all([testCsr(), testCsr()]);
    const rs = await Promise.all([call('POST', '/v1/enroll', { token, csr: a.csr }), call('POST', '/v1/enroll', { token, csr: b.csr })]);
    expect(rs.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(t.gw.registry.listIssued().filter((c) => c.user === 'dave')).toHaveLength(1);
  });
});

describe('the CRL (issue 10 item 6)', () => {
  it('is re-issued on its own before nextUpdate, so handshakes keep working past the first CRL\'s nextUpdate', async () => {
    const firstNext = new x509.X509Crl((await call('GET', '/v1/crl')).text).nextUpdate!;
    // Wait for the gateway's own timer (not for a duration): a re-issue after the first CRL's nextUpdate.
    await auditUntil((lines) => lines.some((l) => l.type === 'crl.reissued' && l.data.reason === 'timer' && Date.parse(String(l.data.nextUpdate)) > firstNext.getTime() + 1_000));
    while (Date.now() <= firstNext.getTime()) await new Promise((r) => setTimeout(r, 100));
    const crl = new x509.X509Crl((await call('GET', '/v1/crl')).text);
    expect(crl.nextUpdate!.getTime()).toBeGreaterThan(Date.now());
    const dave = t.pki.clients.DAVE!.ec;
    // The acceptor puts a changed CRL into the context of the handshake that finds it (fix/transport.ts).
    expect(await fixAccepts('dave', { certificate: dave.certPem, key: dave.keyPem })).toBe(true);
  }, 60_000);
});

describe('the enrollment endpoint under a flood (issue 10 item 5)', () => {
  it('closes connections that never start TLS, and a flood of refusals is a bounded number of audit lines and webhooks', async () => {
    await Promise.all(Array.from({ length: 60 }, () => new Promise<void>((resolve) => {
      const s = tcpConnect(t.gw.enrollPort, '127.0.0.1');
      s.resume();
      s.on('error', () => {});
      s.on('close', () => resolve());
    })));
    const before = audit().length;
    const hooksBefore = webhook.length;
    // 300 refusals in batches of 15: well under the per-address connection cap (32), so sockets of the previous
    // batch still closing on a loaded machine cannot push a request over it (that one would be reset, unanswered).
    for (let batch = 0; batch < 20; batch++) {
      const k = await testCsr();
      const rs = await Promise.all(Array.from({ length: 15 }, (_, i) => call('POST', '/v1/enroll', { token: `pet_nope_${batch}_${i}`, csr: k.csr })));
      for (const r of rs) expect([401, 429]).toContain(r.status);
    }
    const added = audit().slice(before).filter((l) => l.type.startsWith('enroll.') || (l.type === 'alert' && String(l.data.kind).startsWith('enroll.')));
    // 300 refusals: at most the window's first refusal and its alert (the summary comes when the window ends).
    expect(added.length).toBeLessThanOrEqual(2);
    expect(webhook.slice(hooksBefore).filter((w) => w.includes('"kind":"enroll.')).length).toBeLessThanOrEqual(1);
    // Still serving (this address is over its request budget now: 429, answered, not hung).
    expect([200, 429]).toContain((await call('GET', '/v1/crl')).status);
  }, 60_000);
});
