/**
 * The browser preview (a development and test tool; never part of a packaged build): serves the built
 * renderer on 127.0.0.1 (reachable as http://localhost:<port> too, because WebAuthn refuses IP-address
 * origins) with a per-run secret and bridges the IPC contract over HTTP (calls) and
 * Server-Sent Events (events) to the same ClientCore services the Electron shell uses.
 *
 * Access: the printed URL carries the per-run secret in its fragment (http://localhost:<port>/#k=…), which the
 * browser never sends anywhere. No cookie exists: browsers do not isolate cookies by port, so any other server
 * on localhost would have received one. The page's bridge reads the fragment (keeping it in this origin's
 * sessionStorage, which other ports cannot read, so a reload works) and exchanges it, with this server's own
 * Origin, for a page token it holds in memory and sends as a header on every call and on its event stream.
 * The built renderer itself (HTML, JS, CSS: public code, no secret in it) is served without a token; calls and
 * events are not, and a page from anywhere else (or a local process without the secret) gets 401/403. Each
 * page token holds at most one event stream (a new one replaces its old one), and there are at most
 * MAX_PAGES tokens (the least recently used goes), so no holder can take every stream. The page may not be framed.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EventEnvelope, ResultEnvelope } from '../ipc/contract.ts';
import { createCallHandler, type EventHub, type Logger, type Services } from '../ipc/handler.ts';

const MAX_BODY = 256 * 1024;
/** Page tokens (each with at most one event stream); past this the least recently used one is dropped. */
const MAX_PAGES = 8;
const KEY_HEADER = 'x-parley-key';
const TOKEN_HEADER = 'x-parley-token';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

export interface PreviewOptions {
  services: Services;
  events: EventHub;
  /** The built renderer (renderer/dist). */
  distDir: string;
  /** The bundled browser bridge (bundleBridge()). */
  bridgeJs: string;
  port?: number;
  log?: Logger;
}

export interface Preview {
  /** http://localhost:<port>/#k=<secret>: the name WebAuthn accepts as a relying party; the secret in the fragment. */
  url: string;
  /** http://localhost:<port> */
  origin: string;
  /** Every origin (and so Host) the preview answers to: localhost and 127.0.0.1 on its port. */
  origins: readonly string[];
  port: number;
  /** Open event streams (for tests: a page is subscribed once this counts it). */
  eventStreams(): number;
  close(): Promise<void>;
}

function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v.length <= 256 ? v : undefined;
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

export async function startPreview(o: PreviewOptions): Promise<Preview> {
  const secret = randomBytes(32).toString('base64url');
  const log = o.log ?? console;
  const distDir = path.resolve(o.distDir);
  let hosts: readonly string[] = [];
  let origins: readonly string[] = [];
  let handle: ReturnType<typeof createCallHandler>;
  // token → its one event stream (null until it opens one); Map order = least recently used first.
  const pages = new Map<string, { stream: ServerResponse | null }>();
  const touch = (token: string | undefined) => {
    if (token === undefined) return undefined;
    // Compared in constant time against each live token (at most MAX_PAGES).
    for (const [t, page] of pages) {
      if (same(token, t)) {
        pages.delete(t);
        pages.set(t, page);
        return page;
      }
    }
    return undefined;
  };
  const newPage = (): string => {
    const token = randomBytes(32).toString('base64url');
    pages.set(token, { stream: null });
    while (pages.size > MAX_PAGES) {
      const [oldest, page] = pages.entries().next().value!;
      page.stream?.end();
      pages.delete(oldest);
    }
    return token;
  };

  const send = (res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...securityHeaders(), 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
    res.end(body);
  };

  async function serveFile(res: ServerResponse, urlPath: string): Promise<void> {
    let rel: string;
    try {
      rel = decodeURIComponent(urlPath);
    } catch {
      return send(res, 400, 'bad path');
    }
    if (rel.includes('\0')) return send(res, 400, 'bad path');
    const file = path.resolve(distDir, '.' + (rel === '/' ? '/index.html' : rel));
    if (file !== distDir && !file.startsWith(distDir + path.sep)) return send(res, 404, 'not found');
    try {
      const st = await stat(file);
      if (!st.isFile()) return send(res, 404, 'not found');
      let body: Buffer | string = await readFile(file);
      const ext = path.extname(file);
      if (path.basename(file) === 'index.html') {
        // The bridge must define window.parley before the app's module script runs.
        body = body.toString('utf8').replace(/<head>/i, '<head>\n    <script src="/__parley/bridge.js"></script>');
      }
      send(res, 200, body, TYPES[ext] ?? 'application/octet-stream');
    } catch {
      send(res, 404, 'not found');
    }
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      // Only our own names: a rebinding DNS name pointed at 127.0.0.1 carries its own Host and is refused.
      const host = req.headers.host;
      if (host === undefined || !hosts.includes(host)) return send(res, 421, 'wrong host');
      let url: URL;
      try {
        url = new URL(req.url ?? '/', `http://${host}`);
      } catch {
        return send(res, 400, 'bad request');
      }
      if (url.pathname === '/__parley/session') {
        // The bridge's one exchange: the secret from the URL fragment, from our own origin, for a page token.
        if (req.method !== 'POST') return send(res, 405, 'use POST');
        if (!origins.includes(req.headers.origin ?? '')) return send(res, 403, 'foreign origin');
        if (!same(header(req, KEY_HEADER), secret)) return send(res, 403, 'wrong or missing preview secret: open the preview through the URL it printed');
        return send(res, 200, JSON.stringify({ token: newPage() }), 'application/json');
      }
      if (url.pathname === '/__parley/bridge.js') return send(res, 200, o.bridgeJs, 'text/javascript; charset=utf-8');
      if (url.pathname.startsWith('/__parley/')) {
        const page = touch(header(req, TOKEN_HEADER));
        if (!page) return send(res, 401, 'no or expired page token (open the preview through the URL it printed)');
        if (url.pathname === '/__parley/events') {
          // One stream per page token: a page reconnecting replaces its own stream, never someone else's.
          page.stream?.end();
          res.writeHead(200, { ...securityHeaders(), 'content-type': 'text/event-stream', connection: 'keep-alive' });
          res.write(': parley\n\n');
          page.stream = res;
          req.on('close', () => { if (page.stream === res) page.stream = null; });
          return;
        }
        if (url.pathname === '/__parley/call') {
          if (req.method !== 'POST') return send(res, 405, 'use POST');
          if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return send(res, 415, 'JSON only');
          const body = await readBody(req);
          let result: ResultEnvelope;
          if (body === null) result = { ok: false, error: { code: 'invalid-request', message: 'request too large' } };
          else {
            let parsed: unknown;
            try {
              parsed = JSON.parse(body);
            } catch {
              parsed = undefined;
            }
            // The browser's Origin header stands in for Electron's sender frame; framing is forbidden by CSP.
            const sender = { url: `${req.headers.origin ?? 'null'}/`, topFrame: req.headers['sec-fetch-dest'] !== 'iframe' };
            result = await handle(sender, parsed);
          }
          const status = !result.ok && result.error.code === 'forbidden-sender' ? 403 : 200;
          return send(res, status, JSON.stringify(result), 'application/json');
        }
        return send(res, 404, 'not found');
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
      return serveFile(res, url.pathname);
    })().catch((e: unknown) => {
      log.error(`preview: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'internal error');
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  const unsubscribe = o.events.subscribe((e: EventEnvelope) => {
    const line = `data: ${JSON.stringify(e)}\n\n`;
    for (const page of pages.values()) page.stream?.write(line);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://localhost:${port}`;
  origins = [origin, `http://127.0.0.1:${port}`];
  hosts = origins.map((x) => new URL(x).host);
  handle = createCallHandler({ services: o.services, allowedOrigins: origins, log });
  return {
    url: `${origin}/#k=${secret}`,
    origin,
    origins,
    port,
    eventStreams: () => [...pages.values()].filter((p) => p.stream !== null).length,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        for (const p of pages.values()) p.stream?.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
