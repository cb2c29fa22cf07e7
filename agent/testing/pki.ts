import { createPrivateKey, webcrypto } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Issued {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
}

export interface TestPki {
  dir: string;
  ca: Issued;
  server: Issued;
  client: Issued;
  /** A second device, for wrong-key tests. */
  otherClient: Issued;
  cleanup(): Promise<void>;
}

async function pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
}

/** A throwaway ECDSA P-256 PKI (CA, server for localhost/127.0.0.1, two clients) written to a temp dir. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-agent-pki-'));
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + 24 * 3600_000);
  const caKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Parley Agent Test CA',
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const write = async (name: string, cert: x509.X509Certificate, key: CryptoKey): Promise<Issued> => {
    const certPem = cert.toString('pem') + '\n';
    const keyPem = await pem(key);
    const certPath = join(dir, `${name}.crt`);
    const keyPath = join(dir, `${name}.key`);
    await writeFile(certPath, certPem);
    await writeFile(keyPath, keyPem, { mode: 0o600 });
    return { certPem, keyPem, certPath, keyPath };
  };
  let serial = 2;
  const issue = async (cn: string, server: boolean): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> => {
    const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: (serial++).toString(16).padStart(2, '0'),
      subject: `CN=${cn}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([server ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
        ...(server
          ? [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }])]
          : []),
      ],
    });
    return { cert, key: keys.privateKey };
  };
  const ca = await write('ca', caCert, caKeys.privateKey);
  const s = await issue('localhost', true);
  const c = await issue('device-1', false);
  const o = await issue('device-2', false);
  return {
    dir,
    ca,
    server: await write('server', s.cert, s.key),
    client: await write('client', c.cert, c.key),
    otherClient: await write('other-client', o.cert, o.key),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
