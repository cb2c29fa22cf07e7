// The FIX encoder: an object that owns the buffer it writes into, so any number of them can be used at once
// (two encoders interleaved each produce their own correct messages).
//
// It writes a message's body into a slab, leaving room in front for the 8=<BeginString><SOH>9=<BodyLength><SOH>
// head (right-aligned once the length is known), summing the checksum as it writes. The finished message is
// returned as a view of the slab, not a copy, and the next message starts after it; a full slab is left to the
// views into it (as Node's own Buffer pool is) and a new one started. So a returned Buffer keeps up to
// SLAB_SIZE bytes alive: copy it if you keep many for long. One encoder writes one message at a time: begin()
// refuses to nest (a getter calling the same encoder from inside a message would corrupt it).
import { EncodeError } from '../errors.ts';
import { digitCount, isDataField } from './bytes.ts';
import { decimalText, fractionDigits, POW10 } from './decimal.ts';

// The byte values of bytes.ts again, as this module's own constants: module-local constants fold into the
// compiled hot loops below, where imported bindings stay loads (measured: ~10 % of a decode).
const DIGIT_ZERO = 0x30;
const DOT = 0x2e;
const EQUALS = 0x3d;
const MINUS = 0x2d;
const SOH = 0x01;

const SLAB_SIZE = 64 * 1024;
/** A message starts in a new slab when less than this is left of the current one (and it is not empty). */
const SLAB_MIN_FREE = 4 * 1024;
/** Room left in front of the body for the head (8=<BeginString><SOH>9=<BodyLength><SOH>). */
const HEAD_ROOM = 64;
/** Bytes of 10=nnn<SOH>. */
const TRAILER_LENGTH = 7;


function throwBadCharacter(tag: number, c: number): never {
  if (c === SOH) throw new EncodeError(`value of tag ${tag} contains SOH`);
  throw new EncodeError(`value of tag ${tag} contains U+${c.toString(16).padStart(4, '0')}, not Latin-1 (use an Encoded* data field)`);
}

/** A character a FIX value cannot carry: beyond Latin-1, or SOH outside a data field (NUL itself is fine). */
export function isUnencodable(tag: number, c: number): boolean {
  // One unsigned compare lets 2..0xff through; 0, SOH and anything beyond Latin-1 are looked at.
  return c - 2 >>> 0 > 0xfd && (c === SOH ? !isDataField(tag) : c !== 0);
}

/** The EncodeError for a value putLatin1 refused. */
export function unencodableStringError(tag: number, value: string): EncodeError {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isUnencodable(tag, c)) {
      try { throwBadCharacter(tag, c); } catch (e) { return e as EncodeError; }
    }
  }
  return new EncodeError(`value of tag ${tag} cannot be encoded`);
}

/** "8=<BeginString><SOH>9=". */
function renderHead(beginString: string): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(beginString.length + 5);
  let p = 0;
  b[p++] = 0x38; b[p++] = EQUALS;
  for (let i = 0; i < beginString.length; i++) {
    const c = beginString.charCodeAt(i);
    if (c > 0xff || c === SOH) throwBadCharacter(8, c);
    b[p++] = c;
  }
  b[p++] = SOH; b[p++] = 0x39; b[p++] = EQUALS;
  return b;
}

/** Node's pool for small slabs (cheap for a one-message encoder); full ones are their own. */
function allocateSlab(bytes: number): Buffer {
  return bytes < 4096 ? Buffer.allocUnsafe(bytes) : Buffer.allocUnsafeSlow(bytes);
}

export class FixEncoder {
  /** The buffer messages are written into. */
  private slab: Buffer;
  /** The slab as a DataView: putLatin1 stores four characters at a time through it. */
  private slabWords: DataView;
  /** Where the message being written begins in the slab (the start of its head room). */
  private messageStart = 0;
  /** Next byte to write. */
  private writeAt = 0;
  /** Sum of the body bytes written so far (CheckSum). */
  private bodyByteSum = 0;
  private writing = false;
  /** "8=<BeginString><SOH>9=" of the last BeginString used (a session uses one), and its byte sum. */
  private headBeginString = '';
  private headBytes = new Uint8Array(0);
  private headByteSum = 0;

  /** `firstSlabBytes`: the size of the first slab (small for an encoder made for one message). */
  constructor(firstSlabBytes = SLAB_SIZE) {
    this.slab = allocateSlab(firstSlabBytes > 0 && firstSlabBytes <= SLAB_SIZE ? firstSlabBytes : SLAB_SIZE);
    this.slabWords = new DataView(this.slab.buffer, this.slab.byteOffset, this.slab.length);
  }

  /** Starts a message body. Every begin() must be followed by finish() or abort(). */
  begin(): void {
    if (this.writing) throw new EncodeError('encoder re-entered while encoding another message');
    this.writing = true;
    if (this.messageStart > 0 && this.slab.length - this.messageStart < SLAB_MIN_FREE) {
      this.replaceSlab(allocateSlab(SLAB_SIZE));
      this.messageStart = 0;
    }
    this.writeAt = this.messageStart + HEAD_ROOM;
    this.bodyByteSum = 0;
  }

  /** Gives up the message being written (after an error); the encoder can begin() again. */
  abort(): void {
    this.writing = false;
  }

  /** Makes room for `extra` more bytes, moving the message so far into a bigger slab if needed. */
  private reserve(extra: number): void {
    if (this.writeAt + extra <= this.slab.length) return;
    const written = this.writeAt - this.messageStart;
    const bigger = Buffer.allocUnsafeSlow(Math.max(SLAB_SIZE, written * 2 + extra + 1024));
    this.slab.copy(bigger, 0, this.messageStart, this.writeAt);
    this.writeAt = written;
    this.messageStart = 0;
    this.replaceSlab(bigger);
  }

  private replaceSlab(slab: Buffer): void {
    this.slab = slab;
    this.slabWords = new DataView(slab.buffer, slab.byteOffset, slab.length);
  }

  /** Writes a non-negative integer's digits, adding them to the checksum. */
  private putUnsigned(n: number): void {
    const slab = this.slab;
    let p = this.writeAt;
    if (n < 10) {
      slab[p] = DIGIT_ZERO + n; this.bodyByteSum += DIGIT_ZERO + n; this.writeAt = p + 1;
      return;
    }
    if (n < 100) {
      const t = (n / 10) | 0;
      const a = DIGIT_ZERO + t, b = DIGIT_ZERO + ((n | 0) - t * 10);
      slab[p] = a; slab[p + 1] = b; this.bodyByteSum += a + b; this.writeAt = p + 2;
      return;
    }
    const d = n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6 : digitCount(n);
    const first = p;
    p += d;
    this.writeAt = p;
    let sum = 0;
    if (n < 0x80000000) {
      // int32 arithmetic (a double modulo is a call into C)
      let x = n | 0;
      while (p > first) {
        const q = (x / 10) | 0;
        const c = DIGIT_ZERO + (x - q * 10);
        slab[--p] = c;
        sum += c;
        x = q;
      }
    } else {
      while (p > first) {
        const q = Math.floor(n / 10);
        const c = DIGIT_ZERO + (n - q * 10);
        slab[--p] = c;
        sum += c;
        n = q;
      }
    }
    this.bodyByteSum += sum;
  }

  private putByte(c: number): void {
    this.slab[this.writeAt++] = c;
    this.bodyByteSum += c;
  }

  /** "tag=". */
  private putTag(tag: number): void {
    if (!(tag > 0 && tag < 1_000_000_000 && (tag | 0) === tag)) {
      // Tags 0 and below are written too: test tools need to send them to see the peer reject them.
      if (!Number.isInteger(tag) || tag > 999_999_999 || tag < -99_999_999) throw new EncodeError(`invalid tag ${tag}`);
      if (tag < 0) { this.putByte(MINUS); tag = -tag; }
    }
    this.putUnsigned(tag);
    this.putByte(EQUALS);
  }

  /** `value`'s characters and SOH; false (nothing usable written) when one of them cannot be carried. */
  private putLatin1(tag: number, value: string): boolean {
    const n = value.length;
    const slab = this.slab;
    const words = this.slabWords;
    const p = this.writeAt;
    let sum = 0;
    let i = 0;
    // Four characters per store; any character outside 2..0xff sends the rest to the checking loop.
    for (; i + 4 <= n; i += 4) {
      const a = value.charCodeAt(i), b = value.charCodeAt(i + 1), c = value.charCodeAt(i + 2), d = value.charCodeAt(i + 3);
      if ((a | b | c | d) > 0xff || a < 2 || b < 2 || c < 2 || d < 2) break;
      words.setInt32(p + i, a | (b << 8) | (c << 16) | (d << 24), true);
      sum += a + b + c + d;
    }
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (isUnencodable(tag, c)) return false;
      slab[p + i] = c;
      sum += c;
    }
    slab[p + n] = SOH;
    this.bodyByteSum += sum + SOH;
    this.writeAt = p + n + 1;
    return true;
  }

  /** tag=<Latin-1 string><SOH>. */
  writeString(tag: number, value: string): void {
    this.reserve(value.length + 24);
    this.putTag(tag);
    if (!this.putLatin1(tag, value)) throw unencodableStringError(tag, value);
  }

  /** tag=<integer><SOH>. */
  writeInt(tag: number, value: number): void {
    this.reserve(40);
    this.putTag(tag);
    this.putInt(tag, value);
  }

  private putInt(tag: number, v: number): void {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`value of tag ${tag} must be an integer, got ${v}`);
    if (v < 0) { this.putByte(MINUS); v = -v; }
    this.putUnsigned(v);
    this.putByte(SOH);
  }

  /** tag=<decimal><SOH>, the shortest digits that read back as the same double (see decimal.ts). */
  writeDecimal(tag: number, value: number): void {
    if (!Number.isFinite(value)) throw new EncodeError(`value of tag ${tag} must be a finite number, got ${value}`);
    this.reserve(48);
    this.putTag(tag);
    this.putDecimal(tag, value);
  }

  private putDecimal(tag: number, v: number): void {
    const a = v < 0 ? -v : v;
    const k = fractionDigits(a);
    if (k < 0) {
      const text = decimalText(v);
      if (text === null) throw new EncodeError(`value of tag ${tag} is too large for a FIX decimal: ${v}`);
      this.reserve(text.length + 8);
      this.putLatin1(tag, text);
      return;
    }
    const m = Math.round(a * POW10[k]!);
    if (v < 0 && m !== 0) this.putByte(MINUS);
    if (k === 0) {
      this.putUnsigned(m);
    } else {
      // m / 10^k: the whole part, '.', then k fraction digits, leading zeros included (int32 arithmetic
      // where the numbers fit: a double modulo is a call into C).
      const p10 = POW10[k]!;
      const whole = m < 0x80000000 ? (m / p10) | 0 : Math.floor(m / p10);
      let fraction = m - whole * p10;
      this.putUnsigned(whole);
      this.putByte(DOT);
      const slab = this.slab;
      let p = this.writeAt + k;
      this.writeAt = p;
      let sum = 0;
      for (let i = 0; i < k; i++) {
        const q = k < 10 ? (fraction / 10) | 0 : Math.floor(fraction / 10);
        const c = DIGIT_ZERO + (fraction - q * 10);
        slab[--p] = c;
        sum += c;
        fraction = q;
      }
      this.bodyByteSum += sum;
    }
    this.putByte(SOH);
  }

  /** Finishes the message: writes the head and 10=<checksum><SOH>; returns the bytes (a view, see above). */
  finish(beginString: string): Buffer {
    try {
      this.reserve(TRAILER_LENGTH + 1);
      const bodyEnd = this.writeAt;
      const bodyStart = this.messageStart + HEAD_ROOM;
      const bodyLength = bodyEnd - bodyStart;
      const headLength = 2 + beginString.length + 1 + 2 + digitCount(bodyLength) + 1;
      if (headLength > HEAD_ROOM) throw new EncodeError(`BeginString ${JSON.stringify(beginString)} is too long`);
      if (beginString !== this.headBeginString) {
        this.headBytes = renderHead(beginString);
        let sum = 0;
        for (let i = 0; i < this.headBytes.length; i++) sum += this.headBytes[i]!;
        this.headByteSum = sum;
        this.headBeginString = beginString;
      }
      const bodySum = this.bodyByteSum;
      // Head, right-aligned against the body.
      const start = bodyStart - headLength;
      const slab = this.slab;
      const head = this.headBytes;
      for (let i = 0; i < head.length; i++) slab[start + i] = head[i]!;
      this.writeAt = start + head.length;
      this.bodyByteSum = this.headByteSum;
      this.putUnsigned(bodyLength);
      this.putByte(SOH);
      const sum = (this.bodyByteSum + bodySum) & 0xff;
      let p = bodyEnd; // reserve() above left room for the trailer
      slab[p++] = 0x31; slab[p++] = DIGIT_ZERO; slab[p++] = EQUALS;
      slab[p++] = DIGIT_ZERO + ((sum / 100) | 0); slab[p++] = DIGIT_ZERO + (((sum / 10) | 0) % 10); slab[p++] = DIGIT_ZERO + (sum % 10);
      slab[p++] = SOH;
      this.messageStart = p;
      this.writeAt = p;
      return slab.subarray(start, p);
    } finally {
      this.writing = false;
    }
  }
}
