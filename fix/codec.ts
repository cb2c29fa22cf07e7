// FIX tag=value codec on bytes. Decoding records where each field's tag and value sit in the buffer and
// turns a value into a string only when someone asks for it; encoding writes bytes straight into a
// reusable scratch buffer and copies the finished message out once.
import { EncodeError, GarbledMessageError } from './errors.ts';

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

function latin1(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  // A native call costs more than building a short string in JS.
  if (n < 12) {
    switch (n) {
      case 0: return '';
      case 1: return String.fromCharCode(buf[start]!);
      case 2: return String.fromCharCode(buf[start]!, buf[start + 1]!);
      case 3: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!);
      case 4: return String.fromCharCode(buf[start]!, buf[start + 1]!, buf[start + 2]!, buf[start + 3]!);
      default: {
        let s = '';
        for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
        return s;
      }
    }
  }
  return L(buf).latin1Slice(start, end);
}
export { latin1 as latin1Slice };

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

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
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
}

/**
 * Decodes one complete message (8=... through 10=xxx<SOH>). Throws GarbledMessageError when it is not a
 * well-formed FIX message; dictionary checks are validateMessage's job. One pass over the bytes: fields are
 * located and the checksum summed together.
 */
export function decodeMessage(bytes: Uint8Array, opts?: DecodeOptions): FixMessage {
  const buf = asBuffer(bytes);
  const len = buf.length;
  if (len < 2 || buf[0] !== 0x38 || buf[1] !== EQ) {
    garbled('begin-string', 'message does not start with BeginString(8)');
  }
  const idx: number[] = [];
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
    while (p < len) {
      c = buf[p]!;
      if (c < D0 || c > D0 + 9) break;
      tag = tag * 10 + (c - D0);
      sum += c;
      p++;
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
    if (lenTag !== 0 && idx.length >= 3 && idx[idx.length - 3] === lenTag) {
      const dl = parseIntBytes(buf, idx[idx.length - 2]!, idx[idx.length - 1]!);
      if (dl === undefined || dl < 0 || vs + dl >= len || buf[vs + dl] !== SOH) {
        garbled('field-syntax', `data field ${tag} does not match its length field ${lenTag}`);
      }
      const ve = vs + dl;
      for (; p < ve; p++) sum += buf[p]!;
    } else {
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
    idx.push(tag, vs, p);
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
  const cs = idx[idx.length - 2]!;
  const want = cs + 3 === idx[idx.length - 1]! ? parseIntBytes(buf, cs, cs + 3) : undefined;
  if (want === undefined || buf[cs] === MINUS) garbled('checksum', 'CheckSum(10) is not three digits');
  if (p !== len) garbled('trailing-bytes', `${len - p} bytes after CheckSum(10)`);
  if (opts?.verifyChecksum !== false && (sumBeforeChecksum & 0xff) !== want) {
    garbled('checksum', `CheckSum(10)=${pad3(want)} but the bytes sum to ${pad3(sumBeforeChecksum & 0xff)}`);
  }
  return FixMessage.fromScan(buf, idx, buf);
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

let scratch = Buffer.allocUnsafe(64 * 1024);
const HEAD_ROOM = 64; // room before the body for 8=<BeginString><SOH>9=<len><SOH>

function digitCount(n: number): number {
  if (n < 0) return digitCount(-n) + 1;
  return n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : String(n).length;
}

function writeUInt(buf: Buffer, pos: number, n: number): number {
  if (n < 10) { buf[pos] = D0 + n; return pos + 1; }
  if (n < 100) { buf[pos] = D0 + ((n / 10) | 0); buf[pos + 1] = D0 + (n % 10); return pos + 2; }
  if (n < 1000) {
    buf[pos] = D0 + ((n / 100) | 0); buf[pos + 1] = D0 + (((n / 10) | 0) % 10); buf[pos + 2] = D0 + (n % 10);
    return pos + 3;
  }
  const d = digitCount(n);
  for (let i = pos + d - 1; i >= pos; i--) { buf[i] = D0 + (n % 10); n = Math.floor(n / 10); }
  return pos + d;
}

// Tags 0 and below are written too: test tools need to send them to see the peer reject them.
function writeTag(buf: Buffer, pos: number, tag: number): number {
  if (tag > 0 && tag < 1000 && (tag | 0) === tag) return writeUInt(buf, pos, tag);
  if (!Number.isInteger(tag) || tag > 999_999_999 || tag < -99_999_999) throw new EncodeError(`invalid tag ${tag}`);
  if (tag < 0) { buf[pos++] = MINUS; tag = -tag; }
  return writeUInt(buf, pos, tag);
}

/** Writes a Latin-1 string; throws on SOH in a non-data field or on characters beyond Latin-1. */
function writeValue(buf: Buffer, pos: number, tag: number, v: string): number {
  const n = v.length;
  if (n < 24) {
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c > 0xff || (c === SOH && !isDataTag(tag))) badChar(tag, c);
      buf[pos + i] = c;
    }
    return pos + n;
  }
  if ((v.indexOf('\x01') >= 0 && !isDataTag(tag)) || hasNonLatin1(v)) {
    for (let i = 0; i < n; i++) {
      const c = v.charCodeAt(i);
      if (c > 0xff || (c === SOH && !isDataTag(tag))) badChar(tag, c);
    }
  }
  return pos + L(buf).latin1Write(v, pos, n);
}

// Latin-1 round-trips through TextEncoder-free check: a string is Latin-1 iff every code unit < 256.
const NON_LATIN1 = /[^\x00-\xff]/;
function hasNonLatin1(v: string): boolean {
  return NON_LATIN1.test(v);
}

function isDataTag(tag: number): boolean {
  return tag > 0 && tag < 1024 && DATA_LEN_BY_TAG[tag] !== 0;
}

function badChar(tag: number, c: number): never {
  if (c === SOH) throw new EncodeError(`value of tag ${tag} contains SOH`);
  throw new EncodeError(`value of tag ${tag} contains U+${c.toString(16).padStart(4, '0')}, not Latin-1 (use an Encoded* data field)`);
}

function ensureScratch(need: number): void {
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.max(need, scratch.length * 2));
}

/**
 * Encodes 8=<beginString>, 9=<computed>, the body (35 onwards, without 8/9/10) and 10=<computed>.
 */
export function encodeMessage(beginString: string, body: Field[]): Buffer {
  // Upper bound of the body size; only oversized values need the exact figure.
  let bound = HEAD_ROOM + 8;
  for (let i = 0; i < body.length; i++) bound += body[i]!.value.length + 13;
  ensureScratch(bound + beginString.length);
  const buf = scratch;
  const start = HEAD_ROOM + beginString.length;
  let p = start;
  for (let i = 0; i < body.length; i++) {
    const f = body[i]!;
    p = writeTag(buf, p, f.tag);
    buf[p++] = EQ;
    p = writeValue(buf, p, f.tag, f.value);
    buf[p++] = SOH;
  }
  const bodyLength = p - start;
  // Head, right-aligned against the body: 8=<bs><SOH>9=<len><SOH>
  const headLen = 2 + beginString.length + 1 + 2 + digitCount(bodyLength) + 1;
  let h = start - headLen;
  const headStart = h;
  buf[h++] = 0x38; buf[h++] = EQ;
  h = writeValue(buf, h, 8, beginString);
  buf[h++] = SOH;
  buf[h++] = 0x39; buf[h++] = EQ;
  h = writeUInt(buf, h, bodyLength);
  buf[h++] = SOH;
  const sum = checksum(buf, headStart, p);
  buf[p++] = 0x31; buf[p++] = D0; buf[p++] = EQ;
  buf[p++] = D0 + ((sum / 100) | 0); buf[p++] = D0 + (((sum / 10) | 0) % 10); buf[p++] = D0 + (sum % 10);
  buf[p++] = SOH;
  const out = Buffer.allocUnsafe(p - headStart);
  buf.copy(out, 0, headStart, p);
  return out;
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
