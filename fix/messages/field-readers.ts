// Value converters the generated setters (fromMessage) and readers (readTyped) call, and the group reader.
import { latin1Slice, parseIntBytes } from '../codec.ts';
import { checkValue, isTimestamp } from '../validate.ts';
import { fail, type CompiledField, type CompiledSpec } from './compiled.ts';

export function decodeString(sp: CompiledSpec, e: CompiledField, b: Buffer, valueStart: number, valueEnd: number, t: boolean, mt: string): string {
  if (valueEnd === valueStart) fail(sp, mt, e.tag, `tag ${e.tag} (${e.key}) has no value`);
  if (!t && e.checked && checkValue(e.def, b, valueStart, valueEnd) !== 0) badValue(e, b, valueStart, valueEnd, sp, mt);
  return latin1Slice(b, valueStart, valueEnd);
}

export function decodeInt(sp: CompiledSpec, e: CompiledField, b: Buffer, valueStart: number, valueEnd: number, t: boolean, mt: string): number {
  const v = parseIntBytes(b, valueStart, valueEnd);
  if (v === undefined) fail(sp, mt, e.tag, valueEnd === valueStart ? `tag ${e.tag} (${e.key}) has no value` : `tag ${e.tag} (${e.key}) is not an integer`);
  if (!t && e.intValues !== null && !e.intValues.has(v)) badValue(e, b, valueStart, valueEnd, sp, mt);
  return v;
}

export function decodeDecimal(sp: CompiledSpec, e: CompiledField, b: Buffer, valueStart: number, valueEnd: number, _t: boolean, mt: string): number {
  const v = parseDecimal(b, valueStart, valueEnd);
  if (v === undefined) fail(sp, mt, e.tag, valueEnd === valueStart ? `tag ${e.tag} (${e.key}) has no value` : `tag ${e.tag} (${e.key}) is not a decimal number`);
  return v;
}

export function decodeBoolean(sp: CompiledSpec, e: CompiledField, b: Buffer, valueStart: number, valueEnd: number, _t: boolean, mt: string): boolean {
  const c = b[valueStart];
  if (valueEnd - valueStart !== 1 || (c !== 0x59 && c !== 0x4e)) {
    fail(sp, mt, e.tag, valueEnd === valueStart ? `tag ${e.tag} (${e.key}) has no value` : `tag ${e.tag} (${e.key}) is not Y or N`);
  }
  return c === 0x59;
}

// readTyped's converters: undefined where validateMessage would reject the value (empty, bad format, not
// in the enumeration), else what the decode* converters give.
export function checkedString(e: CompiledField, b: Buffer, valueStart: number, valueEnd: number): string | undefined {
  if (valueEnd === valueStart || (e.needsValueCheck && checkValue(e.def, b, valueStart, valueEnd) !== 0)) return undefined;
  // A new string: interning (hashing every value to find repeats) cost more (~6 %) than it saved here.
  return latin1Slice(b, valueStart, valueEnd);
}

// Specialised checkedString for the commonest checked kinds: a timestamp, a one-character enumeration.
export function checkedTimestamp(_e: CompiledField, b: Buffer, valueStart: number, valueEnd: number): string | undefined {
  return isTimestamp(b, valueStart, valueEnd) ? latin1Slice(b, valueStart, valueEnd) : undefined;
}

export function checkedChar(e: CompiledField, b: Buffer, valueStart: number, valueEnd: number): string | undefined {
  if (valueEnd - valueStart !== 1 || e.def.charValues![b[valueStart]!] !== 1) return undefined;
  return String.fromCharCode(b[valueStart]!);
}

export function checkedInt(e: CompiledField, b: Buffer, valueStart: number, valueEnd: number): number | undefined {
  const v = parseIntBytes(b, valueStart, valueEnd);
  if (v === undefined || (e.needsValueCheck && checkValue(e.def, b, valueStart, valueEnd) !== 0)) return undefined;
  return v;
}

export function checkedDecimal(e: CompiledField, b: Buffer, valueStart: number, valueEnd: number): number | undefined {
  const v = valueEnd === valueStart ? undefined : parseDecimal(b, valueStart, valueEnd);
  if (v === undefined || (e.needsValueCheck && checkValue(e.def, b, valueStart, valueEnd) !== 0)) return undefined;
  return v;
}

export function checkedBoolean(e: CompiledField, b: Buffer, valueStart: number, valueEnd: number): boolean | undefined {
  const c = b[valueStart];
  if (valueEnd - valueStart !== 1 || (c !== 0x59 && c !== 0x4e) || (e.needsValueCheck && checkValue(e.def, b, valueStart, valueEnd) !== 0)) return undefined;
  return c === 0x59;
}

export function repeatedTag(sp: CompiledSpec, e: CompiledField, mt: string): never {
  fail(sp, mt, e.tag, `tag ${e.tag} appears more than once`);
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Decimal bytes → number. With at most 15 significant digits the integer mantissa and the power of ten are
 * exact doubles, so one division gives the correctly rounded result (the same as parseFloat).
 */
function parseDecimal(buf: Buffer, valueStart: number, valueEnd: number): number | undefined {
  const len = valueEnd - valueStart;
  if (len > 1 && len <= 9 && buf[valueStart] !== 0x2d) {
    // Prices and quantities: at most 9 characters, so the digits fit int32 arithmetic; same result as below.
    let m = 0;
    let dotAt = -1;
    for (let k = valueStart; k < valueEnd; k++) {
      const d = (buf[k]! - 0x30) >>> 0;
      if (d <= 9) m = m * 10 + d;
      else if (d === 0xfffffffe && dotAt < 0) dotAt = k; // '.'
      else return undefined;
    }
    return dotAt < 0 ? m : m / POW10[valueEnd - dotAt - 1]!;
  }
  let i = valueStart;
  let neg = false;
  if (buf[i] === 0x2d) { neg = true; i++; }
  let m = 0, digits = 0, scale = 0, dot = false;
  for (; i < valueEnd; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (m !== 0 || c !== 0x30) digits++;
      m = m * 10 + (c - 0x30);
      if (dot) scale++;
    } else if (c === 0x2e && !dot) dot = true;
    else return undefined;
  }
  if (digits === 0 && m === 0 && valueEnd - valueStart - (neg ? 1 : 0) - (dot ? 1 : 0) <= 0) return undefined;
  if (digits > 15 || scale > 22) {
    const v = Number(latin1Slice(buf, valueStart, valueEnd));
    return Number.isFinite(v) ? v : undefined;
  }
  const v = scale === 0 ? m : m / POW10[scale]!;
  return neg ? -v : v;
}

function badValue(e: CompiledField, buf: Buffer, valueStart: number, valueEnd: number, spec: CompiledSpec, mt: string): never {
  fail(spec, mt, e.tag, `tag ${e.tag} (${e.key}) has an invalid value ${JSON.stringify(latin1Slice(buf, valueStart, valueEnd))} for type ${e.def.type}`);
}

/**
 * The instances of a group whose NumInGroup said `expected`, starting at idx[i]: each must start with the
 * delimiter; the group ends at the first tag that is not one. Returns where it ended, -1 to give up.
 */
export function readGroup(
  gs: CompiledSpec, arr: Record<string, unknown>[], b: Buffer, idx: readonly number[], i: number, end: number, expected: number,
): number {
  while (i < end && idx[i] === gs.delimiter) {
    const inst = gs.create();
    arr.push(inst);
    i = gs.read(inst, b, idx, i, end);
    if (i < 0 || !gs.has(inst)) return -1;
  }
  if (arr.length !== expected) return -1;
  // A member of the dictionary's group that the typed group leaves out (or one before the delimiter).
  if (i < end && gs.section.fields.has(idx[i]!)) return -1;
  return i;
}

/** validateMessage's NumInGroup: 1 to 6 digits; -1 otherwise. */
export function readCount(b: Buffer, valueStart: number, valueEnd: number): number {
  if (valueEnd === valueStart || valueEnd - valueStart > 6) return -1;
  let n = 0;
  for (let k = valueStart; k < valueEnd; k++) {
    const d = b[k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
