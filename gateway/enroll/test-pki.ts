/**
 * Throwaway PKI for enrollment tests, generated at run time with @peculiar/x509 (no key is committed).
 * The rest of the gateway's tests use fix/pki's createDevPki; this keeps enroll/ testable on its own.
 */
import { createPrivateKey, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export async function keyPem(k: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', k as webcrypto.CryptoKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
}

export async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
}

export async function testCa(): Promise<{ caCert: string; caKey: string; serverCert: string; serverKey: string }> {
  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Parley Test CA', keys: caKeys, signingAlgorithm: EC, notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey)],
  });
  const sKeys = await newKeys();
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost', issuer: ca.subject, publicKey: sKeys.publicKey, signingKey: caKeys.privateKey,
    signingAlgorithm: EC, notAfter: new Date(Date.now() + 86_400_000),
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }]),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(ca)],
  });
  return { caCert: ca.toString('pem'), caKey: await keyPem(caKeys.privateKey), serverCert: server.toString('pem'), serverKey: await keyPem(sKeys.privateKey) };
}

/** A CSR and its private key (PEM), as the client would make them. */
export async function testCsr(name = 'CN=anything'): Promise<{ csr: string; key: string }> {
  const keys = await newKeys();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name, keys, signingAlgorithm: EC });
  return { csr: csr.toString('pem'), key: await keyPem(keys.privateKey) };
}
