/**
 * Test-only: puts the browser preview (which answers only as http://127.0.0.1:<port>) behind
 * http://localhost:<port>, because WebAuthn needs a domain as its RP id and refuses an IP address. It
 * forwards every request with Host and Origin rewritten to the preview's own, and streams responses (SSE)
 * through untouched. The preview's checks still run; this only changes the name the browser uses.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export async function startLocalhostFront(): Promise<{ port: number; origin: string; setUpstream(port: number): void; close(): Promise<void> }> {
  let upstream = 0;
  const server: Server = createServer((req, res) => {
    if (!upstream) {
      res.writeHead(503).end('no upstream yet');
      return;
    }
    const headers = { ...req.headers, host: `127.0.0.1:${upstream}` };
    if (headers.origin) headers.origin = `http://127.0.0.1:${upstream}`;
    const up = request({ host: '127.0.0.1', port: upstream, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
    res.on('close', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://localhost:${port}`,
    setUpstream: (p) => {
      upstream = p;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
