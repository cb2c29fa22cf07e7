// Bytes or a FixMessage → typed message: fromMessage (the two-step path, after validateMessage), and the
// one-pass reader decodeTyped uses when it can.
import { asBuffer, FixMessage, parseIntBytes, scanMessage, type DecodeOptions, type FixDecoder } from '../codec.ts';
import { SECTION_HEADER, SECTION_TRAILER, type Dictionary, type SectionDef } from '../dictionary/dictionary.ts';
import { TypedMessageError } from '../errors.ts';
import { validateMessage, type SessionRejection, type ValidateOptions } from '../validate.ts';
import { specs } from './compile.ts';
import { checkRequired, fail, type CompiledSpec, type CompiledSpecs } from './compiled.ts';
import type { MessageOf, TypedMessage, TypedMsgType } from './types.ts';

interface Frame {
  spec: CompiledSpec;
  obj: Record<string, unknown>;
  /** For group frames: the array of instances and the declared count. */
  arr: Record<string, unknown>[] | null;
  expected: number;
  countTag: number;
  /** Set on entries of this instance, for repeated-member detection. */
  seen: number;
}

/**
 * The typed form of a decoded message. Checks what the typed object relies on — required fields, number
 * formats, enumerations, group counts — and throws TypedMessageError naming the tag otherwise. Fields the
 * typed form does not model are ignored (they remain readable on the FixMessage).
 */
export interface FromMessageOptions {
  /**
   * The message already passed validateMessage() against the FIX 4.4 dictionary (or an extension of it):
   * skip re-checking value syntax and enumerations. Required fields and group counts are still checked.
   */
  validated?: boolean;
}

export function fromMessage(msg: FixMessage, opts?: FromMessageOptions): TypedMessage {
  const c = specs();
  const mt = msg.msgType;
  const spec = c.messages.get(mt);
  if (spec === undefined) throw new TypedMessageError(mt, 35, `MsgType ${JSON.stringify(mt)} has no typed form`);
  const { buf, idx } = msg.bytes();
  const dict = c.dict;
  const trusted = opts?.validated === true;
  const header = c.header.create();
  const body = spec.create();
  body.msgType = mt;
  body.header = header;
  const n = idx.length;
  // Header block (8, 9, 35 excluded: they are the frame).
  let i = 0;
  let headerFields = 0;
  while (i < n && dict.sectionOf(idx[i]!) === SECTION_HEADER) {
    const tag = idx[i]!;
    headerFields += c.header.set(header, tag, buf, idx[i + 1]!, idx[i + 2]!, trusted, mt);
    i += 3;
  }
  // A message built from body fields alone has no header to check; one from the wire always does.
  if (headerFields > 0) checkRequired(c.header, header, mt);
  else body.header = undefined;

  const stack: Frame[] = [];
  let top: Frame = { spec, obj: body, arr: null, expected: 0, countTag: 0, seen: 0 };
  let skipDepth = 0; // > 0 while inside a group the typed form does not model
  const skipStack: SectionDef[] = [];
  for (; i < n; i += 3) {
    const tag = idx[i]!;
    if (tag === 10 || dict.sectionOf(tag) === SECTION_TRAILER) break;
    const valueStart = idx[i + 1]!, valueEnd = idx[i + 2]!;
    // Unmodelled groups: skip their members (and their nested groups).
    while (skipDepth > 0) {
      const s = skipStack[skipDepth - 1]!;
      if (s.fields.has(tag)) break;
      skipDepth--;
      skipStack.pop();
    }
    if (skipDepth > 0) {
      const nested = skipStack[skipDepth - 1]!.groups.get(tag);
      if (nested !== undefined) { skipStack.push(nested); skipDepth++; }
      continue;
    }
    // Close modelled groups that do not take this tag.
    for (;;) {
      if (top.arr === null) break;
      const s = top.spec;
      if (tag === s.delimiter) {
        if (top.obj !== null && top.seen > 0) checkRequired(s, top.obj, mt);
        top.obj = s.create();
        top.arr.push(top.obj);
        top.seen = 1;
        break;
      }
      if (s.section.fields.has(tag)) {
        if (top.seen === 0) fail(s, mt, tag, `group ${top.countTag}: instance does not start with its delimiter ${s.delimiter}`);
        break;
      }
      closeGroup(top, mt);
      top = stack.pop()!;
    }
    const s = top.spec;
    if (s.set(top.obj, tag, buf, valueStart, valueEnd, trusted, mt) === 1) continue;
    const e = tag >= 0 && tag < s.byTag.length ? s.byTag[tag] : undefined;
    if (e === undefined || !e.isGroup) {
      const g = s.section.groups.get(tag);
      if (g !== undefined) { skipStack.push(g); skipDepth++; }
      continue;
    }
    const count = parseIntBytes(buf, valueStart, valueEnd);
    if (count === undefined || count < 0) fail(s, mt, tag, `NumInGroup ${tag} is not a count`);
    if (top.obj[e.key] !== undefined) fail(s, mt, tag, `tag ${tag} appears more than once`);
    const arr: Record<string, unknown>[] = [];
    top.obj[e.key] = arr;
    stack.push(top);
    top = { spec: e.spec, obj: {}, arr, expected: count, countTag: tag, seen: 0 };
  }
  while (top.arr !== null) {
    closeGroup(top, mt);
    top = stack.pop()!;
  }
  checkRequired(spec, body, mt);
  return body as unknown as TypedMessage;
}

function closeGroup(f: Frame, mt: string): void {
  if (f.seen > 0) checkRequired(f.spec, f.obj, mt);
  if (f.arr!.length !== f.expected) {
    fail(f.spec, mt, f.countTag, `NumInGroup ${f.countTag}=${f.expected} but ${f.arr!.length} instances follow`);
  }
}

/** Like fromMessage, but insists on one MsgType. */
export function fromMessageAs<T extends TypedMsgType>(msg: FixMessage, msgType: T, opts?: FromMessageOptions): MessageOf<T> {
  if (msg.msgType !== msgType) {
    throw new TypedMessageError(msg.msgType, 35, `expected MsgType ${msgType}, got ${JSON.stringify(msg.msgType)}`);
  }
  return fromMessage(msg, opts) as MessageOf<T>;
}

/**
 * validateMessage(msg, dict, opts) and, when it passes, fromMessage(msg, { validated: true }): the rejection,
 * or the typed message (TypedMessageError as fromMessage throws it). With the FIX 4.4 dictionary and default
 * options this is one pass over the fields (readTyped) for messages whose every field the typed form models;
 * anything else — an unmodelled or misplaced field, a value validation would refuse, a repeat, a group count
 * that does not match — takes the two-step path, which then gives the exact rejection.
 */
export function typedOrRejection(msg: FixMessage, dict: Dictionary, opts?: ValidateOptions): TypedMessage | SessionRejection {
  if (defaultValidation(opts)) {
    const c = specs();
    if (dict === c.dict) {
      const { buf, idx } = msg.bytes();
      const t = readTyped(c, buf, idx, idx.length);
      if (t !== null) return t;
    }
  }
  const rej = validateMessage(msg, dict, opts);
  if (rej !== null) return rej;
  return fromMessage(msg, { validated: true });
}

/**
 * Bytes → typed message: decodeMessage (GarbledMessageError and friends as it throws them), then
 * typedOrRejection — without building the FixMessage when the one-pass reader takes the message. With a
 * `decoder` (kept across messages) the field positions are scanned into its array, else into a new one.
 */
export function decodeTyped(
  bytes: Uint8Array, dict: Dictionary, opts?: { decode?: DecodeOptions; validate?: ValidateOptions }, decoder?: FixDecoder,
): TypedMessage | SessionRejection {
  const buf = asBuffer(bytes);
  let fields: readonly number[];
  let n: number;
  if (decoder !== undefined) {
    n = decoder.scan(buf, opts?.decode);
    fields = decoder.scannedFields();
  } else {
    const fresh: number[] = [];
    n = scanMessage(buf, opts?.decode, fresh);
    fields = fresh;
  }
  if (defaultValidation(opts?.validate)) {
    const c = specs();
    if (dict === c.dict) {
      const t = readTyped(c, buf, fields, n);
      if (t !== null) return t;
    }
  }
  // The decoder's array is reused: the message gets a copy (a fresh array is already exactly this long).
  const own = decoder !== undefined ? fields.slice(0, n) : fields as number[];
  return typedOrRejection(FixMessage.fromScan(buf, own, buf), dict, opts?.validate);
}

/** Options that ask for exactly what validateMessage does by default (what readTyped checks). */
function defaultValidation(o: ValidateOptions | undefined): boolean {
  return o === undefined || (
    (o.checkFieldsHaveValues ?? true) && (o.checkUserDefinedFields ?? true) && !(o.allowUnknownMessageFields ?? false) &&
    (o.checkFieldsOutOfOrder ?? true) && (o.checkFieldValues ?? true) && (o.checkRequiredFields ?? true));
}

/** A typed result of typedOrRejection (the other kind is a SessionRejection). */
export function isTyped(r: TypedMessage | SessionRejection): r is TypedMessage {
  return (r as { msgType?: unknown }).msgType !== undefined;
}

/**
 * One pass: the typed message if validateMessage (FIX 4.4 dictionary, default options) would accept the
 * message and fromMessage would give this object for it; null when it cannot tell (the caller takes the
 * two-step path). It accepts only messages made of 8, 9, 35, modelled header fields, modelled body fields
 * and groups, and 10 — so every field is one the dictionary defines where it stands — and checks what
 * validateMessage checks of those: values (checkedString etc.), no repeats, header/body order, group placement and
 * counts, required fields (the typed specs require at least what the dictionary does).
 */
function readTyped(c: CompiledSpecs, buf: Buffer, idx: readonly number[], n: number): TypedMessage | null {
  if (n < 12 || idx[0] !== 8 || idx[3] !== 9 || idx[6] !== 35 || idx[n - 3] !== 10) return null;
  // MsgType by its bytes (typed MsgTypes are one or two characters).
  const ms = idx[7]!, me = idx[8]!;
  const code = me - ms === 1 ? buf[ms]! : me - ms === 2 ? buf[ms]! | (buf[ms + 1]! << 8) : -1;
  const spec = c.byCode.get(code);
  if (spec === undefined) return null;
  const end = n - 3;
  const hs = c.header;
  const header = hs.create();
  // Header fields until the first tag the header does not model; then the body must take every field up to
  // CheckSum (a header field after the body, a trailer field, an unmodelled tag: the two-step path).
  const i = hs.read(header, buf, idx, 9, end);
  if (i < 0 || !hs.has(header)) return null;
  const body = spec.create();
  body.msgType = spec.msgType;
  body.header = header;
  if (spec.read(body, buf, idx, i, end) !== end || !spec.has(body)) return null;
  return body as unknown as TypedMessage;
}
