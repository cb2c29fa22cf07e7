// FIX tag=value codec on bytes. Decoding records where each field's tag and value sit in the buffer and
// turns a value into a string only when someone asks for it; encoding writes bytes straight into a slab
// and returns the finished message as a view of it (see SLAB_SIZE).
import { EncodeError, GarbledMessageError, UnexpectedBeginStringError } from './errors.ts';

export const SOH = 0x01;
const EQ = 0x3d;
const MINUS = 0x2d;
const D0 = 0x30;

/** Node's Buffer has these (undocumented in its types); they skip toString()/write()'s argument parsing. */
export type Latin1Buffer = Buffer & {
  latin1Slice(start: number, end: number): string;
  latin1Write(s: string, offset: number, length?: number): number;
};
const L = (b: Buffer): Latin1Buffer => b as Latin1Buffer;

export interface Field {
  tag: number;
  value: string;
}

// FIX 4.4 data fields (type DATA) and the length field that must precede each: their value may contain SOH,
// so it is cut by length, not by delimiter. Checked against the generated dictionary by codec.test.ts.
export const DATA_FIELD_LENGTH_TAG: ReadonlyMap<number, number> = new Map([
  [89, 93], [91, 90], [96, 95], [213, 212], [349, 348], [351, 350], [353, 352], [355, 354], [357, 356],
  [359, 358], [361, 360], [363, 362], [365, 364], [446, 445], [619, 618], [622, 621],
]);
const DATA_LEN_BY_TAG = new Int32Array(1024);
for (const [data, len] of DATA_FIELD_LENGTH_TAG) DATA_LEN_BY_TAG[data] = len;

/**
 * A FIX message, fields in wire order. A decoded message keeps its bytes and reads values from them on
 * demand; it is read-only (its `fields` array is frozen) — build a new FixMessage to change one.
 */
export class FixMessage {
  raw?: Buffer;
  /** Bytes the field offsets point into (the raw message, or a rendering of constructed fields). */
  private _buf: Buffer | null = null;
  /** Triples per field: tag, value start, value end (offsets into _buf). */
  private _idx: number[] | null = null;
  private _fields: Field[] | null = null;
  private _msgType: string | undefined = undefined;

  constructor(fields?: Field[]) {
    if (fields !== undefined) this._fields = fields;
    else this._fields = [];
  }

  /** Used by decodeMessage: wraps already-scanned bytes. */
  static fromScan(buf: Buffer, idx: number[], raw: Buffer | undefined): FixMessage {
    const m = new FixMessage();
    m._fields = null;
    m._buf = buf;
    m._idx = idx;
    if (raw !== undefined) m.raw = raw;
    return m;
  }

  get fields(): Field[] {
    if (this._fields !== null) return this._fields;
    const idx = this._idx!;
    const buf = this._buf!;
    const out: Field[] = new Array(idx.length / 3);
    for (let i = 0, j = 0; i < idx.length; i += 3, j++) {
      out[j] = { tag: idx[i]!, value: latin1(buf, idx[i + 1]!, idx[i + 2]!) };
    }
    Object.freeze(out);
    this._fields = out;
    return out;
  }

  set fields(fields: Field[]) {
    this._fields = fields;
    this._buf = null;
    this._idx = null;
    this._msgType = undefined;
    delete this.raw; // no longer the bytes of this message
  }

  /** Number of fields. */
  get size(): number {
    return this._idx !== null ? this._idx.length / 3 : this._fields!.length;
  }

  /** Tag of the i-th field (wire order). */
  tagAt(i: number): number {
    return this._idx !== null ? this._idx[i * 3]! : this._fields![i]!.tag;
  }

  /** Value of the i-th field. */
  valueAt(i: number): string {
    if (this._idx !== null) return latin1(this._buf!, this._idx[i * 3 + 1]!, this._idx[i * 3 + 2]!);
    return this._fields![i]!.value;
  }

  /** Index of the first field with this tag at or after `from`, or -1. */
  indexOf(tag: number, from = 0): number {
    const idx = this._idx;
    if (idx !== null) {
      for (let i = from * 3; i < idx.length; i += 3) if (idx[i] === tag) return i / 3;
      return -1;
    }
    const f = this._fields!;
    for (let i = from; i < f.length; i++) if (f[i]!.tag === tag) return i;
    return -1;
  }

  get(tag: number): string | undefined {
    const i = this.indexOf(tag);
    return i < 0 ? undefined : this.valueAt(i);
  }

  getAll(tag: number): string[] {
    const out: string[] = [];
    for (let i = this.indexOf(tag); i >= 0; i = this.indexOf(tag, i + 1)) out.push(this.valueAt(i));
    return out;
  }

  has(tag: number): boolean {
    return this.indexOf(tag) >= 0;
  }

  /** The first occurrence as an integer; undefined when absent or not an integer. */
  getInt(tag: number): number | undefined {
    const i = this.indexOf(tag);
    if (i < 0) return undefined;
    if (this._idx !== null) return parseIntBytes(this._buf!, this._idx[i * 3 + 1]!, this._idx[i * 3 + 2]!);
    return parseIntString(this._fields![i]!.value);
  }

  get msgType(): string {
    if (this._msgType === undefined) this._msgType = this.get(35) ?? '';
    return this._msgType;
  }

  /** MsgSeqNum(34); 0 when absent or not a number (validation reports that case). */
  get seqNum(): number {
    return this.getInt(34) ?? 0;
  }

  /**
   * The byte view the validator and typed decoders read: the decoded bytes, or for a constructed message a
   * rendering of its fields (so every reader has one byte-level code path).
   */
  bytes(): { buf: Buffer; idx: number[] } {
    if (this._idx === null) {
      const fields = this._fields!;
      const buf = renderFields(fields);
      const idx: number[] = [];
      let p = 0;
      for (const f of fields) {
        p += digitCount(f.tag) + 1;
        idx.push(f.tag, p, p + f.value.length);
        p += f.value.length + 1;
      }
      return { buf, idx };
    }
    return { buf: this._buf!, idx: this._idx };
  }

  toString(): string {
    return this.fields.map((f) => `${f.tag}=${f.value}`).join('|');
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

// Short values: String.fromCharCode with the bytes as arguments builds the string in one allocation and no
// native call (about 3x faster than latin1Slice for the 5-24 byte values FIX is full of); longer ones go native.
function latin1(buf: Buffer, start: number, end: number): string {
  switch (end - start) {
    case 0: return '';
    case 1: return String.fromCharCode(buf[start]!);
    case 2: return String.fromCharCode(buf[start]!, buf[start + 1]!);
    case 3: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!);
    case 4: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!);
    case 5: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!);
    case 6: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!);
    case 7: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!);
    case 8: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!);
    case 9: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!);
    case 10: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!);
    case 11: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!);
    case 12: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!);
    case 13: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!);
    case 14: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!);
    case 15: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!);
    case 16: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!);
    case 17: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!);
    case 18: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!);
    case 19: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!, buf[start + 18]!);
    case 20: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!, buf[start + 18]!, buf[start + 19]!);
    case 21: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!, buf[start + 18]!, buf[start + 19]!, buf[start + 20]!);
    case 22: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!, buf[start + 18]!, buf[start + 19]!, buf[start + 20]!, buf[start + 21]!);
    case 23: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!, buf[start + 18]!, buf[start + 19]!, buf[start + 20]!, buf[start + 21]!, buf[start + 22]!);
    case 24: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!, buf[start + 4]!, buf[start + 5]!, buf[start + 6]!, buf[start + 7]!, buf[start + 8]!, buf[start + 9]!, buf[start + 10]!, buf[start + 11]!, buf[start + 12]!, buf[start + 13]!, buf[start + 14]!, buf[start + 15]!, buf[start + 16]!, buf[start + 17]!, buf[start + 18]!, buf[start + 19]!, buf[start + 20]!, buf[start + 21]!, buf[start + 22]!, buf[start + 23]!);
    default: return L(buf).latin1Slice(start, end);
  }
}
export { latin1 as latin1Slice };

// Values like CompIDs, symbols, currencies and accounts repeat from message to message. A small
// direct-mapped cache returns the same string for the same bytes, so decoding them costs a hash and a
// compare instead of a new string. Only short values: long ones are mostly unique (ids, timestamps).
const INTERN_MAX = 16;
const INTERN_SIZE = 4096;
const internTable: (string | undefined)[] = new Array<string | undefined>(INTERN_SIZE).fill(undefined);

export function internLatin1(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 2 || n > INTERN_MAX) return latin1(buf, start, end);
  let h = n;
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  const slot = (h ^ (h >>> 12)) & (INTERN_SIZE - 1);
  const cand = internTable[slot];
  if (cand !== undefined && cand.length === n) {
    let same = true;
    for (let i = 0; i < n; i++) {
      if (cand.charCodeAt(i) !== buf[start + i]) { same = false; break; }
    }
    if (same) return cand;
  }
  const s = latin1(buf, start, end);
  internTable[slot] = s;
  return s;
}

/** -?[0-9]+ → integer (undefined otherwise, or beyond 2^53). */
export function parseIntBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let neg = false;
  if (i < end && buf[i] === MINUS) { neg = true; i++; }
  if (i >= end || end - i > 15) return undefined;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i]! - D0;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

function parseIntString(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === MINUS) { neg = true; i++; }
  if (i >= s.length || s.length - i > 15) return undefined;
  let v = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - D0;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

function garbled(kind: ConstructorParameters<typeof GarbledMessageError>[0], why: string): never {
  throw new GarbledMessageError(kind, why);
}

export function asBuffer(bytes: Uint8Array): Buffer {
  // A property check is cheaper than Buffer.isBuffer's instanceof, and all this module needs of a Buffer.
  return typeof (bytes as Latin1Buffer).latin1Slice === 'function'
    ? bytes as Buffer
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function describeBadTag(buf: Buffer, start: number, end: number): string {
  let e = start;
  while (e < end && e - start < 24 && buf[e] !== SOH && buf[e] !== EQ) e++;
  const shown = JSON.stringify(L(buf).latin1Slice(start, e));
  if (buf[e] === SOH || e >= end) return `field ${shown} at byte ${start} has no '='`;
  return `field at byte ${start} has a non-numeric tag ${shown}`;
}

/** Checksum of bytes[start, end): their sum modulo 256. */
export function checksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let s = 0;
  let i = start;
  // Unrolled: this runs over every byte of every message.
  for (; i + 4 <= end; i += 4) s += bytes[i]! + bytes[i + 1]! + bytes[i + 2]! + bytes[i + 3]!;
  for (; i < end; i++) s += bytes[i]!;
  return s & 0xff;
}

export interface DecodeOptions {
  /** Verify CheckSum(10); default true. */
  verifyChecksum?: boolean;
  /** When given, a message with another BeginString throws UnexpectedBeginStringError (after the framing checks). */
  beginString?: string;
}

/**
 * Decodes one complete message (8=... through 10=xxx<SOH>). Throws GarbledMessageError when it is not a
 * well-formed FIX message; dictionary checks are validateMessage's job. One pass over the bytes: fields are
 * located and the checksum summed together.
 */
export function decodeMessage(bytes: Uint8Array, opts?: DecodeOptions): FixMessage {
  const buf = asBuffer(bytes);
  const k = scanMessage(buf, opts);
  return FixMessage.fromScan(buf, scanIdx.slice(0, k), buf);
}

/**
 * decodeMessage without the FixMessage: checks the message the same way and leaves the field triples (tag,
 * value start, value end) in SCANNED[0 .. returned count), valid until the next decode.
 */
export function scanMessage(buf: Buffer, opts?: DecodeOptions): number {
  const len = buf.length;
  if (len < 2 || buf[0] !== 0x38 || buf[1] !== EQ) {
    garbled('begin-string', 'message does not start with BeginString(8)');
  }
  // Scanned into a reused array, then copied out at its exact size (growing a fresh array by push costs more).
  const idx = scanIdx;
  let k = 0;
  let sum = 0;
  let p = 0;
  let n = 0;
  let bodyStart = 0;
  let checksumAt = -1;
  let sumBeforeChecksum = 0;
  while (p < len) {
    const fs = p;
    const sumAtField = sum;
    let c = buf[p]!;
    let neg = false;
    if (c === MINUS) { neg = true; sum += c; p++; }
    const ds = p;
    let tag = 0;
    // Two- and three-digit tags (most of them) without the digit loop.
    const d0 = (c - D0) >>> 0, d1 = (buf[p + 1]! - D0) >>> 0;
    let quick = false;
    if (d0 <= 9 && d1 <= 9 && p + 3 < len) {
      const e = buf[p + 2]!;
      if (e === EQ) {
        tag = d0 * 10 + d1; sum += d0 + d1 + 2 * D0; p += 2; c = EQ; quick = true;
      } else if (((e - D0) >>> 0) <= 9 && buf[p + 3] === EQ) {
        tag = d0 * 100 + d1 * 10 + (e - D0); sum += d0 + d1 + e + 2 * D0; p += 3; c = EQ; quick = true;
      }
    }
    if (!quick) {
      while (p < len) {
        c = buf[p]!;
        if (c < D0 || c > D0 + 9) break;
        tag = tag * 10 + (c - D0);
        sum += c;
        p++;
      }
    }
    if (p >= len || c !== EQ || p === ds || p - ds > 9) {
      if (n === 0) garbled('begin-string', 'message does not start with BeginString(8)');
      if (fs + 2 < len && buf[fs] === 0x31 && buf[fs + 1] === D0 && buf[fs + 2] === EQ) {
        garbled('checksum', 'CheckSum(10) is malformed');
      }
      garbled('field-syntax', describeBadTag(buf, fs, len));
    }
    if (neg) tag = -tag;
    sum += EQ;
    const vs = ++p;
    const lenTag = tag > 0 && tag < 1024 ? DATA_LEN_BY_TAG[tag]! : 0;
    if (lenTag !== 0 && k >= 3 && idx[k - 3] === lenTag) {
      const dl = parseIntBytes(buf, idx[k - 2]!, idx[k - 1]!);
      if (dl === undefined || dl < 0 || vs + dl >= len || buf[vs + dl] !== SOH) {
        garbled('field-syntax', `data field ${tag} does not match its length field ${lenTag}`);
      }
      const ve = vs + dl;
      for (; p < ve; p++) sum += buf[p]!;
    } else {
      // Two bytes per step (fewer loop branches: ~25 % off this loop, which sees every value byte).
      const last = len - 1;
      while (p < last) {
        const a = buf[p]!, b = buf[p + 1]!;
        if (a === SOH) break;
        if (b === SOH) { sum += a; p++; break; }
        sum += a + b;
        p += 2;
      }
      while (p < len) {
        c = buf[p]!;
        if (c === SOH) break;
        sum += c;
        p++;
      }
      if (p >= len) {
        if (tag === 10) garbled('checksum', 'CheckSum(10) is not terminated by SOH');
        garbled('field-syntax', `field ${tag} is not terminated by SOH`);
      }
    }
    sum += SOH;
    idx[k] = tag;
    idx[k + 1] = vs;
    idx[k + 2] = p;
    k += 3;
    p++;
    n++;
    if (n <= 3) {
      if (n === 1) {
        if (tag !== 8) garbled('begin-string', 'message does not start with BeginString(8)');
      } else if (n === 2) {
        if (tag !== 9) garbled('body-length', 'second field is not BodyLength(9)');
        bodyStart = p;
      } else if (tag !== 35) {
        garbled('msg-type', 'third field is not MsgType(35)');
      }
    }
    if (tag === 10) {
      checksumAt = fs;
      sumBeforeChecksum = sumAtField;
      break;
    }
  }
  if (n < 3) garbled(n < 2 ? 'body-length' : 'msg-type', 'message ends before MsgType(35)');
  if (checksumAt < 0) garbled('checksum', 'CheckSum(10) is missing');
  const bodyLength = parseIntBytes(buf, idx[4]!, idx[5]!);
  if (bodyLength === undefined || bodyLength < 0 || buf[idx[4]!] === MINUS) {
    garbled('body-length', 'BodyLength(9) is not a number');
  }
  if (checksumAt - bodyStart !== bodyLength) {
    garbled('body-length', `BodyLength(9)=${bodyLength} but the body is ${checksumAt - bodyStart} bytes`);
  }
  const cs = idx[k - 2]!;
  const want = cs + 3 === idx[k - 1]! ? parseIntBytes(buf, cs, cs + 3) : undefined;
  if (want === undefined || buf[cs] === MINUS) garbled('checksum', 'CheckSum(10) is not three digits');
  if (p !== len) garbled('trailing-bytes', `${len - p} bytes after CheckSum(10)`);
  if (opts?.verifyChecksum !== false && (sumBeforeChecksum & 0xff) !== want) {
    garbled('checksum', `CheckSum(10)=${pad3(want)} but the bytes sum to ${pad3(sumBeforeChecksum & 0xff)}`);
  }
  const expected = opts?.beginString;
  if (expected !== undefined && !bytesEqual(buf, idx[1]!, idx[2]!, expected)) {
    throw new UnexpectedBeginStringError(latin1(buf, idx[1]!, idx[2]!), expected);
  }
  return k;
}

function bytesEqual(buf: Buffer, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

const scanIdx: number[] = [];
/** The field triples of the last scanMessage (read-only for callers). */
export const SCANNED: readonly number[] = scanIdx;

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

// The encoder writes the body into a slab (a module-level buffer), leaving room in front for the
// 8=<BeginString><SOH>9=<BodyLength><SOH> head (right-aligned once the length is known), summing the checksum
// as it writes. The finished message is returned as a view of the slab, not a copy, and the next message
// starts after it; a full slab is left to the views into it (as Node's own Buffer pool is) and a new one
// started. So a returned Buffer keeps up to SLAB_SIZE bytes alive: copy it if you keep many for long.
// JS runs one encode at a time; encBegin refuses to nest (a getter calling the encoder re-entrantly would
// corrupt the slab).
const SLAB_SIZE = 64 * 1024;
/** A message starts in a new slab when less than this is left of the current one. */
const SLAB_MIN_FREE = 4 * 1024;
let scratch: Buffer = Buffer.allocUnsafeSlow(SLAB_SIZE);
/** Where the message being encoded begins in the slab (its head room). */
let base = 0;
// Pre-rendered bytes (tag prefixes, cached fields) are copied four at a time through this view; a copy may
// write up to 3 bytes past its end, which the next write overwrites (ensure() keeps that slack in bounds).
let sview: DataView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
const HEAD_ROOM = 64;
let ePos = 0;
let eSum = 0;
let eActive = false;

function digitCount(n: number): number {
  if (n < 0) return digitCount(-n) + 1;
  if (n < 100000) return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : 5;
  let d = 6;
  for (let x = 1000000; x <= n && d < 17; x *= 10) d++;
  return d;
}

function ensure(extra: number): void {
  if (ePos + extra > scratch.length) {
    // Move the message so far to the start of a new slab big enough for it.
    const nb = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, (ePos - base) * 2 + extra + 1024));
    scratch.copy(nb, 0, base, ePos);
    ePos -= base;
    base = 0;
    setScratch(nb);
  }
}

function setScratch(nb: Buffer): void {
  scratch = nb;
  sview = new DataView(nb.buffer, nb.byteOffset, nb.length);
}

/** Writes a non-negative integer's digits at ePos, adding them to the checksum. */
function putUInt(n: number): void {
  const buf = scratch;
  let p = ePos;
  if (n < 10) {
    buf[p] = D0 + n; eSum += D0 + n; ePos = p + 1;
    return;
  }
  if (n < 100) {
    const t = (n / 10) | 0;
    const a = D0 + t, b = D0 + ((n | 0) - t * 10);
    buf[p] = a; buf[p + 1] = b; eSum += a + b; ePos = p + 2;
    return;
  }
  const d = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : digitCount(n);
  p += d;
  ePos = p;
  if (n < 0x80000000) {
    // int32 arithmetic (a double modulo is a call into C)
    let x = n | 0;
    while (p > ePos - d) {
      const q = (x / 10) | 0;
      const c = D0 + (x - q * 10);
      buf[--p] = c;
      eSum += c;
      x = q;
    }
    return;
  }
  while (p > ePos - d) {
    const q = Math.floor(n / 10);
    const c = D0 + (n - q * 10);
    buf[--p] = c;
    eSum += c;
    n = q;
  }
}

function putTag(tag: number): void {
  if (tag > 0 && tag < 1_000_000_000 && (tag | 0) === tag) {
    putUInt(tag);
  } else {
    // Tags 0 and below are written too: test tools need to send them to see the peer reject them.
    if (!Number.isInteger(tag) || tag > 999_999_999 || tag < -99_999_999) throw new EncodeError(`invalid tag ${tag}`);
    if (tag < 0) { scratch[ePos++] = MINUS; eSum += MINUS; tag = -tag; }
    putUInt(tag);
  }
  scratch[ePos++] = EQ;
  eSum += EQ;
}

function badChar(tag: number, c: number): never {
  if (c === SOH) throw new EncodeError(`value of tag ${tag} contains SOH`);
  throw new EncodeError(`value of tag ${tag} contains U+${c.toString(16).padStart(4, '0')}, not Latin-1 (use an Encoded* data field)`);
}

function isDataTag(tag: number): boolean {
  return tag > 0 && tag < 1024 && DATA_LEN_BY_TAG[tag] !== 0;
}

/** Starts a message body. Every encBegin must be paired with encEnd or encAbort. */
export function encBegin(): void {
  if (eActive) throw new EncodeError('encoder re-entered while encoding another message');
  eActive = true;
  if (scratch.length - base < SLAB_MIN_FREE) {
    setScratch(Buffer.allocUnsafeSlow(SLAB_SIZE));
    base = 0;
  }
  ePos = base + HEAD_ROOM;
  eSum = 0;
}

/** Gives up the message being encoded (after an error). */
export function encAbort(): void {
  eActive = false;
}

/** tag=<Latin-1 string><SOH>. */
export function encString(tag: number, v: string): void {
  const n = v.length;
  ensure(n + 24);
  putTag(tag);
  const buf = scratch;
  const p = ePos;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const c = v.charCodeAt(i);
    // One unsigned compare catches 0, SOH and anything beyond Latin-1; NUL itself is fine.
    if (c - 2 >>> 0 > 0xfd) {
      if (c === SOH ? !isDataTag(tag) : c !== 0) badChar(tag, c);
    }
    buf[p + i] = c;
    sum += c;
  }
  buf[p + n] = SOH;
  eSum += sum + SOH;
  ePos = p + n + 1;
}

/** tag=<integer><SOH>. */
export function encInt(tag: number, v: number): void {
  if (!Number.isSafeInteger(v)) throw new EncodeError(`value of tag ${tag} must be an integer, got ${v}`);
  ensure(40);
  putTag(tag);
  if (v < 0) { scratch[ePos++] = MINUS; eSum += MINUS; v = -v; }
  putUInt(v);
  scratch[ePos++] = SOH;
  eSum += SOH;
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10];
const INT_POW10 = new Int32Array([1, 10, 100, 1000, 10000, 100000, 1000000]);

/**
 * tag=<decimal><SOH>, shortest digits that read back as the same double. For m / 10^k with m < 2^53 and
 * k <= 10, the decimal text "m with k fraction digits" parses to the correctly rounded m / 10^k, so finding
 * the smallest k with Math.round(v * 10^k) / 10^k === v gives the shortest exact form without String(v).
 */
export function encDecimal(tag: number, v: number): void {
  if (!Number.isFinite(v)) throw new EncodeError(`value of tag ${tag} must be a finite number, got ${v}`);
  const a = v < 0 ? -v : v;
  if (a < 9e15) {
    for (let k = 0; k <= 10; k++) {
      const m = Math.round(a * POW10[k]!);
      if (m / POW10[k]! === a && m < 9e15) {
        ensure(48);
        putTag(tag);
        putDecimalDigits(v < 0 && m !== 0, m, k);
        return;
      }
    }
  }
  encDecimalText(tag, v, a);
}

function encDecimalText(tag: number, v: number, a: number): void {
  if (a >= 1e21) throw new EncodeError(`value of tag ${tag} is too large for a FIX decimal: ${v}`);
  let s = String(v);
  if (s.indexOf('e') >= 0) s = v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
  encString(tag, s);
}

/** m / 10^k as decimal text and SOH (see encDecimal). */
function putDecimalDigits(neg: boolean, m: number, k: number): void {
  if (neg) { scratch[ePos++] = MINUS; eSum += MINUS; }
  if (k === 0) {
    putUInt(m);
  } else {
    const ip = Math.floor(m / POW10[k]!);
    let frac = m - ip * POW10[k]!;
    putUInt(ip);
    scratch[ePos++] = 0x2e;
    eSum += 0x2e;
    // k fraction digits, leading zeros included.
    let p = ePos + k;
    ePos = p;
    for (let i = 0; i < k; i++) {
      const q = Math.floor(frac / 10);
      const c = D0 + (frac - q * 10);
      scratch[--p] = c;
      eSum += c;
      frac = q;
    }
  }
  scratch[ePos++] = SOH;
  eSum += SOH;
}

// ---------------------------------------------------------------------------------------------------------
// Pre-rendered bytes: the typed encoder writes each field's "tag=" from one of these, and keeps whole
// "tag=value<SOH>" fields of values that repeat (CompIDs, symbols, enumerations, quantities) as one.

/** Bytes rendered once and copied four at a time, with their byte sum (for the checksum). */
export interface Rendered {
  readonly words: Int32Array;
  /** words[0] and words[1] (0 past the end): most prefixes and cached fields fit in these. */
  readonly w0: number;
  readonly w1: number;
  readonly len: number;
  readonly sum: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function renderBytes(b: Uint8Array, start: number, end: number): Rendered {
  const len = end - start;
  const words = new Int32Array((len + 3) >>> 2);
  const bytes = new Uint8Array(words.buffer);
  let sum = 0;
  for (let i = 0; i < len; i++) {
    const c = b[start + i]!;
    bytes[i] = c;
    sum += c;
  }
  // Words are written little-endian below; on a big-endian host, read them that way too.
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(words.buffer);
    for (let k = 0; k < words.length; k++) words[k] = dv.getInt32(k * 4, true);
  }
  return { words, w0: words[0] ?? 0, w1: words[1] ?? 0, len, sum };
}

/** "tag=" for a tag (same range as the encoder accepts). */
export function renderTag(tag: number): Rendered {
  if (!Number.isInteger(tag) || tag > 999_999_999 || tag < -99_999_999) throw new EncodeError(`invalid tag ${tag}`);
  const t = `${tag}=`;
  const b = new Uint8Array(t.length);
  for (let i = 0; i < t.length; i++) b[i] = t.charCodeAt(i);
  return renderBytes(b, 0, b.length);
}

/** The bytes written since `mark` (an encMark() of this message), as a Rendered. */
export function renderSince(mark: number): Rendered {
  return renderBytes(scratch, base + mark, ePos);
}

/** A position in the message being encoded that survives the slab being replaced (for renderSince). */
export function encMark(): number {
  return ePos - base;
}

/** Current write position in encBuffer(), valid until the next write (for in-place value checks). */
export function encPos(): number {
  return ePos;
}

/** The scratch buffer being written; valid until the next write (it may be replaced when it grows). */
export function encBuffer(): Buffer {
  return scratch;
}

/** Copies pre-rendered bytes. */
export function encRendered(r: Rendered): void {
  ensure(r.len + 8);
  putRendered(r);
}

function putRendered(r: Rendered): void {
  const v = sview;
  const p = ePos;
  const n = r.len;
  v.setInt32(p, r.w0, true);
  if (n > 4) {
    v.setInt32(p + 4, r.w1, true);
    if (n > 8) {
      const w = r.words;
      for (let k = 2, q = p + 8; k < w.length; k++, q += 4) v.setInt32(q, w[k]!, true);
    }
  }
  ePos = p + n;
  eSum += r.sum;
}

/**
 * <pre><Latin-1 string><SOH>; returns where the value starts, or -1 (nothing usable written) when the
 * value has a character the field cannot carry (the caller reports it, see encString for the rules).
 */
export function encStringP(pre: Rendered, tag: number, v: string): number {
  const n = v.length;
  ensure(n + pre.len + 16);
  putRendered(pre);
  const buf = scratch;
  const view = sview;
  const p = ePos;
  let sum = 0;
  let i = 0;
  // Four characters per store; any character outside 2..0xff sends the rest to the checking loop.
  for (; i + 4 <= n; i += 4) {
    const a = v.charCodeAt(i), b = v.charCodeAt(i + 1), c = v.charCodeAt(i + 2), d = v.charCodeAt(i + 3);
    if ((a | b | c | d) > 0xff || a < 2 || b < 2 || c < 2 || d < 2) break;
    view.setInt32(p + i, a | (b << 8) | (c << 16) | (d << 24), true);
    sum += a + b + c + d;
  }
  for (; i < n; i++) {
    const c = v.charCodeAt(i);
    if (c - 2 >>> 0 > 0xfd) {
      if (c === SOH ? !isDataTag(tag) : c !== 0) return -1;
    }
    buf[p + i] = c;
    sum += c;
  }
  buf[p + n] = SOH;
  eSum += sum + SOH;
  ePos = p + n + 1;
  return p;
}

/** The EncodeError encStringP's -1 stands for. */
export function badStringError(tag: number, v: string): EncodeError {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c - 2 >>> 0 > 0xfd && (c === SOH ? !isDataTag(tag) : c !== 0)) {
      try { badChar(tag, c); } catch (e) { return e as EncodeError; }
    }
  }
  return new EncodeError(`value of tag ${tag} cannot be encoded`);
}

/** <pre><integer><SOH>. */
export function encIntP(pre: Rendered, tag: number, v: number): void {
  if (!Number.isSafeInteger(v)) throw new EncodeError(`value of tag ${tag} must be an integer, got ${v}`);
  ensure(pre.len + 40);
  putRendered(pre);
  if (v < 0) { scratch[ePos++] = MINUS; eSum += MINUS; v = -v; }
  putUInt(v);
  scratch[ePos++] = SOH;
  eSum += SOH;
}

/** <pre><decimal><SOH>, the same text as encDecimal. */
export function encDecimalP(pre: Rendered, tag: number, v: number): void {
  if (!Number.isFinite(v)) throw new EncodeError(`value of tag ${tag} must be a finite number, got ${v}`);
  const a = v < 0 ? -v : v;
  if (a < 2000) {
    // Prices: at most 6 fraction digits in int32 arithmetic (the same argument as below, at 1e6).
    const m6 = Math.round(a * 1e6);
    if (m6 / 1e6 === a) {
      let m = m6 | 0;
      let k = 6;
      for (; k > 0; k--) {
        const q = (m / 10) | 0;
        if (q * 10 !== m) break;
        m = q;
      }
      ensure(pre.len + 48);
      putRendered(pre);
      if (v < 0 && m !== 0) { scratch[ePos++] = MINUS; eSum += MINUS; }
      if (k === 0) {
        putUInt(m);
      } else {
        const p10 = INT_POW10[k]!;
        const ip = (m / p10) | 0;
        let frac = m - ip * p10;
        putUInt(ip);
        let p = ePos;
        scratch[p++] = 0x2e;
        let sum = 0x2e;
        p += k;
        ePos = p;
        for (let i = 0; i < k; i++) {
          const q = (frac / 10) | 0;
          const c = D0 + (frac - q * 10);
          scratch[--p] = c;
          sum += c;
          frac = q;
        }
        eSum += sum;
      }
      scratch[ePos++] = SOH;
      eSum += SOH;
      return;
    }
  }
  if (a < 1e5) {
    // One multiplication instead of encDecimal's search: below 1e5, a * 1e10 is within 0.08 of the one
    // integer every decimal that reads back as `a` (with <= 10 fraction digits) scales to, so its trailing
    // zeros give the shortest such decimal — the k that search finds. Checked before use all the same.
    let m = Math.round(a * 1e10);
    if (m / 1e10 === a) {
      let k = 10;
      for (; k > 0; k--) {
        const q = Math.floor(m / 10);
        if (q * 10 !== m) break;
        m = q;
      }
      if (m / POW10[k]! === a) {
        ensure(pre.len + 48);
        putRendered(pre);
        putDecimalDigits(v < 0 && m !== 0, m, k);
        return;
      }
    }
  }
  if (a < 9e15) {
    for (let k = 0; k <= 10; k++) {
      const m = Math.round(a * POW10[k]!);
      if (m / POW10[k]! === a && m < 9e15) {
        ensure(pre.len + 48);
        putRendered(pre);
        putDecimalDigits(v < 0 && m !== 0, m, k);
        return;
      }
    }
  }
  encDecimalText(tag, v, a);
}

/** Finishes the message: writes the head and 10=<checksum><SOH>; returns the bytes (a view, see SLAB_SIZE). */
// "8=<BeginString><SOH>9=" of the last BeginString used (a session uses one).
let headOf = '';
let headBytes = new Uint8Array(0);
let headSum = 0;

function setHead(beginString: string): void {
  const b = new Uint8Array(beginString.length + 5);
  let p = 0;
  b[p++] = 0x38; b[p++] = EQ;
  for (let i = 0; i < beginString.length; i++) {
    const c = beginString.charCodeAt(i);
    if (c > 0xff || c === SOH) badChar(8, c);
    b[p++] = c;
  }
  b[p++] = SOH; b[p++] = 0x39; b[p++] = EQ;
  let sum = 0;
  for (let i = 0; i < p; i++) sum += b[i]!;
  headBytes = b;
  headSum = sum;
  headOf = beginString;
}

export function encEnd(beginString: string): Buffer {
  try {
    ensure(8);
    const bodyLength = ePos - base - HEAD_ROOM;
    const headLen = 2 + beginString.length + 1 + 2 + digitCount(bodyLength) + 1;
    if (headLen > HEAD_ROOM) throw new EncodeError(`BeginString ${JSON.stringify(beginString)} is too long`);
    if (beginString !== headOf) setHead(beginString);
    const end = ePos;
    const bodySum = eSum;
    // Head, right-aligned against the body.
    ePos = base + HEAD_ROOM - headLen;
    const start = ePos;
    const hb = headBytes;
    for (let i = 0; i < hb.length; i++) scratch[ePos + i] = hb[i]!;
    ePos += hb.length;
    eSum = headSum;
    putUInt(bodyLength);
    scratch[ePos++] = SOH;
    eSum += SOH;
    const sum = (eSum + bodySum) & 0xff;
    let p = end; // ensure(8) above left room for the trailer
    const buf = scratch;
    buf[p++] = 0x31; buf[p++] = D0; buf[p++] = EQ;
    buf[p++] = D0 + ((sum / 100) | 0); buf[p++] = D0 + (((sum / 10) | 0) % 10); buf[p++] = D0 + (sum % 10);
    buf[p++] = SOH;
    const out = buf.subarray(start, p);
    base = p;
    return out;
  } finally {
    eActive = false;
  }
}

/**
 * Encodes 8=<beginString>, 9=<computed>, the body (35 onwards, without 8/9/10) and 10=<computed>.
 */
export function encodeMessage(beginString: string, body: Field[]): Buffer {
  encBegin();
  try {
    for (let i = 0; i < body.length; i++) {
      const f = body[i]!;
      if (f.tag === 8 || f.tag === 9 || f.tag === 10) {
        throw new EncodeError(`tag ${f.tag} in the body: encodeMessage writes BeginString, BodyLength and CheckSum itself`);
      }
      encString(f.tag, f.value);
    }
  } catch (e) {
    encAbort();
    throw e;
  }
  return encEnd(beginString);
}

/** Renders fields as tag=value<SOH>... with no header/trailer computation (for re-reading constructed messages). */
function renderFields(fields: Field[]): Buffer {
  let n = 0;
  for (const f of fields) n += digitCount(f.tag) + f.value.length + 2;
  const buf = Buffer.allocUnsafe(n);
  let p = 0;
  for (const f of fields) {
    p += L(buf).latin1Write(String(f.tag), p);
    buf[p++] = EQ;
    p += L(buf).latin1Write(f.value, p);
    buf[p++] = SOH;
  }
  return buf;
}

/** Encodes an already-built FixMessage (its 8, 9 and 10 fields, if any, are recomputed). */
export function encodeFixMessage(msg: FixMessage, beginString?: string): Buffer {
  const fields = msg.fields;
  const bs = beginString ?? msg.get(8);
  if (bs === undefined) throw new EncodeError('no BeginString(8) given');
  const body: Field[] = [];
  for (const f of fields) if (f.tag !== 8 && f.tag !== 9 && f.tag !== 10) body.push(f);
  return encodeMessage(bs, body);
}
