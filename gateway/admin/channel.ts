/**
 * The local admin channel between the admin CLI and a running gateway: a unix socket in the data folder,
 * mode 0600 (only the gateway's own user may talk to it), one JSON request per line, one JSON answer per line.
 *   request  {"id": n, "cmd": "sessions.list", "args": {...}}
 *   answer   {"id": n, "ok": true, "result": ...} | {"id": n, "ok": false, "error": "..."}
 * Lines are capped, connections are capped, and a bad line is answered, never fatal.
 */
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export type AdminHandler = (cmd: string, args: Record<string, unknown>) => Promise<unknown> | unknown;

const MAX_LINE = 64 * 1024;
const MAX_CONNECTIONS = 16;

export class AdminError extends Error {
  override name = 'AdminError';
}

export class AdminServer {
  readonly path: string;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(path: string, server: Server) {
    this.path = path;
    this.#server = server;
  }

  static async listen(path: string, handler: AdminHandler): Promise<AdminServer> {
    if (existsSync(path)) {
      // A socket left by a crashed gateway is removed; anything else at that path is not ours to delete.
      if (!lstatSync(path).isSocket()) throw new AdminError(`${path} exists and is not a socket`);
      if (await isLive(path)) throw new AdminError(`another gateway is already listening on ${path}`);
      unlinkSync(path);
    }
    const server = createServer();
    const s = new AdminServer(path, server);
    server.maxConnections = MAX_CONNECTIONS;
    server.on('connection', (sock) => s.#serve(sock, handler));
    const old = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => { server.off('error', reject); resolve(); });
      });
    } finally {
      process.umask(old);
    }
    chmodSync(path, 0o600);
    return s;
  }

  #serve(sock: Socket, handler: AdminHandler): void {
    this.#sockets.add(sock);
    sock.on('close', () => this.#sockets.delete(sock));
    sock.on('error', () => {});
    sock.setTimeout(120_000, () => sock.destroy());
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > MAX_LINE && !buf.includes('\n')) {
        sock.end(`${JSON.stringify({ id: null, ok: false, error: `request over ${MAX_LINE} bytes` })}\n`);
        buf = '';
        return;
      }
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim()) void this.#answer(sock, line, handler);
      }
    });
  }

  async #answer(sock: Socket, line: string, handler: AdminHandler): Promise<void> {
    let id: unknown = null;
    let reply: unknown;
    try {
      const req = JSON.parse(line) as unknown;
      if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new AdminError('request must be a JSON object');
      const r = req as { id?: unknown; cmd?: unknown; args?: unknown };
      id = r.id ?? null;
      if (typeof r.cmd !== 'string' || r.cmd.length > 64) throw new AdminError('cmd must be a string');
      const args = r.args ?? {};
      if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new AdminError('args must be an object');
      reply = { id, ok: true, result: (await handler(r.cmd, args as Record<string, unknown>)) ?? null };
    } catch (e) {
      const msg = e instanceof SyntaxError ? 'request is not valid JSON' : (e as Error).message;
      reply = { id, ok: false, error: msg };
    }
    if (!sock.destroyed) sock.write(`${JSON.stringify(reply)}\n`);
  }

  close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    return new Promise((resolve) => this.#server.close(() => {
      try { unlinkSync(this.path); } catch { /* already gone */ }
      resolve();
    }));
  }
}

function isLive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** Sends one command to a running gateway. Rejects with AdminError naming what went wrong. */
export function adminCall(path: string, cmd: string, args: Record<string, unknown> = {}, timeoutMs = 15_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => { c.destroy(); reject(new AdminError(`no answer from the gateway on ${path} within ${timeoutMs} ms`)); }, timeoutMs);
    c.setEncoding('utf8');
    c.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new AdminError(e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
        ? `the gateway is not running (no admin socket at ${path})` : `admin socket ${path}: ${e.message}`));
    });
    c.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      c.end();
      try {
        const r = JSON.parse(buf.slice(0, nl)) as { ok: boolean; result?: unknown; error?: string };
        if (r.ok) resolve(r.result);
        else reject(new AdminError(r.error ?? 'failed'));
      } catch {
        reject(new AdminError('the gateway sent an unreadable answer'));
      }
    });
    c.once('connect', () => c.write(`${JSON.stringify({ id: 1, cmd, args })}\n`));
  });
}
