/**
 * The /metrics listener: plain HTTP on loopback, or HTTPS with the gateway's certificate where scrapers must
 * present a client certificate from the gateway's CA (config telemetry.metrics.tls; required off loopback).
 *
 * API
 *   serveMetrics(o): Promise<MetricsServer>    { port; close() }
 *   GET /metrics → the registry's text exposition (version 0.0.4); anything else 404/405. Slow or idle clients
 *   are cut by the header and request timeouts; at most 16 connections at once.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Registry } from 'prom-client';

export type MetricsServer = { port: number; close(): Promise<void> };

export async function serveMetrics(o: {
  registry: Registry; host: string; port: number;
  tls?: { cert: string; key: string; ca: string };
}): Promise<MetricsServer> {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n'); return; }
    if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405, { allow: 'GET, HEAD' }).end(); return; }
    o.registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': o.registry.contentType, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    }, (e: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(e as Error).message}\n`);
    });
  };
  const server: Server = o.tls
    ? createHttps({ cert: o.tls.cert, key: o.tls.key, ca: o.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, handler)
    : createHttp(handler);
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = 16;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => { server.off('error', reject); resolve(); });
  });
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
