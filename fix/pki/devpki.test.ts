import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { compIdsFromCertificate, createDevPki, issueCertificate, loadDevPki, revokeCertificate, spkiSha256 } from './devpki.ts';

const dir = mkdtempSync(join(tmpdir(), 'devpki-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const openssl = (args: string[]): { status: number | null; out: string } => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
};

describe('dev PKI', () => {
  it('issues a CA, CRL, gateway and client certificates in P-256 and RSA-2048 that OpenSSL verifies', async () => {
    const pki = await createDevPki(join(dir, 'a'), { clients: ['TW44', 'CLIENT1'] });
    const ca = new X509Certificate(pki.caCertPem);
    expect(ca.ca).toBe(true);
    for (const leaf of [pki.gateway.ec, pki.gateway.rsa, pki.clients.TW44!.ec, pki.clients.TW44!.rsa]) {
      const x = new X509Certificate(leaf.certPem);
      expect(x.verify(ca.publicKey)).toBe(true);
      expect(x.publicKey.asymmetricKeyType).toBe(leaf.alg === 'ec' ? 'ec' : 'rsa');
      if (leaf.alg === 'rsa') expect(x.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
      else expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(statSync(leaf.keyPath).mode & 0o077).toBe(0);
      const v = openssl(['verify', '-CAfile', pki.caCertPath, '-crl_check', '-CRLfile', pki.crlPath, leaf.certPath]);
      expect(v.out).toContain(': OK');
    }
    expect(pki.gateway.ec.certPem).toBeTruthy();
    expect(new X509Certificate(pki.gateway.ec.certPem).checkHost('localhost')).toBe('localhost');
    expect(new X509Certificate(pki.gateway.ec.certPem).checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(compIdsFromCertificate(new X509Certificate(pki.clients.TW44!.ec.certPem))).toEqual(['TW44']);
    expect(spkiSha256(pki.gateway.ec.certPem)).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    const again = await loadDevPki(pki.dir, ['TW44', 'CLIENT1']);
    expect(again.clients.CLIENT1!.rsa.serialNumber).toBe(pki.clients.CLIENT1!.rsa.serialNumber);
  });

  it('binds a client certificate to several CompIDs when asked', async () => {
    const p = join(dir, 'b');
    await createDevPki(p, { clients: [] });
    const c = await issueCertificate(p, { name: 'desk', alg: 'ec', kind: 'client', compIds: ['DESK1', 'DESK2'] });
    expect(compIdsFromCertificate(new X509Certificate(c.certPem))).toEqual(['DESK1', 'DESK2']);
  });

  it('revokes a certificate and re-issues the CRL; revoking twice is harmless; nonsense is refused', async () => {
    const pki = await createDevPki(join(dir, 'c'), { clients: ['TW44'] });
    const leaf = pki.clients.TW44!.ec;
    await revokeCertificate(pki.dir, leaf.certPem);
    const crl = await revokeCertificate(pki.dir, leaf.serialNumber);
    expect(readFileSync(pki.crlPath, 'utf8')).toBe(crl);
    expect(openssl(['crl', '-in', pki.crlPath, '-noout', '-text']).out.toLowerCase().split(leaf.serialNumber.toLowerCase()).length - 1).toBe(1);
    const v = openssl(['verify', '-CAfile', pki.caCertPath, '-crl_check', '-CRLfile', pki.crlPath, leaf.certPath]);
    expect(v.out).toMatch(/revoked/);
    expect(openssl(['verify', '-CAfile', pki.caCertPath, '-crl_check', '-CRLfile', pki.crlPath, pki.clients.TW44!.rsa.certPath]).out).toContain(': OK');
    await expect(revokeCertificate(pki.dir, 'not-a-serial; rm -rf /')).rejects.toThrow(/not a serial/);
  });

  it('CLI: creates a PKI in one command and refuses bad arguments', () => {
    const cli = join(dirname(fileURLToPath(import.meta.url)), 'cli.ts');
    const out = join(dir, 'cli');
    const ok = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', cli, '--out', out, '--clients', 'A1,B2'], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('client A1');
    expect(statSync(join(out, 'B2.rsa.crt.pem')).isFile()).toBe(true);
    const bad = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', cli, '--out', out, '--clients', '../etc/passwd'], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('bad client name');
    const unknown = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', cli, '--frobnicate'], { encoding: 'utf8' });
    expect(unknown.status).toBe(1);
    writeFileSync(join(dir, 'garbage.pem'), 'garbage');
    const rev = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', cli, '--out', out, '--revoke', join(dir, 'garbage.pem')], { encoding: 'utf8' });
    expect(rev.status).toBe(1);
  });
});
