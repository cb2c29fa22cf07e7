/**
 * Message stores for the FIX session layer: sequence numbers and every sent message, so that a restarted
 * side resumes the same session and answers ResendRequests.
 *
 * API
 *   interface MessageStore   synchronous on purpose: the session persists a message *before* writing it to
 *                            the socket, and a synchronous call cannot be overtaken by the next send.
 *   new MemoryStore()                          for unit tests
 *   new FileStore(path, { fsync?: 'always' | 'never' })
 *       append-only log of CRC-protected records (sent message, next sender/target seq, reset); replayed on
 *       open, a torn tail record (crash mid-write) is cut off. Every record is written with writeSync, so a
 *       SIGKILL loses nothing already acknowledged; fsync 'always' (default) also survives power loss.
 *       The log is rewritten compactly on reset().
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
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
const HEADER = 10;
const MAX_RECORD = 64 * 1024 * 1024;

export interface FileStoreOptions { fsync?: 'always' | 'never' }

export class FileStore implements MessageStore {
  #path: string;
  #fd: number;
  #fsync: boolean;
  #size = 0;
  #sender = 1;
  #target = 1;
  #created = new Date();
  /** seqNum → [offset of payload, length]; the bytes stay on disk */
  #index = new Map<number, [number, number]>();

  constructor(path: string, opts: FileStoreOptions = {}) {
    this.#path = path;
    this.#fsync = (opts.fsync ?? 'always') === 'always';
    mkdirSync(dirname(path), { recursive: true });
    this.#fd = openSync(path, existsSync(path) ? 'r+' : 'w+', 0o600);
    this.#replay();
    if (this.#size === 0) this.#append(T_RESET, Math.floor(this.#created.getTime() / 1000), Buffer.alloc(0));
  }

  #replay(): void {
    const total = fstatSync(this.#fd).size;
    const head = Buffer.alloc(HEADER);
    let off = 0;
    while (off + HEADER + 4 <= total) {
      if (readSync(this.#fd, head, 0, HEADER, off) !== HEADER || head[0] !== MAGIC) break;
      const type = head[1]!;
      const value = head.readUInt32BE(2);
      const len = head.readUInt32BE(6);
      if (len > MAX_RECORD || off + HEADER + len + 4 > total) break;
      const body = Buffer.alloc(len + 4);
      readSync(this.#fd, body, 0, len + 4, off + HEADER);
      const crc = crc32(Buffer.concat([head.subarray(1), body.subarray(0, len)]));
      if (crc !== body.readUInt32BE(len)) break;
      this.#apply(type, value, off + HEADER, len);
      off += HEADER + len + 4;
    }
    if (off < total) ftruncateSync(this.#fd, off); // torn tail from a crash mid-write
    this.#size = off;
  }

  #apply(type: number, value: number, payloadOffset: number, len: number): void {
    switch (type) {
      case T_SENT:
        this.#index.set(value, [payloadOffset, len]);
        if (value >= this.#sender) this.#sender = value + 1;
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
    let done = 0;
    while (done < rec.length) done += writeSync(this.#fd, rec, done, rec.length - done, at + done);
    if (this.#fsync) fsyncSync(this.#fd);
    this.#size += rec.length;
    return at + HEADER;
  }

  getNextSenderSeqNum(): number { return this.#sender; }
  getNextTargetSeqNum(): number { return this.#target; }
  setNextSenderSeqNum(n: number): void { this.#sender = n; this.#append(T_SENDER, n, Buffer.alloc(0)); }
  setNextTargetSeqNum(n: number): void { this.#target = n; this.#append(T_TARGET, n, Buffer.alloc(0)); }
  incrNextTargetSeqNum(): void { this.setNextTargetSeqNum(this.#target + 1); }
  saveSent(seqNum: number, bytes: Buffer): void {
    const off = this.#append(T_SENT, seqNum, bytes);
    this.#index.set(seqNum, [off, bytes.length]);
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
    this.#index.clear();
    this.#sender = 1;
    this.#target = 1;
    this.#created = new Date();
    this.#append(T_RESET, Math.floor(this.#created.getTime() / 1000), Buffer.alloc(0));
  }
  creationTime(): Date { return this.#created; }
  close(): void { try { closeSync(this.#fd); } catch { /* already closed */ } }
}
