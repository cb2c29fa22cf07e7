/**
 * The local admin channel between the admin CLI and a running gateway: a unix socket in the data folder,
 * mode 0600 (only the gateway's own user may talk to it), one JSON frame per line each way (contract.ts):
 *   request  {"id": n, "cmd": "sessions.list", "args": {...}}
 *   answer   {"id": n, "ok": true, "result": ...} | {"id": n, "ok": false, "error": {"code": "...", "message": "..."}}
 * Frames are capped, connections are capped, requests on one connection are answered in order, and a bad frame
 * is answered with a code, never fatal: the channel keeps serving that connection (unless the frame was
 * oversized: then it answers and closes) and every other one.
 */
import { chmodSync, existsSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { AdminFailure, AnswerFrameSchema, MAX_FRAME_BYTES, RequestFrameSchema, describeIssues, type AnswerFrame } from './contract.ts';

/** Throws AdminFailure for a coded refusal; any other error is answered as `internal`. */
export type AdminHandler = (cmd: string, args: unknown) => Promise<unknown> | unknown;

const MAX_CONNECTIONS = 16;
/** Answers can be long lists (every certificate ever issued); still bounded. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

function failure(id: number | null, code: AdminFailure['code'], message: string): AnswerFrame {
  return { id, ok: false, error: { code, message } };
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
      if (!lstatSync(path).isSocket()) throw new AdminFailure('refused', `${path} exists and is not a socket`);
      if (await isLive(path)) throw new AdminFailure('refused', `another gateway is already listening on ${path}`);
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
    let queue = Promise.resolve();
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (Buffer.byteLength(line) > MAX_FRAME_BYTES) { this.#refuseOversized(sock); return; }
        if (line.trim()) queue = queue.then(() => this.#answer(sock, line, handler));
      }
      if (Buffer.byteLength(buf) > MAX_FRAME_BYTES) this.#refuseOversized(sock);
    });
  }

  #refuseOversized(sock: Socket): void {
    // Nothing after an oversized frame can be trusted to start on a frame boundary: answer and close.
    sock.removeAllListeners('data');
    sock.end(`${JSON.stringify(failure(null, 'malformed-request', `request over ${MAX_FRAME_BYTES} bytes`))}\n`);
  }

  async #answer(sock: Socket, line: string, handler: AdminHandler): Promise<void> {
    let reply: AnswerFrame;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
      reply = failure(null, 'malformed-request', 'request is not valid JSON');
    }
    if (parsed !== undefined) {
      const frame = RequestFrameSchema.safeParse(parsed);
      if (!frame.success) {
        const id = (parsed as { id?: unknown } | null)?.id;
        reply = failure(typeof id === 'number' && Number.isSafeInteger(id) ? id : null, 'malformed-request',
          typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) ? 'request must be a JSON object' : `malformed request frame: ${describeIssues(frame.error)}`);
      } else {
        const { id, cmd, args } = frame.data;
        try {
          reply = { id, ok: true, result: (await handler(cmd, args ?? {})) ?? null };
        } catch (e) {
          reply = e instanceof AdminFailure ? failure(id, e.code, e.message) : failure(id, 'internal', (e as Error)?.message ?? String(e));
        }
      }
    }
    if (!sock.destroyed && sock.writable) sock.write(`${JSON.stringify(reply!)}\n`);
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

/**
 * Sends one command to a running gateway and resolves with its result. Rejects with AdminFailure: code
 * `not-running` when no gateway listens on the socket, `no-answer` on a timeout or an unreadable answer, or the
 * gateway's own code. Callers validate the result against the command's schema (contract.ts).
 */
export function adminCall(path: string, cmd: string, args: unknown = {}, timeoutMs = 15_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const c = createConnection(path);
    let buf = '';
    let settled = false;
    const settle = (f: () => void) => { if (!settled) { settled = true; clearTimeout(timer); c.destroy(); f(); } };
    const timer = setTimeout(() => settle(() => reject(new AdminFailure('no-answer', `no answer from the gateway on ${path} within ${timeoutMs} ms`))), timeoutMs);
    c.setEncoding('utf8');
    c.once('error', (e: NodeJS.ErrnoException) => settle(() => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
      ? new AdminFailure('not-running', `the gateway is not running (no admin socket at ${path})`)
      : new AdminFailure('no-answer', `admin socket ${path}: ${e.message}`))));
    c.once('close', () => settle(() => reject(new AdminFailure('no-answer', `the gateway closed the admin connection on ${path} without answering`))));
    c.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_ANSWER_BYTES) { settle(() => reject(new AdminFailure('no-answer', `the gateway's answer is over ${MAX_ANSWER_BYTES} bytes`))); return; }
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let frame: AnswerFrame | undefined;
      try { frame = AnswerFrameSchema.parse(JSON.parse(buf.slice(0, nl))); } catch { frame = undefined; }
      settle(() => {
        if (!frame) reject(new AdminFailure('no-answer', 'the gateway sent an unreadable answer'));
        else if (frame.ok) resolve(frame.result);
        else reject(new AdminFailure(frame.error.code, frame.error.message));
      });
    });
    c.once('connect', () => c.write(`${JSON.stringify({ id: 1, cmd, args })}\n`));
  });
}
