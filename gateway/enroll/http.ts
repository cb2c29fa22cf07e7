/**
 * The enrollment endpoint: HTTPS (TLS 1.3 only) on loopback.
 *   POST /v1/enroll {token, csr}  -> {certificate, chain, notAfter, compId, serial}
 *   POST /v1/renew  {csr}         -> same, authenticated by the current (valid, unrevoked) client cert
 *   GET  /v1/crl                  -> the CA's CRL (PEM)
 * Bodies are capped and validated; every failure is a JSON {error, code} with a 4xx status.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { z } from 'zod';
import { CsrError, type GatewayCa } from './ca.ts';
import { normSerial, type CertRegistry } from './registry.ts';
import type { TokenStore } from './tokens.ts';

const MAX_BODY = 16 * 1024;
const pem = z.string().min(64).max(12 * 1024).regex(/-----BEGIN CERTIFICATE REQUEST-----/, 'expected a PEM CERTIFICATE REQUEST');
const enrollBody = z.object({ token: z.string().min(8).max(256), csr: pem }).strict();
const renewBody = z.object({ csr: pem }).strict();

export type EnrollEvent = { type: 'enroll.issued' | 'enroll.refused' | 'enroll.renewed' | 'enroll.renew-refused'; data: Record<string, unknown> };

export type EnrollServerOptions = {
  host: string; port: number; serverCert: string; serverKey: string;
  ca: GatewayCa; tokens: TokenStore; registry: CertRegistry; certHours: number;
  onEvent?: (e: EnrollEvent) => void;
};

class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      reject(new HttpError(413, 'too-large', `body over ${MAX_BODY} bytes`));
      req.resume();
      return;
    }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        // Stop buffering but let the response go out; the connection closes after it.
        if (chunks.length) chunks.length = 0;
        reject(new HttpError(413, 'too-large', `body over ${MAX_BODY} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function json<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) throw new HttpError(415, 'content-type', 'Content-Type must be application/json');
  const text = await readBody(req);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'bad-json', 'body is not valid JSON');
  }
  const r = schema.safeParse(v);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new HttpError(400, 'bad-request', `${i.path.join('.') || '(body)'}: ${i.message}`);
  }
  return r.data;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text),
    ...(status >= 400 ? { connection: 'close' } : {}) });
  res.end(text);
}

export class EnrollServer {
  readonly server: Server;
  readonly #o: EnrollServerOptions;

  constructor(o: EnrollServerOptions) {
    this.#o = o;
    this.server = createServer({
      key: o.serverKey, cert: o.serverCert, ca: [o.ca.certPem],
      minVersion: 'TLSv1.3',
      // The certificate is optional (enroll has none yet); renew demands an authorized one.
      requestCert: true, rejectUnauthorized: false,
    }, (req, res) => { void this.#handle(req, res); });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
    this.server.maxHeadersCount = 50;
    this.server.on('tlsClientError', () => { /* a bad handshake hurts only that connection */ });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.#o.port, this.#o.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    try {
      if (path === '/v1/crl') {
        if (req.method !== 'GET') throw new HttpError(405, 'method', 'use GET');
        this.#o.registry.reload();
        send(res, 200, await this.#o.registry.writeCrl(this.#o.ca), 'application/pkix-crl');
      } else if (path === '/v1/enroll') {
        if (req.method !== 'POST') throw new HttpError(405, 'method', 'use POST');
        send(res, 200, await this.#enroll(req));
      } else if (path === '/v1/renew') {
        if (req.method !== 'POST') throw new HttpError(405, 'method', 'use POST');
        send(res, 200, await this.#renew(req));
      } else {
        throw new HttpError(404, 'not-found', `no such endpoint ${path}`);
      }
    } catch (e) {
      const err = e instanceof HttpError ? e : e instanceof CsrError ? new HttpError(400, 'bad-csr', e.message)
        : new HttpError(500, 'internal', 'internal error');
      if (!(e instanceof HttpError) && !(e instanceof CsrError)) console.error('enroll: internal error', e);
      if (!res.headersSent && !res.destroyed) send(res, err.status, { error: err.message, code: err.code });
    }
  }

  async #enroll(req: IncomingMessage) {
    const body = await json(req, enrollBody);
    const use = this.#o.tokens.consume(body.token);
    if (!use.ok) {
      this.#o.onEvent?.({ type: 'enroll.refused', data: { reason: use.reason, remote: req.socket.remoteAddress } });
      throw new HttpError(401, `token-${use.reason}`, `enrollment token refused: ${use.reason === 'used' ? 'already used (tokens are single-use)' : use.reason}`);
    }
    const { user, compId } = use.record;
    const signed = await this.#o.ca.signCsr(body.csr, { user, compId, hours: this.#o.certHours });
    this.#o.registry.recordIssued({ serial: signed.serial, user, compId, subject: signed.subject, notAfter: signed.notAfter.toISOString(), issuedAt: new Date().toISOString(), fingerprint256: signed.fingerprint256, via: 'enroll' });
    this.#o.onEvent?.({ type: 'enroll.issued', data: { user, compId, serial: signed.serial, notAfter: signed.notAfter.toISOString(), tokenId: use.record.id } });
    return { certificate: signed.certificate, chain: [this.#o.ca.certPem], notAfter: signed.notAfter.toISOString(), compId, serial: signed.serial };
  }

  async #renew(req: IncomingMessage) {
    const sock = req.socket as TLSSocket;
    const peer = sock.getPeerCertificate();
    if (!sock.authorized || !peer || !peer.serialNumber) {
      this.#o.onEvent?.({ type: 'enroll.renew-refused', data: { reason: 'no valid client certificate', detail: String(sock.authorizationError ?? '') } });
      throw new HttpError(401, 'no-client-cert', `renewal needs the current client certificate (${sock.authorizationError ?? 'none presented'})`);
    }
    this.#o.registry.reload();
    const serial = normSerial(peer.serialNumber);
    if (this.#o.registry.isRevoked(serial)) {
      this.#o.onEvent?.({ type: 'enroll.renew-refused', data: { reason: 'revoked', serial } });
      throw new HttpError(403, 'revoked', 'the presented certificate is revoked');
    }
    const prior = this.#o.registry.issued(serial);
    if (!prior) throw new HttpError(403, 'unknown-cert', 'the presented certificate was not issued by enrollment');
    const body = await json(req, renewBody);
    const signed = await this.#o.ca.signCsr(body.csr, { user: prior.user, compId: prior.compId, hours: this.#o.certHours });
    this.#o.registry.recordIssued({ serial: signed.serial, user: prior.user, compId: prior.compId, subject: signed.subject, notAfter: signed.notAfter.toISOString(), issuedAt: new Date().toISOString(), fingerprint256: signed.fingerprint256, via: 'renew' });
    this.#o.onEvent?.({ type: 'enroll.renewed', data: { user: prior.user, compId: prior.compId, serial: signed.serial, previous: serial } });
    return { certificate: signed.certificate, chain: [this.#o.ca.certPem], notAfter: signed.notAfter.toISOString(), compId: prior.compId, serial: signed.serial };
  }
}
