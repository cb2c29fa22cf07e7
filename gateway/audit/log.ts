/**
 * The audit log: append-only, hash-chained JSON lines (format and key: chain.ts; checkpoints: checkpoint.ts;
 * verification: verify.ts).
 *
 * API
 *   class AuditLog
 *     static open(file, opts?): Promise<AuditLog>
 *       creates the file (0600) or continues its chain. The chain is keyed (HMAC) with the key in opts.keyFile
 *       (default `<file>.key`), created 0600 at first open; `keyFile: null` writes a legacy unkeyed chain. A legacy
 *       log is migrated: its chain goes on keyed after an `audit.keyed` entry naming how many unkeyed entries precede.
 *       Recovery at open: a torn last line (no final newline: a crash or a full disk mid-write) is cut, kept as
 *       `<file>.torn-<offset>`, recorded as `audit.tail-repaired` and said on the alert channel; a complete last
 *       line that does not verify refuses to open (AuditCorruptError: file, offset, what to do). Only the last line
 *       is checked at open; the middle is `audit verify`'s job.
 *     append(type, data): Promise<void>   appends are serialised in call order; each is written before it resolves
 *     close(): Promise<void>; file; seq (last written); keyed
 *   Write failures (ENOSPC, EIO): the append rejects, a torn partial line is cut before the next write, the first
 *   failure and the recovery are said on opts.alert (default stderr — not the failing disk), and the first write
 *   that works again is preceded by an `audit.gap` entry {lost, from, to, error, types}: the chain stays intact.
 *   Checkpoints (keyed logs): after the queue drains and at least every `checkpointEvery` entries, and at close.
 *   verifyAuditLog / verifyAuditChain: see verify.ts.
 *   class AlertSink { constructor({ log?: AuditLog; webhookUrl?: string; timeoutMs?: number }); alert(kind, data): Promise<void> }
 *     writes an `alert` line to the audit log and, if configured, POSTs the alert as JSON to the webhook
 *     (https, or http only to a loopback host) — also when the audit write failed; a failing webhook is recorded as
 *     `alert.webhook-failed`, never thrown.
 *
 * One process appends to a given file at a time (the gateway); other tools read it or ask the gateway to log.
 */
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { checkLine, createKey, defaultKeyFile, formatLine, GENESIS, KEYED_TYPE, loadKey, MAX_LINE } from './chain.ts';
import { appendCheckpoint, compactCheckpoints, defaultCheckpointFile } from './checkpoint.ts';

export { verifyAuditChain, verifyAuditLog, type ChainReport, type VerifyOptions } from './verify.ts';

const TYPE = /^[A-Za-z0-9._:-]{1,64}$/;

/** The writes the log makes to its file; a seam so tests can fail chosen writes the way a full disk does. */
export interface AuditIo {
  append(bytes: Buffer): Promise<void>;
  truncate(length: number): Promise<void>;
}

export type AuditOptions = {
  /** The chain key's file; null = legacy unkeyed chain. Default `<file>.key`. */
  keyFile?: string | null;
  /** Default `<file>.checkpoints`. */
  checkpointFile?: string;
  /** At most this many entries between checkpoints under load (default 100). */
  checkpointEvery?: number;
  /** Operator alerts that must not depend on the audit disk (default: a line on stderr). */
  alert?: (line: string) => void;
  /** Test seam over the file's writes. */
  io?: (fh: FileHandle) => AuditIo;
};

export class AuditCorruptError extends Error {
  override name = 'AuditCorruptError';
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, reason: string) {
    super(`${file}: the last line is not a valid audit entry (byte offset ${offset}: ${reason}). It is not a torn write, so nothing was cut. `
      + `Run \`audit verify --file ${file}\`; keep the file as evidence, move it aside and start a new log (the gateway creates it).`);
    this.file = file;
    this.offset = offset;
  }
}

type Outage = { lost: number; from: string; error: string; types: Record<string, number> };
type Init = { seq: number; prev: string; size: number; key: Buffer | null; io: AuditIo; opts: AuditOptions };

const realIo = (fh: FileHandle): AuditIo => ({ append: (b) => fh.appendFile(b), truncate: (n) => fh.truncate(n) });

/** Cuts an unfinished last line; returns the repair made, if any, and the last complete line with its offset. */
async function repairTail(file: string, fh: FileHandle): Promise<{ size: number; repair?: { offset: number; bytes: number; keptAs: string }; last?: { text: string; offset: number } }> {
  const { size } = await fh.stat();
  if (size === 0) return { size };
  const chunk = Math.min(size, 2 * MAX_LINE + 2);
  const buf = Buffer.alloc(chunk);
  await fh.read(buf, 0, chunk, size - chunk);
  const base = size - chunk;
  let end = chunk;
  let repair: { offset: number; bytes: number; keptAs: string } | undefined;
  if (buf[chunk - 1] !== 0x0a) {
    const nl = buf.lastIndexOf(0x0a);
    if (nl < 0 && base > 0) throw new AuditCorruptError(file, base, 'the last line is longer than any audit entry');
    const offset = base + nl + 1;
    // A torn write is the start of an entry, or the zeros some filesystems leave after a power cut; anything else
    // there is not ours to cut (garbage is never read as an empty log).
    const torn = buf.subarray(nl + 1);
    const start = Buffer.from('{"seq":');
    const entryStart = torn.subarray(0, start.length).equals(start.subarray(0, Math.min(start.length, torn.length)));
    if (!entryStart && !torn.every((b) => b === 0)) throw new AuditCorruptError(file, offset, 'the bytes after the last complete line are not the start of an audit entry');
    const keptAs = `${file}.torn-${offset}`;
    await writeFile(keptAs, buf.subarray(nl + 1), { mode: 0o600 });
    await fh.truncate(offset);
    await fh.sync();
    repair = { offset, bytes: size - offset, keptAs };
    end = nl + 1;
  }
  if (end === 0) return { size: base, repair };
  const prevNl = buf.lastIndexOf(0x0a, end - 2);
  if (prevNl < 0 && base > 0) throw new AuditCorruptError(file, base, 'the last line is longer than any audit entry');
  return { size: base + end, repair, last: { text: buf.toString('utf8', prevNl + 1, end - 1), offset: base + prevNl + 1 } };
}

export class AuditLog {
  readonly file: string;
  #fh: FileHandle;
  #io: AuditIo;
  #key: Buffer | null;
  #seq: number;
  #prev: string;
  #size: number;
  /** A write failed part-way: bytes past #size are torn and are cut before the next write. */
  #dirty = false;
  #outage: Outage | undefined;
  #pending = 0;
  #sinceCheckpoint = 0;
  #checkpointFile: string;
  #checkpointEvery: number;
  #alert: (line: string) => void;
  #queue: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(file: string, fh: FileHandle, i: Init) {
    this.file = file;
    this.#fh = fh;
    this.#io = i.io;
    this.#key = i.key;
    this.#seq = i.seq;
    this.#prev = i.prev;
    this.#size = i.size;
    this.#checkpointFile = i.opts.checkpointFile ?? defaultCheckpointFile(file);
    this.#checkpointEvery = Math.max(1, i.opts.checkpointEvery ?? 100);
    this.#alert = i.opts.alert ?? ((l) => process.stderr.write(`${l}\n`));
  }

  static async open(file: string, opts: AuditOptions = {}): Promise<AuditLog> {
    const fh = await open(file, 'a+', 0o600);
    try {
      const t = await repairTail(file, fh);
      const keyFile = opts.keyFile === undefined ? defaultKeyFile(file) : opts.keyFile;
      let key = keyFile === null ? null : await loadKey(keyFile);
      let seq = 0;
      let prev = GENESIS;
      let legacy = false;
      if (t.last) {
        const p = checkLine(t.last.text, key);
        if (typeof p === 'string') {
          const reason = keyFile !== null && key === null ? `${p}; the key file ${keyFile} is missing — restore it` : p;
          throw new AuditCorruptError(file, t.last.offset, reason);
        }
        seq = p.seq;
        prev = p.hash;
        legacy = !p.keyed && keyFile !== null;
      }
      if (keyFile !== null && key === null) key = await createKey(keyFile);
      const log = new AuditLog(file, fh, { seq, prev, size: t.size, key, io: (opts.io ?? realIo)(fh), opts });
      if (key) await compactCheckpoints(log.#checkpointFile, key).catch(() => undefined);
      if (legacy) await log.append(KEYED_TYPE, { legacyEntries: seq, legacyLastHash: prev });
      if (t.repair) {
        log.#alert(`audit: ${file}: torn last line of ${t.repair.bytes} bytes cut at offset ${t.repair.offset} (kept as ${t.repair.keptAs})`);
        await log.append('audit.tail-repaired', { file, ...t.repair });
      }
      return log;
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get seq(): number {
    return this.#seq;
  }

  get keyed(): boolean {
    return this.#key !== null;
  }

  append(type: string, data: object): Promise<void> {
    this.#pending++;
    const next = this.#queue.then(() => this.#write(type, data));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #write(type: string, data: object): Promise<void> {
    this.#pending--;
    if (this.#closed) throw new Error(`${this.file}: audit log is closed`);
    if (!TYPE.test(type)) throw new Error(`audit type "${String(type).slice(0, 80)}" must be 1-64 of A-Z a-z 0-9 . _ : -`);
    const dataJson = JSON.stringify(data ?? {});
    if (dataJson === undefined || dataJson.length > MAX_LINE - 512) throw new Error('audit data is not serialisable or too large');
    try {
      if (this.#outage) {
        const o = this.#outage;
        const to = new Date().toISOString();
        await this.#writeLine('audit.gap', JSON.stringify({ lost: o.lost, from: o.from, to, error: o.error, types: o.types }));
        this.#outage = undefined;
        this.#alert(`audit: ${this.file}: writing works again; ${o.lost} event(s) lost from ${o.from} to ${to}, recorded as audit.gap at entry ${this.#seq}`);
      }
      await this.#writeLine(type, dataJson);
    } catch (e) {
      if (!this.#outage) {
        const error = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        this.#outage = { lost: 0, from: new Date().toISOString(), error, types: {} };
        this.#alert(`AUDIT: ${this.file}: write failed (${error}); audit events are being lost until writing works again, then a gap is recorded`);
      }
      const o = this.#outage;
      o.lost++;
      if (o.types[type] !== undefined || Object.keys(o.types).length < 50) o.types[type] = (o.types[type] ?? 0) + 1;
      throw e;
    }
    this.#sinceCheckpoint++;
    if (this.#pending === 0 || this.#sinceCheckpoint >= this.#checkpointEvery) await this.#checkpoint();
  }

  async #writeLine(type: string, dataJson: string): Promise<void> {
    const line = formatLine(this.#seq + 1, type, dataJson, this.#prev, this.#key, new Date());
    const bytes = Buffer.from(line.text, 'utf8');
    if (this.#dirty) {
      await this.#io.truncate(this.#size);
      this.#dirty = false;
    }
    try {
      await this.#io.append(bytes);
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
    this.#size += bytes.length;
    this.#seq += 1;
    this.#prev = line.hash;
  }

  async #checkpoint(): Promise<void> {
    if (!this.#key || this.#seq === 0 || this.#sinceCheckpoint === 0) return;
    try {
      await appendCheckpoint(this.#checkpointFile, this.#key, { seq: this.#seq, hash: this.#prev, ts: new Date().toISOString() });
      this.#sinceCheckpoint = 0;
    } catch {
      // The next entry tries again; a missing checkpoint only weakens truncation detection, it loses no event.
    }
  }

  async close(): Promise<void> {
    await this.#queue;
    if (this.#closed) return;
    await this.#checkpoint();
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
    // A failing audit disk must not also silence the webhook: post first, then report the audit failure.
    const logged = this.#log?.append('alert', alert).then(() => undefined, (e: unknown) => e as Error);
    await this.#post(kind, alert);
    const err = await logged;
    if (err) throw err;
  }

  async #post(kind: string, alert: object): Promise<void> {
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
      await this.#log?.append('alert.webhook-failed', { kind, error: (e as Error).message }).catch(() => undefined);
    }
  }
}
