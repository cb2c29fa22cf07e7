// One message from a Field[] without a FixEncoder: with every value given as text, the BodyLength is known
// before writing, so the message is written head first into one Buffer of its exact size — one allocation,
// nothing shared between calls, and no slab kept alive by the result.
import { EncodeError } from '../errors.ts';
import { asLatin1, DIGIT_ZERO, digitCount, EQUALS, MINUS, SOH } from './bytes.ts';
import { isUnencodable, unencodableStringError } from './encoder.ts';
import type { Field } from './fix-message.ts';

/** Writes a non-negative integer's digits at `at`; returns the position after them. */
function putUnsigned(buf: Buffer, at: number, n: number): number {
  const d = digitCount(n);
  let p = at + d;
  while (p > at) {
    const q = Math.floor(n / 10);
    buf[--p] = DIGIT_ZERO + (n - q * 10);
    n = q;
  }
  return at + d;
}

/** 8=<beginString>, 9=<computed>, the body (35 onwards, without 8/9/10) and 10=<computed>. */
export function encodeFields(beginString: string, body: readonly Field[]): Buffer {
  let bodyLength = 0;
  for (let i = 0; i < body.length; i++) {
    const f = body[i]!;
    // Checked where it is written, in order; here only what the length needs.
    if (typeof f.value !== 'string') throw new EncodeError(`value of tag ${f.tag} must be a string`);
    bodyLength += digitCount(f.tag) + f.value.length + 2;
  }
  for (let i = 0; i < beginString.length; i++) {
    const c = beginString.charCodeAt(i);
    if (c > 0xff || c === SOH) throw unencodableStringError(8, beginString);
  }
  const headLength = 2 + beginString.length + 1 + 2 + digitCount(bodyLength) + 1;
  if (headLength > 64) throw new EncodeError(`BeginString ${JSON.stringify(beginString)} is too long`);
  const buf = Buffer.allocUnsafe(headLength + bodyLength + 7);
  let p = 0;
  buf[p++] = 0x38; buf[p++] = EQUALS;
  p += asLatin1(buf).latin1Write(beginString, p);
  buf[p++] = SOH; buf[p++] = 0x39; buf[p++] = EQUALS;
  p = putUnsigned(buf, p, bodyLength);
  buf[p++] = SOH;
  for (let i = 0; i < body.length; i++) {
    const f = body[i]!;
    let tag = f.tag;
    if (tag === 8 || tag === 9 || tag === 10) {
      throw new EncodeError(`tag ${tag} in the body: encodeMessage writes BeginString, BodyLength and CheckSum itself`);
    }
    // Tags 0 and below are written too: test tools need to send them to see the peer reject them.
    if (!Number.isInteger(tag) || tag > 999_999_999 || tag < -99_999_999) throw new EncodeError(`invalid tag ${tag}`);
    if (tag < 0) { buf[p++] = MINUS; tag = -tag; }
    p = putUnsigned(buf, p, tag);
    buf[p++] = EQUALS;
    const v = f.value;
    for (let k = 0; k < v.length; k++) {
      const c = v.charCodeAt(k);
      if (isUnencodable(f.tag, c)) throw unencodableStringError(f.tag, v);
      buf[p++] = c;
    }
    buf[p++] = SOH;
  }
  let sum = 0;
  let i = 0;
  for (; i + 4 <= p; i += 4) sum += buf[i]! + buf[i + 1]! + buf[i + 2]! + buf[i + 3]!;
  for (; i < p; i++) sum += buf[i]!;
  sum &= 0xff;
  buf[p++] = 0x31; buf[p++] = DIGIT_ZERO; buf[p++] = EQUALS;
  buf[p++] = DIGIT_ZERO + ((sum / 100) | 0); buf[p++] = DIGIT_ZERO + (((sum / 10) | 0) % 10); buf[p++] = DIGIT_ZERO + (sum % 10);
  buf[p++] = SOH;
  return buf;
}
