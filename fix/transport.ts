/**
 * FIXS transport: FIX over mutual TLS.
 *
 * API
 *   createFixsServer(opts: FixsServerOptions, onConnection) → Promise<FixsServer { port, close() }>
 *     - TLS 1.3 only by default; `allowTls12` adds TLS 1.2 with ECDHE + AEAD suites (AES-GCM, ChaCha20) only.
 *       Nothing older; renegotiation disabled.
 *     - requires a client certificate chaining to `ca`; `crl()` is re-read for every handshake: the newest
 *       CRL goes into the TLS context for the next handshakes and the peer of the current one is checked
 *       against it after the handshake, so a revocation takes effect at once. The parsed and verified CRL is
 *       cached per distinct content (CrlChecker): only changed bytes are parsed and verified again.
 *     - `allowedCompIds(cert)` names the SenderCompIDs the certificate may log on as (default: the SAN URIs
 *       `urn:parley:fix:compid:<id>` written by fix/pki); the result is on FixsConnection.allowedCompIds and the
 *       session layer (fix/session.ts) refuses a Logon from any other CompID.
 *     - `onRefused(info)` reports handshakes and connections that were refused (for logs and tests).
 *   connectFixs(opts) → Promise<FixsConnection>  initiator: verifies the server against `ca` (hostname or
 *     `servername`), optional SPKI SHA-256 pins (base64), presents key/cert.
 *   FixsConnection: the verified socket, peer certificate (node:crypto X509Certificate), negotiated protocol and
 *     cipher, remote address, and exporter(label, length) = RFC 5705 keying material for channel binding.
 *   plainConnection(socket) → FixConnection   the same shape without TLS, for plain-TCP test listeners.
 *   new CrlChecker(cas).isRevoked(cert, crlPem) → Promise<boolean>   the server's revocation check (exported for tests).
 */
import { createHash, X509Certificate, constants as cryptoConstants } from 'node:crypto';
import type { Socket } from 'node:net';
import * as tls from 'node:tls';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { compIdsFromCertificate } from './pki/devpki.ts';

type Pem = string | Buffer;

/** The transport the session layer runs on: mutual TLS (FixsConnection) or plain TCP in tests. */
export interface FixConnection {
  socket: Socket | tls.TLSSocket;
  remoteAddress: string;
  peerCertificate?: X509Certificate;
  /** SenderCompIDs the peer's certificate may use; undefined = no binding (plain TCP test mode only). */
  allowedCompIds?: string[];
}
export interface FixsConnection extends FixConnection {
  socket: tls.TLSSocket;
  peerCertificate: X509Certificate;
  protocol: string;
  cipher: string;
  exporter(label: string, length?: number): Buffer;
}
export interface FixsServerOptions {
  key: Pem;
  cert: Pem;
  ca: Pem | Pem[];
  crl?: () => Pem | undefined;
  allowTls12?: boolean;
  host?: string;
  port?: number;
  allowedCompIds?: (cert: X509Certificate) => string[];
  onRefused?: (info: { remoteAddress: string; reason: string }) => void;
  /** seconds for the TLS handshake to finish, default 10 */
  handshakeTimeoutSec?: number;
}
export interface FixsServer {
  port: number;
  close(): Promise<void>;
}
export interface FixsClientOptions {
  host: string;
  port: number;
  key: Pem;
  cert: Pem;
  ca: Pem | Pem[];
  spkiPins?: string[];
  servername?: string;
  allowTls12?: boolean;
  timeoutMs?: number;
}

const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
export const TLS12_AEAD_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

function tlsPolicy(allowTls12: boolean | undefined): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'secureOptions'> {
  return {
    minVersion: allowTls12 ? 'TLSv1.2' : 'TLSv1.3',
    maxVersion: 'TLSv1.3',
    ciphers: allowTls12 ? `${TLS13_SUITES}:${TLS12_AEAD_CIPHERS}` : TLS13_SUITES,
    secureOptions: cryptoConstants.SSL_OP_NO_RENEGOTIATION,
  };
}

export function spkiSha256Of(cert: X509Certificate): string {
  return createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

const VERIFY_ERRORS: Record<string, string> = {
  CERT_REVOKED: 'certificate revoked',
  CERT_HAS_EXPIRED: 'certificate expired',
  CERT_NOT_YET_VALID: 'certificate not yet valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'not issued by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'not issued by a trusted CA',
  SELF_SIGNED_CERT_IN_CHAIN: 'not issued by a trusted CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  CERT_SIGNATURE_FAILURE: 'bad certificate signature',
  CRL_HAS_EXPIRED: 'the CRL has expired (cannot check revocation)',
  UNABLE_TO_GET_CRL: 'no CRL to check revocation against',
  INVALID_PURPOSE: 'certificate not meant for TLS client authentication',
};
/** OpenSSL's verify code as words, the code kept for whoever greps logs. */
function describeVerifyError(code: string): string {
  const words = VERIFY_ERRORS[code];
  return words ? `${words} (${code})` : code;
}

function caList(ca: Pem | Pem[]): Pem[] {
  return Array.isArray(ca) ? ca : [ca];
}

type CheckedCrl = { crl: x509.X509Crl; trusted: boolean };

/**
 * Revocation checks against the CRL, parsed and signature-verified once per distinct CRL content: the caller
 * hands over the CRL it has just read (every handshake), and only changed bytes are parsed and verified again,
 * so a new CRL takes effect on the very next check.
 */
export class CrlChecker {
  readonly #cas: Pem[];
  #caCerts: x509.X509Certificate[] | undefined;
  #last: { pem: string; checked: Promise<CheckedCrl> } | undefined;
  /** How many distinct CRLs were parsed and verified (for tests and diagnostics). */
  parses = 0;

  constructor(cas: Pem[]) {
    this.#cas = cas;
  }

  /** True when `cert` is listed in the CRL, or when the CRL does not verify against one of the CA certificates. */
  async isRevoked(cert: X509Certificate, crlPem: Pem): Promise<boolean> {
    const pem = typeof crlPem === 'string' ? crlPem : crlPem.toString('utf8');
    if (this.#last?.pem !== pem) {
      const checked = this.#check(pem);
      this.#last = { pem, checked };
      // A CRL that does not parse is not cached: the next handshake reads and tries again.
      checked.catch(() => { if (this.#last?.checked === checked) this.#last = undefined; });
    }
    const { crl, trusted } = await this.#last.checked;
    // A CRL we cannot authenticate revokes nothing, but it must not silently open the door either:
    // treat it as "unable to check" and refuse.
    if (!trusted) return true;
    return crl.findRevoked(cert.serialNumber.toLowerCase()) !== null;
  }

  async #check(pem: string): Promise<CheckedCrl> {
    this.parses += 1;
    const crl = new x509.X509Crl(pem);
    this.#caCerts ??= this.#cas.map((ca) => new x509.X509Certificate(typeof ca === 'string' ? ca : ca.toString('utf8')));
    for (const caCert of this.#caCerts) {
      if (caCert.subject === crl.issuer && (await crl.verify({ publicKey: caCert.publicKey }))) return { crl, trusted: true };
    }
    return { crl, trusted: false };
  }
}

function toConnection(socket: tls.TLSSocket, allowed?: (c: X509Certificate) => string[]): FixsConnection {
  const peer = socket.getPeerX509Certificate();
  if (!peer) throw new Error('no peer certificate');
  const cipher = socket.getCipher();
  return {
    socket,
    peerCertificate: peer,
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: cipher.standardName ?? cipher.name,
    remoteAddress: socket.remoteAddress ?? '',
    allowedCompIds: allowed ? allowed(peer) : compIdsFromCertificate(peer),
    // No context value (RFC 5705 "no context"); Node's typings insist on one, the runtime does not.
    exporter: (label: string, length = 32) =>
      (socket.exportKeyingMaterial as (len: number, label: string) => Buffer).call(socket, length, label),
  };
}

export function plainConnection(socket: Socket): FixConnection {
  return { socket, remoteAddress: socket.remoteAddress ?? '' };
}

export async function createFixsServer(opts: FixsServerOptions, onConnection: (conn: FixsConnection) => void): Promise<FixsServer> {
  const cas = caList(opts.ca);
  const contextFor = (crl: Pem | undefined): tls.SecureContextOptions => ({
    key: opts.key, cert: opts.cert, ca: cas, ...(crl ? { crl } : {}), ...tlsPolicy(opts.allowTls12),
  });
  let lastCrl = opts.crl?.();
  const crlChecker = new CrlChecker(cas);
  const server = tls.createServer({
    ...contextFor(lastCrl),
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: (opts.handshakeTimeoutSec ?? 10) * 1000,
  });
  const refuse = (remoteAddress: string, reason: string): void => { opts.onRefused?.({ remoteAddress, reason }); };
  // Remembered per raw socket: after a failed client-certificate check Node no longer knows the peer.
  const peerOf = new WeakMap<Socket, string>();
  // Prepended: it runs before tls.Server's own connection listener wraps the socket, so a changed CRL is in the
  // context of THIS handshake (otherwise the first connection after a quiet spell would meet the previous CRL,
  // possibly past its nextUpdate: CRL_HAS_EXPIRED although a fresh one was published).
  server.prependListener('connection', (raw: Socket) => {
    if (raw.remoteAddress) peerOf.set(raw, raw.remoteAddress);
    // Re-read the CRL for every handshake (the post-handshake check below applies it too). A CRL that cannot be read or parsed keeps the
    // previous context; the post-handshake check then refuses, so the failure is closed, not open.
    try {
      const crl = opts.crl?.();
      if (crl !== undefined && String(crl) !== String(lastCrl)) {
        server.setSecureContext(contextFor(crl));
        lastCrl = crl;
      }
    } catch (e) {
      refuse(raw.remoteAddress ?? '', `CRL unusable: ${(e as Error).message}`);
    }
  });
  server.on('tlsClientError', (err, socket) => {
    // Node reports a client certificate that failed verification as a bare hang-up; the reason is here.
    const why = (socket as tls.TLSSocket & { authorizationError?: Error | string }).authorizationError;
    // After a failed verification the TLS socket may already have let go of its handle; its parent has not.
    const parent = (socket as tls.TLSSocket & { _parent?: Socket })._parent;
    const addr = socket.remoteAddress ?? (parent ? peerOf.get(parent) : undefined) ?? '';
    refuse(addr, why ? `client certificate refused: ${describeVerifyError(String(why))}` : err.message);
    socket.destroy();
  });
  server.on('secureConnection', (socket: tls.TLSSocket) => {
    const remote = socket.remoteAddress ?? '';
    socket.on('error', () => { /* the session layer reports its own errors; never crash the server */ });
    void (async () => {
      let conn: FixsConnection;
      try {
        conn = toConnection(socket, opts.allowedCompIds);
        const crl = opts.crl?.();
        if (crl !== undefined && (await crlChecker.isRevoked(conn.peerCertificate, crl))) {
          refuse(remote, 'certificate revoked');
          socket.destroy();
          return;
        }
      } catch (e) {
        refuse(remote, `refused: ${(e as Error).message}`);
        socket.destroy();
        return;
      }
      try { onConnection(conn); } catch (e) { refuse(remote, `handler failed: ${(e as Error).message}`); socket.destroy(); }
    })();
  });
  server.on('error', () => { /* per-socket errors surface as tlsClientError; keep serving */ });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => { server.off('error', reject); resolve(); });
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const open = new Set<tls.TLSSocket>();
  server.on('secureConnection', (s: tls.TLSSocket) => { open.add(s); s.on('close', () => open.delete(s)); });
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const s of open) s.destroy();
      server.close(() => resolve());
    }),
  };
}

export function connectFixs(opts: FixsClientOptions): Promise<FixsConnection> {
  return new Promise((resolve, reject) => {
    const pins = opts.spkiPins;
    const socket = tls.connect({
      host: opts.host,
      port: opts.port,
      key: opts.key,
      cert: opts.cert,
      ca: caList(opts.ca),
      servername: opts.servername ?? (/^[\d.]+$|:/.test(opts.host) ? undefined : opts.host),
      rejectUnauthorized: true,
      ...tlsPolicy(opts.allowTls12),
      checkServerIdentity: (host, cert) => {
        const err = tls.checkServerIdentity(opts.servername ?? host, cert);
        if (err) return err;
        if (pins && pins.length) {
          const got = spkiSha256Of(new X509Certificate(cert.raw));
          if (!pins.includes(got)) return new Error(`server public key ${got} matches no configured SPKI pin`);
        }
        return undefined;
      },
    });
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('TLS handshake timed out')); }, opts.timeoutMs ?? 10_000);
    socket.once('error', (e) => { clearTimeout(timer); reject(e); });
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      try {
        socket.disableRenegotiation();
        resolve(toConnection(socket));
      } catch (e) {
        socket.destroy();
        reject(e as Error);
      }
    });
  });
}
