/** Throwaway certificates for main/'s unit tests, generated at run time (nothing is committed). */
import { generateKeyPairSync } from 'node:crypto';
import { x509 } from '../enroll/x509.ts';

const alg = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export async function selfSignedCa(name = 'CN=Parley Test CA'): Promise<{ certPem: string; keys: CryptoKeyPair }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const keys = {
    privateKey: privateKey.toCryptoKey(alg, false, ['sign']) as CryptoKey,
    publicKey: publicKey.toCryptoKey(alg, true, ['verify']) as CryptoKey,
  };
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
  });
  return { certPem: cert.toString('pem'), keys };
}
