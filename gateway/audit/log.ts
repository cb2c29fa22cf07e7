/**
 * The audit log: append-only, hash-chained JSON lines.
 *
 * Each line is {"seq":n,"ts":"ISO time","type":"...","data":{...},"prev":"<hash of line n-1>","hash":"<sha256>"}, where
 * hash = sha256 over the exact bytes of the line up to (not including) `,"hash":` followed by `}` — i.e. over the
 * JSON of {seq,ts,type,data,prev} as written. Hashing the written bytes (not a re-serialisation) means verify does
 * not depend on how JSON numbers or key order round-trip. The first line's prev is 64 zeros.
 *
 * API
 *   class AuditLog
 *     static open(file): Promise<AuditLog>   — creates the file (0600) or continues its chain; refuses a file whose
 *                                             last line is not a valid entry (someone cut or edited it)
 *     append(type, data): Promise<void>      — appends are serialised in call order; each is written before it resolves
 *     close(): Promise<void>; file; seq (last written)
 *   verifyAuditLog(file): Promise<{ ok: true; lines; lastHash } | { ok: false; line; reason }>
 *     detects edited, removed, inserted and reordered lines. Cutting lines off the END leaves a valid shorter chain:
 *     compare `lines`/`lastHash` with an external record (e.g. the last seq alerted or shipped elsewhere) to catch that.
 *   class AlertSink { constructor({ log?: AuditLog; webhookUrl?: string; timeoutMs?: number }); alert(kind, data): Promise<void> }
 *     writes an `alert` line to the audit log and, if configured, POSTs the alert as JSON to the webhook
 *     (https, or http only to a loopback host); a failing webhook is recorded as `alert.webhook-failed`, never thrown.
 *
 * One process appends to a given file at a time (the gateway); other tools read it or ask the gateway to log.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { createInterface } from 'node:readline';

const GENESIS = '0'.repeat(64);
const HASH_KEY = ',"hash":"';
const MAX_LINE = 1024 * 1024;
const TYPE = /^[A-Za-z0-9._:-]{1,64}$/;

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

interface Parsed { seq: number; prev: string; hash: string }

/** Checks one line on its own (shape and hash); the chain is checked by the caller. */
function checkLine(line: string): Parsed | string {
  if (line.length > MAX_LINE) return 'line too long';
  const at = line.lastIndexOf(HASH_KEY);
  if (at < 0 || !line.endsWith('"}')) return 'not an audit entry (no hash)';
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (typeof obj !== 'object' || obj === null) return 'not an audit entry';
  const o = obj as Record<string, unknown>;
  const keys = Object.keys(o).join(',');
  if (keys !== 'seq,ts,type,data,prev,hash') return `unexpected fields (${keys.slice(0, 80)})`;
  if (!Number.isSafeInteger(o.seq) || typeof o.ts !== 'string' || typeof o.type !== 'string' || typeof o.prev !== 'string' || typeof o.hash !== 'string') {
    return 'malformed entry';
  }
  const body = `${line.slice(0, at)}}`;
  if (sha256(body) !== o.hash || line.slice(at) !== `${HASH_KEY}${o.hash}"}`) return 'hash does not match the content (edited)';
  return { seq: o.seq as number, prev: o.prev, hash: o.hash };
}

export async function verifyAuditLog(file: string): Promise<{ ok: true; lines: number; lastHash: string } | { ok: false; line: number; reason: string }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    return { ok: false, line: 0, reason: `cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const rl = createInterface({ input: fh.createReadStream({ encoding: 'utf8' }), crlfDelay: Infinity });
  let n = 0;
  let prev = GENESIS;
  try {
    for await (const line of rl) {
      n++;
      const p = checkLine(line);
      if (typeof p === 'string') return { ok: false, line: n, reason: p };
      if (p.seq !== n) return { ok: false, line: n, reason: `sequence ${p.seq} where ${n} was expected (lines removed, inserted or reordered)` };
      if (p.prev !== prev) return { ok: false, line: n, reason: 'previous-hash link broken (lines removed, inserted or reordered)' };
      prev = p.hash;
    }
  } finally {
    rl.close();
    await fh.close();
  }
  return { ok: true, lines: n, lastHash: prev };
}

/** Reads the last line of a file without reading all of it. */
async function lastLine(fh: FileHandle): Promise<string | undefined> {
  const { size } = await fh.stat();
  if (size === 0) return undefined;
  const chunk = Math.min(size, MAX_LINE + 2);
  const buf = Buffer.alloc(chunk);
  await fh.read(buf, 0, chunk, size - chunk);
  let text = buf.toString('utf8');
  if (!text.endsWith('\n')) return text.slice(text.lastIndexOf('\n') + 1) || text; // torn final write
  text = text.slice(0, -1);
  return text.slice(text.lastIndexOf('\n') + 1);
}

export class AuditLog {
  readonly file: string;
  #fh: FileHandle;
  #seq: number;
  #prev: string;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(file: string, fh: FileHandle, seq: number, prev: string) {
    this.file = file;
    this.#fh = fh;
    this.#seq = seq;
    this.#prev = prev;
  }

  static async open(file: string): Promise<AuditLog> {
    const fh = await open(file, 'a+', 0o600);
    try {
      const last = await lastLine(fh);
      if (last === undefined) return new AuditLog(file, fh, 0, GENESIS);
      const p = checkLine(last);
      if (typeof p === 'string') throw new Error(`${file}: the last line is not a valid audit entry (${p}); run verify and move the file aside`);
      return new AuditLog(file, fh, p.seq, p.hash);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get seq(): number {
    return this.#seq;
  }

  append(type: string, data: object): Promise<void> {
    const next = this.#queue.then(() => this.#write(type, data));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(type: string, data: object): Promise<void> {
    if (this.#closed) throw new Error(`${this.file}: audit log is closed`);
    if (!TYPE.test(type)) throw new Error(`audit type "${String(type).slice(0, 80)}" must be 1-64 of A-Z a-z 0-9 . _ : -`);
    const dataJson = JSON.stringify(data ?? {});
    if (dataJson === undefined || dataJson.length > MAX_LINE - 512) throw new Error('audit data is not serialisable or too large');
    const seq = this.#seq + 1;
    const body = `{"seq":${seq},"ts":${JSON.stringify(new Date().toISOString())},"type":${JSON.stringify(type)},"data":${dataJson},"prev":"${this.#prev}"}`;
    const hash = sha256(body);
    await this.#fh.appendFile(`${body.slice(0, -1)}${HASH_KEY}${hash}"}\n`);
    this.#seq = seq;
    this.#prev = hash;
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#closed) return;
    this.#closed = true;
    await this.#fh.close();
  }
}

/** The one rule for alert webhooks (the config loader applies it too): https, or http only to a loopback host. */
export function webhookAllowed(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === 'https:') return true;
    return u.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
  } catch {
    return false;
  }
}

export class AlertSink {
  readonly #log: AuditLog | undefined;
  readonly #webhook: string | undefined;
  readonly #timeoutMs: number;

  constructor(opts: { log?: AuditLog; webhookUrl?: string | null; timeoutMs?: number } = {}) {
    if (opts.webhookUrl && !webhookAllowed(opts.webhookUrl)) {
      throw new Error(`alert webhook "${opts.webhookUrl}": must be an https URL (http only to a loopback host)`);
    }
    this.#log = opts.log;
    this.#webhook = opts.webhookUrl ?? undefined;
    this.#timeoutMs = opts.timeoutMs ?? 5_000;
  }

  async alert(kind: string, data: object): Promise<void> {
    const alert = { kind, ...data };
    await this.#log?.append('alert', alert);
    if (!this.#webhook) return;
    try {
      const res = await fetch(this.#webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'parley-gateway', at: new Date().toISOString(), ...alert }),
        signal: AbortSignal.timeout(this.#timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
    } catch (e) {
      await this.#log?.append('alert.webhook-failed', { kind, error: (e as Error).message });
    }
  }
}
