/**
 * Throwaway development PKI for FIXS (FIX over mutual TLS): one CA with a CRL, a gateway (server)
 * certificate and client certificates, each issued as ECDSA P-256 AND RSA-2048 (Debian's QuickFIX 1.15.1
 * loads only RSA keys). Built on node:crypto's WebCrypto + @peculiar/x509: no hand-written ASN.1.
 *
 * API
 *   createDevPki(dir, opts?)                 → DevPki   fresh CA + CRL + gateway + clients written into dir
 *   loadDevPki(dir)                          → DevPki   read back what createDevPki wrote
 *   issueCertificate(dir, spec)              → IssuedCert   one more leaf (client or server) from dir's CA
 *   revokeCertificate(dir, serialOrCertPem)  → string   adds the serial to the CA's list, re-issues dir/ca.crl.pem
 *   spkiSha256(certPem)                      → string   base64 SHA-256 of the SubjectPublicKeyInfo (pin format)
 *   compIdUri(compId)                        → the SAN URI that binds a client certificate to a CompID
 *
 * Layout of dir: ca.key.pem ca.crt.pem ca.crl.pem state.json, and <name>.<ec|rsa>.{key,crt}.pem per leaf.
 * Client certificates carry CN=<name> and one SAN URI `urn:parley:fix:compid:<CompID>` per CompID they may
 * use (fix/transport.ts reads those by default). Private keys are written with mode 0600.
 */
import 'reflect-metadata';
import { webcrypto, createHash, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

export type KeyAlg = 'ec' | 'rsa';
export const KEY_ALGS: readonly KeyAlg[] = ['ec', 'rsa'];
const COMPID_URI_PREFIX = 'urn:parley:fix:compid:';

export interface IssuedCert {
  name: string;
  alg: KeyAlg;
  keyPem: string;
  certPem: string;
  keyPath: string;
  certPath: string;
  serialNumber: string;
  spkiSha256: string;
}
export interface DevPki {
  dir: string;
  caCertPem: string;
  caCertPath: string;
  caKeyPath: string;
  crlPath: string;
  readCrl(): string;
  gateway: Record<KeyAlg, IssuedCert>;
  clients: Record<string, Record<KeyAlg, IssuedCert>>;
}
export interface DevPkiOptions {
  /** client names (also their CompID), default ['TW44', 'TW', 'NO_CHECK_FIELDS_HAVE_VALUES', 'CLIENT1'] */
  clients?: string[];
  /** DNS names / IPs of the gateway certificate, default localhost + 127.0.0.1 */
  gatewayNames?: string[];
  /** CA subject CN, default 'Parley Dev CA' */
  caName?: string;
  days?: number;
}
export interface IssueSpec {
  name: string;
  alg: KeyAlg;
  kind: 'client' | 'server';
  /** CompIDs a client certificate may log on as; default [name] */
  compIds?: string[];
  /** server DNS names / IPs */
  hostNames?: string[];
  notBefore?: Date;
  notAfter?: Date;
  /** file stem; default `${name}.${alg}` */
  fileStem?: string;
}
interface CaState { serials: string[]; revoked: Array<{ serialNumber: string; date: string }>; days: number }

const DAY = 86_400_000;

function keyParams(alg: KeyAlg): RsaHashedKeyGenParams | EcKeyGenParams {
  return alg === 'ec'
    ? { name: 'ECDSA', namedCurve: 'P-256' }
    : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
}
function signAlg(alg: KeyAlg): Algorithm | EcdsaParams {
  return alg === 'ec' ? { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams : { name: 'RSASSA-PKCS1-v1_5' };
}
function randomSerial(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[0] = (b[0]! & 0x7f) | 0x10; // positive and without a leading zero byte
  return Buffer.from(b).toString('hex');
}
function pemKey(pkcs8: ArrayBuffer): string {
  return x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n';
}
async function writeSecret(path: string, data: string): Promise<void> {
  await writeFile(path, data, { mode: 0o600 });
}

export function compIdUri(compId: string): string {
  return COMPID_URI_PREFIX + compId;
}
/** CompIDs named by a certificate's SAN URIs (see compIdUri). */
export function compIdsFromCertificate(cert: NodeX509): string[] {
  const san = cert.subjectAltName ?? '';
  const out: string[] = [];
  for (const part of san.split(/,\s*/)) {
    const m = /^URI:(.*)$/.exec(part);
    if (m && m[1]!.startsWith(COMPID_URI_PREFIX)) out.push(m[1]!.slice(COMPID_URI_PREFIX.length));
  }
  return out;
}
export function spkiSha256(certPem: string | Buffer): string {
  const spki = new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

async function importCaKey(dir: string): Promise<{ key: CryptoKey; cert: x509.X509Certificate }> {
  const keyPem = await readFile(join(dir, 'ca.key.pem'), 'utf8');
  const certPem = await readFile(join(dir, 'ca.crt.pem'), 'utf8');
  const key = await crypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  return { key, cert: new x509.X509Certificate(certPem) };
}
async function readState(dir: string): Promise<CaState> {
  return JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as CaState;
}

async function writeCrl(dir: string, caKey: CryptoKey, caCert: x509.X509Certificate, state: CaState): Promise<string> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: caCert.subject,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + state.days * DAY),
    signingAlgorithm: signAlg('ec'),
    signingKey: caKey,
    entries: state.revoked.map((r) => ({ serialNumber: r.serialNumber, revocationDate: new Date(r.date), reason: x509.X509CrlReason.keyCompromise })),
    extensions: [await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey)],
  });
  const pem = x509.PemConverter.encode(crl.rawData, 'X509 CRL') + '\n';
  await writeFile(join(dir, 'ca.crl.pem'), pem);
  return pem;
}

export async function issueCertificate(dir: string, spec: IssueSpec): Promise<IssuedCert> {
  const { key: caKey, cert: caCert } = await importCaKey(dir);
  const state = await readState(dir);
  const keys = (await crypto.subtle.generateKey(keyParams(spec.alg), true, ['sign', 'verify'])) as CryptoKeyPair;
  const serialNumber = randomSerial();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      spec.alg === 'ec' ? x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension([spec.kind === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  const sans: x509.JsonGeneralName[] = [];
  if (spec.kind === 'server') {
    for (const h of spec.hostNames ?? ['localhost', '127.0.0.1']) {
      sans.push({ type: /^[\d.]+$|:/.test(h) ? 'ip' : 'dns', value: h });
    }
  } else {
    for (const c of spec.compIds ?? [spec.name]) sans.push({ type: 'url', value: compIdUri(c) });
  }
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${spec.name}, O=Parley Dev`,
    issuer: caCert.subject,
    notBefore: spec.notBefore ?? new Date(Date.now() - 60 * 60_000),
    notAfter: spec.notAfter ?? new Date(Date.now() + state.days * DAY),
    signingAlgorithm: signAlg('ec'),
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions,
  });
  const stem = spec.fileStem ?? `${spec.name}.${spec.alg}`;
  const keyPem = pemKey(await crypto.subtle.exportKey('pkcs8', keys.privateKey));
  const certPem = cert.toString('pem') + '\n';
  const keyPath = join(dir, `${stem}.key.pem`);
  const certPath = join(dir, `${stem}.crt.pem`);
  await writeSecret(keyPath, keyPem);
  await writeFile(certPath, certPem);
  state.serials.push(serialNumber);
  await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  return { name: spec.name, alg: spec.alg, keyPem, certPem, keyPath, certPath, serialNumber, spkiSha256: spkiSha256(certPem) };
}

export async function createDevPki(dir: string, opts: DevPkiOptions = {}): Promise<DevPki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const days = opts.days ?? 30;
  const caKeys = (await crypto.subtle.generateKey(keyParams('ec'), true, ['sign', 'verify'])) as CryptoKeyPair;
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${opts.caName ?? 'Parley Dev CA'}, O=Parley Dev`,
    notBefore: new Date(Date.now() - 60 * 60_000),
    notAfter: new Date(Date.now() + days * DAY),
    keys: caKeys,
    signingAlgorithm: signAlg('ec'),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  await writeSecret(join(dir, 'ca.key.pem'), pemKey(await crypto.subtle.exportKey('pkcs8', caKeys.privateKey)));
  await writeFile(join(dir, 'ca.crt.pem'), caCert.toString('pem') + '\n');
  const state: CaState = { serials: [], revoked: [], days };
  await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  await writeCrl(dir, caKeys.privateKey, caCert, state);
  for (const alg of KEY_ALGS) {
    await issueCertificate(dir, { name: 'gateway', alg, kind: 'server', hostNames: opts.gatewayNames ?? ['localhost', '127.0.0.1'] });
  }
  for (const name of opts.clients ?? ['TW44', 'TW', 'NO_CHECK_FIELDS_HAVE_VALUES', 'CLIENT1']) {
    for (const alg of KEY_ALGS) await issueCertificate(dir, { name, alg, kind: 'client' });
  }
  return loadDevPki(dir, opts.clients ?? ['TW44', 'TW', 'NO_CHECK_FIELDS_HAVE_VALUES', 'CLIENT1']);
}

async function loadLeaf(dir: string, name: string, alg: KeyAlg): Promise<IssuedCert> {
  const keyPath = join(dir, `${name}.${alg}.key.pem`);
  const certPath = join(dir, `${name}.${alg}.crt.pem`);
  const keyPem = await readFile(keyPath, 'utf8');
  const certPem = await readFile(certPath, 'utf8');
  const serialNumber = new NodeX509(certPem).serialNumber.toLowerCase();
  return { name, alg, keyPem, certPem, keyPath, certPath, serialNumber, spkiSha256: spkiSha256(certPem) };
}

/** Reads a PKI written by createDevPki; `clients` names the leaves to load (default: every CN found is not tracked, so pass them). */
export async function loadDevPki(dir: string, clients: string[] = ['TW44', 'TW', 'NO_CHECK_FIELDS_HAVE_VALUES', 'CLIENT1']): Promise<DevPki> {
  const caCertPath = join(dir, 'ca.crt.pem');
  const crlPath = join(dir, 'ca.crl.pem');
  const gateway = { ec: await loadLeaf(dir, 'gateway', 'ec'), rsa: await loadLeaf(dir, 'gateway', 'rsa') };
  const out: Record<string, Record<KeyAlg, IssuedCert>> = {};
  for (const c of clients) out[c] = { ec: await loadLeaf(dir, c, 'ec'), rsa: await loadLeaf(dir, c, 'rsa') };
  const { readFileSync } = await import('node:fs');
  return {
    dir,
    caCertPem: await readFile(caCertPath, 'utf8'),
    caCertPath,
    caKeyPath: join(dir, 'ca.key.pem'),
    crlPath,
    readCrl: () => readFileSync(crlPath, 'utf8'),
    gateway,
    clients: out,
  };
}

/** Revokes a certificate of dir's CA and re-issues the CRL (returned as PEM). Idempotent. */
export async function revokeCertificate(dir: string, serialOrCertPem: string): Promise<string> {
  const serialNumber = (serialOrCertPem.includes('BEGIN CERTIFICATE')
    ? new NodeX509(serialOrCertPem).serialNumber
    : serialOrCertPem).toLowerCase();
  if (!/^[0-9a-f]{1,40}$/.test(serialNumber)) throw new Error('revokeCertificate: not a serial number or certificate');
  const { key, cert } = await importCaKey(dir);
  const state = await readState(dir);
  if (!state.revoked.some((r) => r.serialNumber === serialNumber)) {
    state.revoked.push({ serialNumber, date: new Date(Date.now() - 1000).toISOString() });
    await writeFile(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  }
  return writeCrl(dir, key, cert, state);
}
