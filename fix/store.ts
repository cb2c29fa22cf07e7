/**
 * Message stores for the FIX session layer: sequence numbers and every sent message, so that a restarted
 * side resumes the same session and answers ResendRequests.
 *
 * API
 *   interface MessageStore   synchronous on purpose: the session persists a message *before* writing it to
 *                            the socket, and a synchronous call cannot be overtaken by the next send.
 *   new MemoryStore()                          for unit tests
 *   new FileStore(path, { fsync?: 'always' | 'never', maxIndexed?, onRepair? })
 *       append-only log of CRC-protected records (sent message, next sender/target seq, reset); replayed on
 *       open. Every record is written with writeSync, so a SIGKILL loses nothing already acknowledged; fsync
 *       'always' (default) also survives power loss. The log is rewritten compactly on reset().
 *       Recovery: a torn TAIL (bytes after the last valid record that hold no valid record and start like a
 *       record, or are zeros: a crash, a full disk or a power cut mid-write) is cut, kept beside the file as `<path>.torn-<offset>` and reported (onRepair, default a
 *       line on stderr). A bad record with valid records after it (a flipped bit, an overwritten block) is
 *       corruption, never cut: the constructor throws StoreCorruptError naming the file and the offset. So does
 *       a non-empty file that does not start with a store record (garbage is not an empty store). A write that
 *       fails part-way is undone before the next one.
 *       Memory: the index of sent messages keeps the newest `maxIndexed` (default 100,000); older ones are no
 *       longer resent (a ResendRequest for them is answered with a gap fill, as for admin messages).
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';

export interface StoredMessage { seqNum: number; bytes: Buffer }

export interface MessageStore {
  getNextSenderSeqNum(): number;
  getNextTargetSeqNum(): number;
  setNextSenderSeqNum(n: number): void;
  setNextTargetSeqNum(n: number): void;
  incrNextTargetSeqNum(): void;
  /** saves a sent message and advances the next sender number past it */
  saveSent(seqNum: number, bytes: Buffer): void;
  /** sent messages with begin <= seqNum <= end, in order */
  getSent(begin: number, end: number): StoredMessage[];
  /**
   * The application is about to handle inbound message `nextTarget - 1`. The next target number is advanced in
   * memory now, but persisted only with the first message saved while the application handles it (one record:
   * the answer and "this message was processed" are on disk together or not at all), or by `endInbound` when it
   * sent nothing. A crash before that leaves the message unprocessed on disk, so the peer is asked to resend it.
   */
  beginInbound(nextTarget: number): void;
  /** The application handled the inbound message: its number is persisted unless an answer carried it already. */
  endInbound(): void;
  /** back to 1/1, sent messages dropped */
  reset(): void;
  creationTime(): Date;
  close(): void;
}

export class MemoryStore implements MessageStore {
  #sender = 1;
  #target = 1;
  #sent = new Map<number, Buffer>();
  #created = new Date();
  getNextSenderSeqNum(): number { return this.#sender; }
  getNextTargetSeqNum(): number { return this.#target; }
  setNextSenderSeqNum(n: number): void { this.#sender = n; }
  setNextTargetSeqNum(n: number): void { this.#target = n; }
  incrNextTargetSeqNum(): void { this.#target++; }
  beginInbound(nextTarget: number): void { this.#target = nextTarget; }
  endInbound(): void { /* nothing to persist */ }
  saveSent(seqNum: number, bytes: Buffer): void {
    this.#sent.set(seqNum, Buffer.from(bytes));
    if (seqNum >= this.#sender) this.#sender = seqNum + 1;
  }
  getSent(begin: number, end: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const [seqNum, bytes] of [...this.#sent].sort((a, b) => a[0] - b[0])) {
      if (seqNum >= begin && seqNum <= end) out.push({ seqNum, bytes });
    }
    return out;
  }
  reset(): void { this.#sender = 1; this.#target = 1; this.#sent.clear(); this.#created = new Date(); }
  creationTime(): Date { return this.#created; }
  close(): void { /* nothing to release */ }
}

// Record: magic 'P' | type | u32 seq-or-value | u32 payload length | payload | u32 crc32(type..payload)
const MAGIC = 0x50;
const T_SENT = 0x4d; // 'M'
const T_SENDER = 0x53; // 'S'
const T_TARGET = 0x54; // 'T'
const T_RESET = 0x52; // 'R' value = creation time in seconds
// 'N': a sent message that also persists the next target number: value = seq, payload = u32 next target | message
const T_SENT_TARGET = 0x4e;
const HEADER = 10;
const MAX_RECORD = 64 * 1024 * 1024;

export interface FileStoreOptions {
  fsync?: 'always' | 'never';
  /** Newest sent messages kept resendable (the index is in memory). Default 100,000. */
  maxIndexed?: number;
  /** A torn tail was cut at open (default: a line on stderr). */
  onRepair?: (r: { file: string; offset: number; bytes: number; keptAs: string }) => void;
  /**
   * The store is corrupt and will not open (the constructor throws it next). Default: its message on stderr, so an
   * operator sees which file and offset even when the caller only drops the connection.
   */
  onCorrupt?: (e: StoreCorruptError) => void;
}

export class StoreCorruptError extends Error {
  override name = 'StoreCorruptError';
  readonly file: string;
  readonly offset: number;
  constructor(file: string, offset: number, reason: string) {
    super(`${file}: FIX store corrupt at byte offset ${offset}: ${reason}; nothing was cut. The session cannot resume from it: `
      + 'keep a copy of the file, then either restore it from a backup or move it aside and reset the session with the counterparty (sequence numbers back to 1).');
    this.file = file;
    this.offset = offset;
  }
}

const KNOWN_TYPES = new Set([T_SENT, T_SENDER, T_TARGET, T_RESET, T_SENT_TARGET]);

/** The length of a valid record at `off` in `buf`, or 0. */
function recordAt(buf: Buffer, off: number): number {
  if (off + HEADER + 4 > buf.length || buf[off] !== MAGIC || !KNOWN_TYPES.has(buf[off + 1]!)) return 0;
  const len = buf.readUInt32BE(off + 6);
  if (len > MAX_RECORD || off + HEADER + len + 4 > buf.length) return 0;
  return crc32(buf.subarray(off + 1, off + HEADER + len)) === buf.readUInt32BE(off + HEADER + len) ? HEADER + len + 4 : 0;
}

export class FileStore implements MessageStore {
  #path: string;
  #fd: number;
  #fsync: boolean;
  #maxIndexed: number;
  #size = 0;
  #dirty = false;
  #sender = 1;
  #target = 1;
  #created = new Date();
  /** The next target number of the inbound message being handled, not yet on disk (beginInbound). */
  #pendingTarget: number | null = null;
  /** seqNum → [offset of payload, length]; the bytes stay on disk. Insertion order = oldest first. */
  #index = new Map<number, [number, number]>();

  constructor(path: string, opts: FileStoreOptions = {}) {
    this.#path = path;
    this.#fsync = (opts.fsync ?? 'always') === 'always';
    this.#maxIndexed = Math.max(1, opts.maxIndexed ?? 100_000);
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, existsSync(path) ? 'r+' : 'w+', 0o600);
    try {
      this.#replay(opts.onRepair ?? ((r) => process.stderr.write(`fix store: ${r.file}: torn tail of ${r.bytes} bytes cut at offset ${r.offset} (kept as ${r.keptAs})\n`)));
    } catch (e) {
      closeSync(this.#fd);
      if (e instanceof StoreCorruptError) (opts.onCorrupt ?? ((x) => process.stderr.write(`fix store: ${x.message}\n`)))(e);
      throw e;
    }
    if (this.#size === 0) this.#append(T_RESET, Math.floor(this.#created.getTime() / 1000), Buffer.alloc(0));
  }

  #replay(onRepair: NonNullable<FileStoreOptions['onRepair']>): void {
    const total = fstatSync(this.#fd).size;
    const buf = Buffer.alloc(total);
    let got = 0;
    while (got < total) {
      const n = readSync(this.#fd, buf, got, total - got, got);
      if (n === 0) break;
      got += n;
    }
    let off = 0;
    for (let len = recordAt(buf, off); len > 0; len = recordAt(buf, off)) {
      this.#apply(buf[off + 1]!, buf.readUInt32BE(off + 2), off + HEADER, len - HEADER - 4, buf);
      off += len;
    }
    if (off === total) { this.#size = off; return; }
    // Torn tail or corrupt middle? A valid record anywhere after the bad one means the damage is not at the end.
    for (let at = off + 1; at + HEADER + 4 <= total; at++) {
      if (buf[at] === MAGIC && recordAt(buf, at) > 0) {
        throw new StoreCorruptError(this.#path, off, `the record there is damaged and a valid record follows at offset ${at}`);
      }
    }
    // The first record of every store is a reset; anything else at offset 0 that is more than a torn header is not a store.
    if (off === 0 && !(buf[0] === MAGIC && buf[1] === T_RESET && total < HEADER + 4)) {
      throw new StoreCorruptError(this.#path, 0, 'the file does not start with a store record (not a FIX store)');
    }
    // A torn write is the start of a record, or the zeros some filesystems leave after a power cut; other bytes
    // after the last record are damage, not a crash mid-write, and are not cut.
    const tail = buf.subarray(off);
    const recordStart = tail[0] === MAGIC && (tail.length < 2 || KNOWN_TYPES.has(tail[1]!));
    if (!recordStart && !tail.every((b) => b === 0)) {
      throw new StoreCorruptError(this.#path, off, 'the bytes after the last valid record are not the start of a record');
    }
    const keptAs = `${this.#path}.torn-${off}`;
    writeFileSync(keptAs, tail, { mode: 0o600 });
    ftruncateSync(this.#fd, off);
    fsyncSync(this.#fd);
    this.#size = off;
    onRepair({ file: this.#path, offset: off, bytes: total - off, keptAs });
  }

  #remember(seqNum: number, payloadOffset: number, len: number): void {
    this.#index.delete(seqNum);
    this.#index.set(seqNum, [payloadOffset, len]);
    // Bounded: the oldest entries go first (Map keeps insertion order).
    while (this.#index.size > this.#maxIndexed) this.#index.delete(this.#index.keys().next().value!);
  }

  #apply(type: number, value: number, payloadOffset: number, len: number, buf: Buffer): void {
    switch (type) {
      case T_SENT:
        this.#remember(value, payloadOffset, len);
        if (value >= this.#sender) this.#sender = value + 1;
        break;
      case T_SENT_TARGET:
        this.#remember(value, payloadOffset + 4, len - 4);
        if (value >= this.#sender) this.#sender = value + 1;
        if (len >= 4) this.#target = buf.readUInt32BE(payloadOffset);
        break;
      case T_SENDER: this.#sender = value; break;
      case T_TARGET: this.#target = value; break;
      case T_RESET:
        this.#sender = 1; this.#target = 1; this.#index.clear();
        this.#created = new Date(value * 1000);
        break;
      default: break;
    }
  }

  #append(type: number, value: number, payload: Buffer): number {
    const rec = Buffer.alloc(HEADER + payload.length + 4);
    rec[0] = MAGIC;
    rec[1] = type;
    rec.writeUInt32BE(value >>> 0, 2);
    rec.writeUInt32BE(payload.length, 6);
    payload.copy(rec, HEADER);
    rec.writeUInt32BE(crc32(rec.subarray(1, HEADER + payload.length)), HEADER + payload.length);
    const at = this.#size;
    if (this.#dirty) {
      // The last write failed part-way: its torn bytes go before anything is appended after them.
      ftruncateSync(this.#fd, at);
      this.#dirty = false;
    }
    try {
      let done = 0;
      while (done < rec.length) done += writeSync(this.#fd, rec, done, rec.length - done, at + done);
      if (this.#fsync) fsyncSync(this.#fd);
    } catch (e) {
      this.#dirty = true;
      throw e;
    }
    this.#size += rec.length;
    return at + HEADER;
  }

  getNextSenderSeqNum(): number { return this.#sender; }
  getNextTargetSeqNum(): number { return this.#target; }
  // Memory follows the disk: a write that fails (ENOSPC, EIO) leaves the number where the disk has it.
  setNextSenderSeqNum(n: number): void { this.#append(T_SENDER, n, Buffer.alloc(0)); this.#sender = n; }
  setNextTargetSeqNum(n: number): void {
    this.#append(T_TARGET, n, Buffer.alloc(0));
    this.#target = n;
    this.#pendingTarget = null;
  }
  incrNextTargetSeqNum(): void { this.setNextTargetSeqNum(this.#target + 1); }
  beginInbound(nextTarget: number): void {
    this.#target = nextTarget;
    this.#pendingTarget = nextTarget;
  }
  endInbound(): void {
    const n = this.#pendingTarget;
    if (n === null) return;
    this.#append(T_TARGET, n, Buffer.alloc(0));
    this.#pendingTarget = null;
  }
  saveSent(seqNum: number, bytes: Buffer): void {
    const target = this.#pendingTarget;
    let off: number;
    if (target === null) off = this.#append(T_SENT, seqNum, bytes);
    else {
      const payload = Buffer.allocUnsafe(4 + bytes.length);
      payload.writeUInt32BE(target >>> 0, 0);
      bytes.copy(payload, 4);
      off = this.#append(T_SENT_TARGET, seqNum, payload) + 4;
      this.#pendingTarget = null;
    }
    this.#remember(seqNum, off, bytes.length);
    if (seqNum >= this.#sender) this.#sender = seqNum + 1;
  }
  getSent(begin: number, end: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    const seqs = [...this.#index.keys()].filter((s) => s >= begin && s <= end).sort((a, b) => a - b);
    for (const seqNum of seqs) {
      const [off, len] = this.#index.get(seqNum)!;
      const bytes = Buffer.alloc(len);
      readSync(this.#fd, bytes, 0, len, off);
      out.push({ seqNum, bytes });
    }
    return out;
  }
  reset(): void {
    // Rewrite instead of appending so the log does not grow without bound across daily resets.
    const tmp = `${this.#path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    closeSync(fd);
    renameSync(tmp, this.#path);
    closeSync(this.#fd);
    this.#fd = openSync(this.#path, 'r+');
    this.#size = 0;
    this.#dirty = false;
    this.#index.clear();
    this.#sender = 1;
    this.#target = 1;
    this.#pendingTarget = null;
    this.#created = new Date();
    this.#append(T_RESET, Math.floor(this.#created.getTime() / 1000), Buffer.alloc(0));
  }
  creationTime(): Date { return this.#created; }
  close(): void { try { closeSync(this.#fd); } catch { /* already closed */ } }
}
