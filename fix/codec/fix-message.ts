// A FIX message as fields in wire order: either decoded (it keeps its bytes and reads values from them on
// demand) or constructed from Field objects.
import { asLatin1, digitCount, EQUALS, SOH } from './bytes.ts';
import { latin1Slice, parseIntBytes, parseIntString } from './latin1.ts';

export interface Field {
  tag: number;
  value: string;
}

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
      out[j] = { tag: idx[i]!, value: latin1Slice(buf, idx[i + 1]!, idx[i + 2]!) };
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
    if (this._idx !== null) return latin1Slice(this._buf!, this._idx[i * 3 + 1]!, this._idx[i * 3 + 2]!);
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

/** Renders fields as tag=value<SOH>... with no header/trailer computation (for re-reading constructed messages). */
function renderFields(fields: Field[]): Buffer {
  let n = 0;
  for (const f of fields) n += digitCount(f.tag) + f.value.length + 2;
  const buf = Buffer.allocUnsafe(n);
  let p = 0;
  for (const f of fields) {
    p += asLatin1(buf).latin1Write(String(f.tag), p);
    buf[p++] = EQUALS;
    p += asLatin1(buf).latin1Write(f.value, p);
    buf[p++] = SOH;
  }
  return buf;
}

