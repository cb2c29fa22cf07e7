// Decoding: one pass over a message's bytes checks its framing (BeginString, BodyLength, MsgType, field
// syntax, CheckSum) and records where each field's tag and value sit; values become strings only on demand.
import { GarbledMessageError, UnexpectedBeginStringError } from '../errors.ts';
import { asLatin1, lengthTagOfDataField, type Latin1Buffer } from './bytes.ts';
import { FixMessage } from './fix-message.ts';
import { latin1Slice, parseIntBytes } from './latin1.ts';

// The byte values of bytes.ts again, as this module's own constants: module-local constants fold into the
// compiled hot loops below, where imported bindings stay loads (measured: ~10 % of a decode).
const SOH = 0x01;
const EQUALS = 0x3d;
const MINUS = 0x2d;
const DIGIT_ZERO = 0x30;

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
  while (e < end && e - start < 24 && buf[e] !== SOH && buf[e] !== EQUALS) e++;
  const shown = JSON.stringify(asLatin1(buf).latin1Slice(start, e));
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
export function decodeMessage(bytes: Uint8Array, opts?: DecodeOptions, decoder?: FixDecoder): FixMessage {
  if (decoder !== undefined) return decoder.decode(bytes, opts);
  const buf = asBuffer(bytes);
  const fields: number[] = [];
  scanMessage(buf, opts, fields);
  return FixMessage.fromScan(buf, fields, buf);
}

/**
 * Decodes with an array of field positions it keeps from message to message (a session keeps one decoder):
 * the scan fills it, and a decoded message gets a copy of its exact size — cheaper than growing a new array
 * field by field, which is what decodeMessage without a decoder does.
 */
export class FixDecoder {
  private readonly scanned: number[] = [];

  /** scanMessage into this decoder's array: the field triples are scannedFields()[0 .. returned count). */
  scan(buf: Buffer, opts?: DecodeOptions): number {
    return scanMessage(buf, opts, this.scanned);
  }

  /** The triples of the last scan(); valid until the next (read-only for callers). */
  scannedFields(): readonly number[] {
    return this.scanned;
  }

  decode(bytes: Uint8Array, opts?: DecodeOptions): FixMessage {
    const buf = asBuffer(bytes);
    const k = scanMessage(buf, opts, this.scanned);
    return FixMessage.fromScan(buf, this.scanned.slice(0, k), buf);
  }
}

/**
 * decodeMessage without the FixMessage: checks the message the same way and leaves the field triples (tag,
 * value start, value end) in into[0 .. returned count) — a fresh array comes back exactly that long.
 */
export function scanMessage(buf: Buffer, opts: DecodeOptions | undefined, into: number[]): number {
  const len = buf.length;
  if (len < 2 || buf[0] !== 0x38 || buf[1] !== EQUALS) {
    garbled('begin-string', 'message does not start with BeginString(8)');
  }
  // Scanned into a reused array, then copied out at its exact size (growing a fresh array by push costs more).
  const idx = into;
  let k = 0;
  let sum = 0;
  let p = 0;
  let n = 0;
  let bodyStart = 0;
  let checksumAt = -1;
  let sumBeforeChecksum = 0;
  while (p < len) {
    const fieldStart = p;
    const sumAtField = sum;
    let c = buf[p]!;
    let neg = false;
    if (c === MINUS) { neg = true; sum += c; p++; }
    const digitsStart = p;
    let tag = 0;
    // Two- and three-digit tags (most of them) without the digit loop.
    const d0 = (c - DIGIT_ZERO) >>> 0, d1 = (buf[p + 1]! - DIGIT_ZERO) >>> 0;
    let quick = false;
    if (d0 <= 9 && d1 <= 9 && p + 3 < len) {
      const e = buf[p + 2]!;
      if (e === EQUALS) {
        tag = d0 * 10 + d1; sum += d0 + d1 + 2 * DIGIT_ZERO; p += 2; c = EQUALS; quick = true;
      } else if (((e - DIGIT_ZERO) >>> 0) <= 9 && buf[p + 3] === EQUALS) {
        tag = d0 * 100 + d1 * 10 + (e - DIGIT_ZERO); sum += d0 + d1 + e + 2 * DIGIT_ZERO; p += 3; c = EQUALS; quick = true;
      }
    }
    if (!quick) {
      while (p < len) {
        c = buf[p]!;
        if (c < DIGIT_ZERO || c > DIGIT_ZERO + 9) break;
        tag = tag * 10 + (c - DIGIT_ZERO);
        sum += c;
        p++;
      }
    }
    if (p >= len || c !== EQUALS || p === digitsStart || p - digitsStart > 9) {
      if (n === 0) garbled('begin-string', 'message does not start with BeginString(8)');
      if (fieldStart + 2 < len && buf[fieldStart] === 0x31 && buf[fieldStart + 1] === DIGIT_ZERO && buf[fieldStart + 2] === EQUALS) {
        garbled('checksum', 'CheckSum(10) is malformed');
      }
      garbled('field-syntax', describeBadTag(buf, fieldStart, len));
    }
    if (neg) tag = -tag;
    sum += EQUALS;
    const valueStart = ++p;
    const lenTag = lengthTagOfDataField(tag);
    if (lenTag !== 0 && k >= 3 && idx[k - 3] === lenTag) {
      const dataLength = parseIntBytes(buf, idx[k - 2]!, idx[k - 1]!);
      if (dataLength === undefined || dataLength < 0 || valueStart + dataLength >= len || buf[valueStart + dataLength] !== SOH) {
        garbled('field-syntax', `data field ${tag} does not match its length field ${lenTag}`);
      }
      const valueEnd = valueStart + dataLength;
      for (; p < valueEnd; p++) sum += buf[p]!;
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
    idx[k + 1] = valueStart;
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
      checksumAt = fieldStart;
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
    throw new UnexpectedBeginStringError(latin1Slice(buf, idx[1]!, idx[2]!), expected);
  }
  return k;
}

function bytesEqual(buf: Buffer, start: number, end: number, s: string): boolean {
  if (end - start !== s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[start + i] !== s.charCodeAt(i)) return false;
  return true;
}

function pad3(n: number): string {
  return n < 10 ? `00${n}` : n < 100 ? `0${n}` : String(n);
}
