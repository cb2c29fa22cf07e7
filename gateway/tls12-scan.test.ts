/**
 * Issue 11 item 6: the gateway's FIX port scanned by an independent TLS scanner (Debian's sslscan, presenting a
 * client certificate so it gets past the mutual-TLS handshake) with `fix.allowTls12` off (the default) and on:
 * off offers TLS 1.3 only; on adds TLS 1.2 with ECDHE key exchange and AEAD suites only (AES-GCM, ChaCha20),
 * with an RSA and with an EC server certificate. A client asking for a CBC or RSA-key-exchange suite is refused.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from './config.ts';
import { startTestGateway, type TestGateway } from './session/test-gateway.ts';

const SSLSCAN = ['/usr/bin/sslscan', '/usr/local/bin/sslscan'].find((p) => existsSync(p));
const skipReason = SSLSCAN ? '' : 'sslscan is not installed (Debian package sslscan, in scripts/deps.sh)';

type Scan = { protocols: string[]; ciphers: { version: string; name: string }[] };

/** sslscan's XML report (machine output) → the enabled protocols and the accepted suites per version. */
function parseScan(xml: string): Scan {
  const attrs = (tag: string): Record<string, string>[] => [...xml.matchAll(new RegExp(`<${tag}\\s([^>]*?)/?>`, 'g'))]
    .map((m) => Object.fromEntries([...m[1]!.matchAll(/([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!])));
  return {
    protocols: attrs('protocol').filter((p) => p.enabled === '1').map((p) => `${p.type}${p.version}`),
    ciphers: attrs('cipher').filter((c) => c.status === 'accepted' || c.status === 'preferred').map((c) => ({ version: c.sslversion!, name: c.cipher! })),
  };
}

function sslscan(port: number, t: TestGateway): Promise<Scan> {
  const leaf = t.pki.clients.ALICE!.rsa;
  return new Promise((resolve, reject) => {
    const p = spawn(SSLSCAN!, ['--no-colour', '--xml=-', '--timeout=30', '--no-heartbleed', '--no-groups', '--no-compression', `--certs=${leaf.certPath}`, `--pk=${leaf.keyPath}`, `127.0.0.1:${port}`]);
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    p.stderr.on('data', (b: Buffer) => { err += b.toString(); });
    p.on('error', reject);
    // (A generous socket timeout: on a loaded machine a handshake may take seconds; sslscan's default is 3 s.)
    // 'close', not 'exit': the whole report has been read by then.
    p.on('close', (code) => (code === 0 && out.includes('</document>') ? resolve(parseScan(out)) : reject(new Error(`sslscan exited ${code}: ${err}${out}`))));
  });
}

/** A TLS 1.2 handshake offering only `ciphers`, with a client certificate: true when the server took it. */
function handshake12(t: TestGateway, ciphers: string): Promise<boolean> {
  const leaf = t.pki.clients.ALICE!.rsa;
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: t.gw.fixPort, key: leaf.keyPem, cert: leaf.certPem, ca: t.pki.caCertPem, servername: 'localhost', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2', ciphers });
    s.once('secureConnect', () => { s.destroy(); resolve(true); });
    s.once('error', () => { s.destroy(); resolve(false); });
  });
}

const AEAD_ECDHE = /^ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/;

let off: TestGateway | undefined;
let onRsa: TestGateway | undefined;
let onEc: TestGateway | undefined;

beforeAll(async () => {
  if (!SSLSCAN) return;
  const o = { memoryStores: true, users: ['alice'] };
  off = await startTestGateway({}, o);
  // pki.dir is relative to dataDir (<tmp>/data): the test PKI sits beside it in <tmp>/pki.
  onRsa = await startTestGateway({ fix: { allowTls12: true }, pki: { dir: join('..', 'pki'), serverCert: 'gateway.rsa.crt.pem', serverKey: 'gateway.rsa.key.pem' } }, o);
  onEc = await startTestGateway({ fix: { allowTls12: true } }, o);
});
afterAll(async () => {
  await Promise.all([off?.close(), onRsa?.close(), onEc?.close()]);
});

describe('TLS policy of the FIX port, scanned', () => {
  it('is off by default in the config', () => {
    expect(parseConfig({}, '<inline>').fix.allowTls12).toBe(false);
    expect(() => parseConfig({ fix: { allowTls12: 'yes' } }, '<inline>')).toThrow(/fix\.allowTls12/);
  });

  it.skipIf(!SSLSCAN)(`off: TLS 1.3 only (${skipReason || 'sslscan'})`, async () => {
    const scan = await sslscan(off!.gw.fixPort, off!);
    expect(scan.protocols).toEqual(['tls1.3']);
    expect(scan.ciphers.length).toBeGreaterThan(0);
    expect(scan.ciphers.every((c) => c.version === 'TLSv1.3')).toBe(true);
    expect(await handshake12(off!, 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256')).toBe(false);
  });

  for (const [label, gw] of [['an RSA', () => onRsa!], ['an EC', () => onEc!]] as const) {
    it.skipIf(!SSLSCAN)(`on, with ${label} server certificate: TLS 1.2 only with ECDHE + AES-GCM/ChaCha20, no CBC, no RSA key exchange (${skipReason || 'sslscan'})`, async () => {
      const t = gw();
      const scan = await sslscan(t.gw.fixPort, t);
      expect(scan.protocols.sort()).toEqual(['tls1.2', 'tls1.3']);
      const v12 = scan.ciphers.filter((c) => c.version === 'TLSv1.2').map((c) => c.name);
      expect(v12.length).toBeGreaterThanOrEqual(3);
      for (const name of v12) expect(name, `TLS 1.2 suite ${name}`).toMatch(AEAD_ECDHE);
      expect(v12.some((n) => n.includes('CHACHA20'))).toBe(true);
      expect(v12.some((n) => n.includes('GCM'))).toBe(true);
      expect(scan.ciphers.every((c) => c.version === 'TLSv1.2' || c.version === 'TLSv1.3')).toBe(true);
      // The refusals, from a client that asks for nothing else: CBC (with and without ECDHE), RSA key exchange.
      expect(await handshake12(t, 'ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384')).toBe(false);
      expect(await handshake12(t, 'AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA')).toBe(false);
      expect(await handshake12(t, 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384')).toBe(true);
    });
  }
});
