/**
 * The gateway's issuing CA: signs enrollment CSRs into short-lived client certificates bound to
 * one user and CompID, and publishes the CRL the FIX acceptor checks. All ASN.1 is @peculiar/x509's.
 */
import { createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { compIdUri } from '../../fix/pki/devpki.ts';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export type SignedCert = { certificate: string; serial: string; notAfter: Date; subject: string; fingerprint256: string };

/** The subject a client certificate gets: the CompID is the CN, the user is the UID attribute. */
export function clientSubject(compId: string, user: string): string {
  return `CN=${escapeDn(compId)}, O=Parley, 0.9.2342.19200300.100.1.1=${escapeDn(user)}`;
}
function escapeDn(v: string): string {
  return v.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`);
}

export class CsrError extends Error {
  override name = 'CsrError';
}

export class GatewayCa {
  readonly cert: x509.X509Certificate;
  readonly certPem: string;
  readonly #key: CryptoKey;
  readonly #alg: Algorithm | EcdsaParams;

  private constructor(cert: x509.X509Certificate, key: CryptoKey, alg: Algorithm | EcdsaParams) {
    this.cert = cert;
    this.certPem = cert.toString('pem');
    this.#key = key;
    this.#alg = alg;
  }

  static async load(certPem: string, keyPem: string): Promise<GatewayCa> {
    const cert = new x509.X509Certificate(certPem);
    const ko = createPrivateKey(keyPem);
    const der = ko.export({ format: 'der', type: 'pkcs8' });
    let importAlg: RsaHashedImportParams | EcKeyImportParams;
    let sigAlg: Algorithm | EcdsaParams;
    if (ko.asymmetricKeyType === 'ec') {
      const curve = ko.asymmetricKeyDetails?.namedCurve;
      const namedCurve = curve === 'prime256v1' || curve === 'P-256' ? 'P-256' : curve === 'secp384r1' || curve === 'P-384' ? 'P-384' : null;
      if (!namedCurve) throw new Error(`CA key curve ${curve} is not supported (P-256 or P-384)`);
      importAlg = { name: 'ECDSA', namedCurve };
      sigAlg = { name: 'ECDSA', hash: namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256' } as EcdsaParams;
    } else if (ko.asymmetricKeyType === 'rsa') {
      importAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
      sigAlg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm;
    } else {
      throw new Error(`CA key type ${ko.asymmetricKeyType} is not supported`);
    }
    const key = await webcrypto.subtle.importKey('pkcs8', der, importAlg, false, ['sign']);
    return new GatewayCa(cert, key as CryptoKey, sigAlg);
  }

  /** Verifies the CSR's self-signature and key, then issues a client certificate. */
  async signCsr(csrPem: string, o: { compId: string; user: string; hours: number; now?: Date; notAfterCap?: Date }): Promise<SignedCert> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch (e) {
      throw new CsrError(`not a PKCS#10 certificate request: ${(e as Error).message}`);
    }
    let ok = false;
    try {
      ok = await csr.verify();
    } catch (e) {
      throw new CsrError(`CSR signature cannot be checked: ${(e as Error).message}`);
    }
    if (!ok) throw new CsrError('CSR signature does not verify (proof of possession failed)');
    const alg = csr.publicKey.algorithm as RsaHashedKeyAlgorithm & EcKeyAlgorithm;
    if (alg.name === 'ECDSA' || alg.name === 'EC') {
      if (alg.namedCurve !== 'P-256' && alg.namedCurve !== 'P-384') throw new CsrError(`curve ${alg.namedCurve} not accepted`);
    } else if (alg.name === 'RSASSA-PKCS1-v1_5' || alg.name === 'RSA-PSS') {
      if ((alg.modulusLength ?? 0) < 2048) throw new CsrError('RSA keys must be at least 2048 bits');
    } else {
      throw new CsrError(`key algorithm ${alg.name} not accepted`);
    }
    const now = o.now ?? new Date();
    const notBefore = new Date(now.getTime() - 60_000);
    // A renewal never outlives its chain's cap (the original enrollment plus the maximum chain age).
    const notAfter = new Date(Math.min(now.getTime() + o.hours * 3_600_000, o.notAfterCap?.getTime() ?? Infinity));
    const serial = `01${randomBytes(15).toString('hex')}`;
    const subject = clientSubject(o.compId, o.user);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject,
      issuer: this.cert.subject,
      notBefore,
      notAfter,
      publicKey: csr.publicKey,
      signingKey: this.#key,
      signingAlgorithm: this.#alg,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: compIdUri(o.compId) }]),
      ],
    });
    const der = Buffer.from(cert.rawData);
    return {
      certificate: cert.toString('pem'), serial: cert.serialNumber.toLowerCase(), notAfter, subject: cert.subject,
      fingerprint256: createHash('sha256').update(der).digest('hex'),
    };
  }

  async crl(entries: { serial: string; time: Date; reason?: x509.X509CrlReason }[], now = new Date(), validityMs = 24 * 3_600_000): Promise<string> {
    const crl = await x509.X509CrlGenerator.create({
      issuer: this.cert.subject,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + validityMs),
      signingKey: this.#key,
      signingAlgorithm: this.#alg,
      entries: entries.map((e) => ({ serialNumber: e.serial, revocationDate: e.time, reason: e.reason ?? x509.X509CrlReason.unspecified })),
      extensions: [await x509.AuthorityKeyIdentifierExtension.create(this.cert)],
    });
    // OpenSSL (the TLS stack that checks it) reads only the 'X509 CRL' PEM label.
    return `${x509.PemConverter.encode(crl.rawData, 'X509 CRL')}\n`;
  }
}
