// Bytes → strings and integers, for the decoder and the typed readers.
import { asLatin1 } from './bytes.ts';

// The byte values of bytes.ts again, as this module's own constants: module-local constants fold into the
// compiled hot loops below, where imported bindings stay loads (measured: ~10 % of a decode).
const DIGIT_ZERO = 0x30;
const MINUS = 0x2d;

// Short values: String.fromCharCode with the bytes as arguments builds the string in one allocation and no
// native call (about 3x faster than latin1Slice for the 5-24 byte values FIX is full of); longer ones go native.
export function latin1Slice(buf: Buffer, start: number, end: number): string {
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
    default: return asLatin1(buf).latin1Slice(start, end);
  }
}

/** -?[0-9]+ → integer (undefined otherwise, or beyond 2^53). */
export function parseIntBytes(buf: Uint8Array, start: number, end: number): number | undefined {
  let i = start;
  let neg = false;
  if (i < end && buf[i] === MINUS) { neg = true; i++; }
  if (i >= end || end - i > 15) return undefined;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i]! - DIGIT_ZERO;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}

export function parseIntString(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === MINUS) { neg = true; i++; }
  if (i >= s.length || s.length - i > 15) return undefined;
  let v = 0;
  for (; i < s.length; i++) {
    const d = s.charCodeAt(i) - DIGIT_ZERO;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return neg ? -v : v;
}
