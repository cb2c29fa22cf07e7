// Pre-rendered bytes: the typed encoder writes each field's "tag=" from one of these, and keeps whole
// "tag=value<SOH>" fields of values that repeat (CompIDs, symbols, enumerations, quantities) as one.
import { EncodeError } from '../errors.ts';

/** Bytes rendered once and copied four at a time, with their byte sum (for the checksum). */
export interface RenderedBytes {
  /** The bytes, little-endian, four to a word; the last word is zero-padded. */
  readonly words: Int32Array;
  /** words[0] and words[1] (0 past the end): most prefixes and cached fields fit in these. */
  readonly firstWord: number;
  readonly secondWord: number;
  readonly length: number;
  /** Sum of the bytes, for CheckSum(10). */
  readonly byteSum: number;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** bytes[start, end) as RenderedBytes. */
export function renderBytes(bytes: Uint8Array, start: number, end: number): RenderedBytes {
  const length = end - start;
  const words = new Int32Array((length + 3) >>> 2);
  const asBytes = new Uint8Array(words.buffer);
  let byteSum = 0;
  for (let i = 0; i < length; i++) {
    const c = bytes[start + i]!;
    asBytes[i] = c;
    byteSum += c;
  }
  // The encoder stores words little-endian; on a big-endian host, read them that way too.
  if (!LITTLE_ENDIAN) {
    const dv = new DataView(words.buffer);
    for (let k = 0; k < words.length; k++) words[k] = dv.getInt32(k * 4, true);
  }
  return { words, firstWord: words[0] ?? 0, secondWord: words[1] ?? 0, length, byteSum };
}

/** "tag=" for a tag (the same range the encoder accepts). */
export function renderTagPrefix(tag: number): RenderedBytes {
  if (!Number.isInteger(tag) || tag > 999_999_999 || tag < -99_999_999) throw new EncodeError(`invalid tag ${tag}`);
  const text = `${tag}=`;
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i);
  return renderBytes(b, 0, b.length);
}
