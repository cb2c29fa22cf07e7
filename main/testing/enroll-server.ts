/** A real gateway enrollment endpoint (gateway/enroll) for main/'s tests, with a throwaway PKI. */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GatewayCa } from '../../gateway/enroll/ca.ts';
import { EnrollServer } from '../../gateway/enroll/http.ts';
import { CertRegistry } from '../../gateway/enroll/registry.ts';
import { testCa } from '../../gateway/enroll/test-pki.ts';
import { TokenStore } from '../../gateway/enroll/tokens.ts';

export async function startEnrollServer(opts: { certHours?: number } = {}) {
  const pki = await testCa();
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-main-enroll-'));
  const crlFile = path.join(dir, 'crl.pem');
  const ca = await GatewayCa.load(pki.caCert, pki.caKey);
  const tokens = TokenStore.open(path.join(dir, 'tokens.json'));
  const registry = new CertRegistry({ issued: path.join(dir, 'issued.jsonl'), revoked: path.join(dir, 'revoked.json'), crl: crlFile });
  const server = new EnrollServer({ host: '127.0.0.1', port: 0, serverCert: pki.serverCert, serverKey: pki.serverKey, ca, tokens, registry, certHours: opts.certHours ?? 24 });
  const port = await server.listen();
  return {
    url: `https://localhost:${port}`,
    caPem: pki.caCert,
    token: (user = 'alice', compId = 'ALICE') => tokens.issue({ user, compId, ttlMs: 600_000 }).token,
    revoke: (serial: string) => registry.revoke(ca, serial, 'test', 'test'),
    serverCert: pki.serverCert,
    serverKey: pki.serverKey,
    /** The CRL the FIX acceptor should check (undefined until something was revoked). */
    crl: () => (existsSync(crlFile) ? readFileSync(crlFile, 'utf8') : undefined),
    close: () => server.close(),
  };
}
