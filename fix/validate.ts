// Session-level validation of a decoded message against the dictionary: what a FIX 4.4 engine answers with
// Reject(3) and SessionRejectReason(373). The order of checks follows QuickFIX's DataDictionary::validate
// (structure, MsgType, required fields, then field by field), so the acceptance definitions get the same
// reason and RefTagID QuickFIX itself would give. Works on the message's bytes; builds no strings for
// fields whose value needs no dictionary check.
import { latin1Slice, type FixMessage } from './codec.ts';
import type { Dictionary, FieldDef, GroupDef, SectionDef } from './dictionary/dictionary.ts';
import {
  SECTION_BODY, SECTION_HEADER, SECTION_TRAILER, TYPE_BOOLEAN, TYPE_CHAR, TYPE_DATE, TYPE_DECIMAL, TYPE_INT, TYPE_MONTHYEAR,
  TYPE_STRING, TYPE_TIMEONLY, TYPE_TIMESTAMP, USER_TAG_MIN,
} from './dictionary/dictionary.ts';

export interface SessionRejection {
  /** SessionRejectReason(373) */
  reason: number;
  /** RefTagID(371) */
  refTagId?: number;
  /** Text(58) */
  text: string;
}

export interface ValidateOptions {
  /** Reject fields with an empty value (reason 4). Default true; off for NO_CHECK_FIELDS_HAVE_VALUES-style sessions. */
  checkFieldsHaveValues?: boolean;
  /** Reject user-defined tags (>= 5000) the dictionary does not define (reason 0). Default true, as QuickFIX. */
  checkUserDefinedFields?: boolean;
  /** Accept dictionary fields that are not defined for this message type. Default false (reason 2). */
  allowUnknownMessageFields?: boolean;
  /** Require header, body, trailer order (reason 14). Default true. */
  checkFieldsOutOfOrder?: boolean;
  /** Check value formats and enumerations (reasons 5 and 6). Default true. */
  checkFieldValues?: boolean;
  /** Check required fields (reason 1). Default true. */
  checkRequiredFields?: boolean;
}

export const SessionRejectReason = {
  InvalidTagNumber: 0,
  RequiredTagMissing: 1,
  TagNotDefinedForMessageType: 2,
  UndefinedTag: 3,
  TagSpecifiedWithoutValue: 4,
  ValueIncorrect: 5,
  IncorrectDataFormat: 6,
  DecryptionProblem: 7,
  SignatureProblem: 8,
  CompIdProblem: 9,
  SendingTimeAccuracyProblem: 10,
  InvalidMsgType: 11,
  TagAppearsMoreThanOnce: 13,
  TagSpecifiedOutOfRequiredOrder: 14,
  RepeatingGroupFieldsOutOfOrder: 15,
  IncorrectNumInGroupCount: 16,
  NonDataValueIncludesFieldDelimiter: 17,
  Other: 99,
} as const;

/** QuickFIX's wording, which the acceptance definitions echo. */
export const REJECT_TEXT: Readonly<Record<number, string>> = {
  0: 'Invalid tag number',
  1: 'Required tag missing',
  2: 'Tag not defined for this message type',
  3: 'Undefined Tag',
  4: 'Tag specified without a value',
  5: 'Value is incorrect (out of range) for this tag',
  6: 'Incorrect data format for value',
  7: 'Decryption problem',
  8: 'Signature problem',
  9: 'CompID problem',
  10: 'SendingTime accuracy problem',
  11: 'Invalid MsgType',
  13: 'Tag appears more than once',
  14: 'Tag specified out of required order',
  15: 'Repeating group fields out of order',
  16: 'Incorrect NumInGroup count for repeating group',
  17: 'Non Data value includes field delimiter',
  99: 'Other',
};

export function rejection(reason: number, refTagId?: number, text?: string): SessionRejection {
  const r: SessionRejection = { reason, text: text ?? REJECT_TEXT[reason] ?? 'Other' };
  if (refTagId !== undefined) r.refTagId = refTagId;
  return r;
}

// Generation-stamped presence tables: "tag t seen in context c" is stamp[t] === c, so no per-message clearing.
const STAMP_SIZE = 10000;
const topStamp = new Int32Array(STAMP_SIZE);   // header / body / trailer level
const grpStamp = new Int32Array(STAMP_SIZE);   // group instances
let gen = 0;
function nextGen(): number {
  if (++gen >= 0x7fffffff) {
    topStamp.fill(0);
    grpStamp.fill(0);
    gen = 1;
  }
  return gen;
}

interface GroupCtx {
  def: GroupDef;
  expected: number;
  instances: number;
  id: number; // stamp id of the current instance
}

// Per-call state, kept at module level so the walk allocates nothing per field (JS runs one call at a time).
const stack: GroupCtx[] = [];
let depth = 0;
let problem: SessionRejection | null = null;
let groupRequiredMissing = 0;

function pushGroup(def: GroupDef, expected: number): void {
  let g = stack[depth];
  if (g === undefined) {
    g = { def, expected, instances: 0, id: 0 };
    stack[depth] = g;
  } else {
    g.def = def;
    g.expected = expected;
    g.instances = 0;
    g.id = 0;
  }
  depth++;
}

function closeInstance(g: GroupCtx): void {
  if (g.instances === 0 || groupRequiredMissing !== 0) return;
  const req = g.def.required;
  for (let k = 0; k < req.length; k++) {
    const r = req[k]!;
    if (grpStamp[r] !== g.id) { groupRequiredMissing = r; return; }
  }
}

function closeGroup(g: GroupCtx): void {
  closeInstance(g);
  if (g.instances !== g.expected && problem === null) problem = rejection(16, g.def.countTag);
}

interface Flags {
  checkValues: boolean;
  checkUser: boolean;
  allowUnknown: boolean;
  checkFormats: boolean;
}

function walk(
  dict: Dictionary, buf: Buffer, idx: number[], from: number, to: number, section: SectionDef, levelId: number,
  isBody: boolean, f: Flags, headerId: number,
): void {
  const fields = dict.fieldTable;
  for (let i = from; i < to; i += 3) {
    const tag = idx[i]!;
    const vs = idx[i + 1]!;
    const ve = idx[i + 2]!;
    const inTable = tag >= 0 && tag < STAMP_SIZE;
    if (isBody && headerId !== 0 && dict.sectionOf(tag) === SECTION_HEADER) {
      // Only reachable with the order check off: a header field among the body still counts for the header.
      if (inTable) topStamp[tag] = headerId;
      continue;
    }

    // Place the field: in the innermost open group that takes it, else close groups until one does.
    let placedInGroup = false;
    while (depth > 0) {
      const g = stack[depth - 1]!;
      const gd = g.def;
      if (tag === gd.delimiter || (g.instances > 0 && inTable && grpStamp[tag] === g.id && gd.fields.has(tag))) {
        // The delimiter, or a member already set in this instance, starts a new instance.
        closeInstance(g);
        g.instances++;
        g.id = nextGen();
        if (inTable) grpStamp[tag] = g.id;
        placedInGroup = true;
        break;
      }
      if (gd.fields.has(tag)) {
        if (g.instances === 0) {
          if (problem === null) problem = rejection(15, tag);
          g.instances++;
          g.id = nextGen();
        }
        if (inTable) grpStamp[tag] = g.id;
        placedInGroup = true;
        break;
      }
      closeGroup(g);
      depth--;
    }

    if (!placedInGroup && inTable) {
      if (topStamp[tag] === levelId && problem === null) problem = rejection(13, tag);
      topStamp[tag] = levelId;
    }
    if (problem !== null) continue; // later fields only matter for the required-field presence above

    const fd = tag >= 0 && tag < fields.length ? fields[tag] : undefined;
    if (ve === vs) {
      if (f.checkValues) { problem = rejection(4, tag); continue; }
    } else if (fd !== undefined && f.checkFormats && (fd.typeCode !== TYPE_STRING || fd.values !== null)) {
      const bad = checkValue(fd, buf, vs, ve);
      if (bad !== 0) { problem = rejection(bad, tag); continue; }
    }

    if (fd === undefined) {
      if (f.checkUser || tag < USER_TAG_MIN) { problem = rejection(0, tag); continue; }
    } else if (isBody && !placedInGroup && !section.fields.has(tag) && !f.allowUnknown) {
      problem = rejection(2, tag);
      continue;
    }

    // A NumInGroup field opens its group.
    if (fd !== undefined && fd.isNumInGroup) {
      const container: SectionDef = placedInGroup ? stack[depth - 1]!.def : section;
      const gd = container.groups.get(tag);
      if (gd !== undefined) {
        const count = parseCount(buf, vs, ve);
        if (count < 0) { if (ve !== vs) problem = rejection(6, tag); continue; }
        pushGroup(gd, count);
      }
    }
  }
  while (depth > 0) closeGroup(stack[--depth]!);
}

/** Validates `msg`; null when it passes, else what to put in the Reject. */
export function validateMessage(msg: FixMessage, dict: Dictionary, opts?: ValidateOptions): SessionRejection | null {
  const flags: Flags = {
    checkValues: opts?.checkFieldsHaveValues !== false,
    checkUser: opts?.checkUserDefinedFields !== false,
    allowUnknown: opts?.allowUnknownMessageFields === true,
    checkFormats: opts?.checkFieldValues !== false,
  };
  const checkOrder = opts?.checkFieldsOutOfOrder !== false;
  const checkRequired = opts?.checkRequiredFields !== false;

  const { buf, idx } = msg.bytes();
  const n = idx.length;

  // 1. Structure: header fields, then body fields, then trailer fields — one pass.
  const sections = dict.sectionTable;
  let headerEnd = -1; // index (in idx units) of the first non-header field
  let trailerStart = -1; // and of the first trailer field
  let misplaced = 0;
  let misplacedTag = 0;
  for (let i = 0; i < n; i += 3) {
    const tag = idx[i]!;
    const sec = tag >= 0 && tag < sections.length ? sections[tag]! : SECTION_BODY;
    if (sec === SECTION_HEADER) {
      if (headerEnd >= 0 && misplaced === 0) { misplaced = 1; misplacedTag = tag; }
    } else {
      if (headerEnd < 0) headerEnd = i;
      if (sec === SECTION_TRAILER) {
        if (trailerStart < 0) trailerStart = i;
      } else if (trailerStart >= 0 && misplaced === 0) {
        misplaced = 1;
        misplacedTag = tag;
      }
    }
  }
  if (headerEnd < 0) headerEnd = n;
  if (trailerStart < 0) trailerStart = n;
  if (checkOrder && misplaced !== 0) return rejection(14, misplacedTag);

  // 2. MsgType
  const def = dict.message(msg.msgType);
  if (def === undefined) return rejection(11);

  // 3. Walk every field: placement in groups, repeats, values. The first such problem is kept and reported
  // after the required-field checks, which QuickFIX makes first.
  problem = null;
  groupRequiredMissing = 0;
  depth = 0;
  const headerId = nextGen();
  const bodyId = nextGen();
  const trailerId = nextGen();
  walk(dict, buf as Buffer, idx, 0, headerEnd, dict.header, headerId, false, flags, 0);
  walk(dict, buf as Buffer, idx, headerEnd, trailerStart, def, bodyId, true, flags, headerId);
  walk(dict, buf as Buffer, idx, trailerStart, n, dict.trailer, trailerId, false, flags, 0);
  const found: SessionRejection | null = problem;
  problem = null;

  // 4. Required fields: header, trailer, body, then inside group instances.
  if (checkRequired) {
    for (const r of dict.header.required) if (topStamp[r] !== headerId) return rejection(1, r);
    for (const r of dict.trailer.required) if (topStamp[r] !== trailerId) return rejection(1, r);
    for (const r of def.required) if (topStamp[r] !== bodyId) return rejection(1, r);
    if (groupRequiredMissing !== 0) return rejection(1, groupRequiredMissing);
  }
  return found;
}

function parseCount(buf: Uint8Array, vs: number, ve: number): number {
  if (ve === vs || ve - vs > 6) return -1;
  let v = 0;
  for (let i = vs; i < ve; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

// ---------------------------------------------------------------------------------------------------------
// Value checks on bytes. Return 0 (fine), 5 (value not allowed) or 6 (bad format).

const enum_ = 5;
const format = 6;

export function checkValue(fd: FieldDef, buf: Uint8Array, vs: number, ve: number): number {
  switch (fd.typeCode) {
    case TYPE_INT:
      if (!isInt(buf, vs, ve)) return format;
      break;
    case TYPE_DECIMAL:
      if (!isDecimal(buf, vs, ve)) return format;
      break;
    case TYPE_CHAR:
      if (ve - vs !== 1) return format;
      break;
    case TYPE_BOOLEAN:
      if (ve - vs !== 1 || (buf[vs] !== 0x59 && buf[vs] !== 0x4e)) return format;
      break;
    case TYPE_TIMESTAMP:
      if (!isTimestamp(buf, vs, ve)) return format;
      break;
    case TYPE_TIMEONLY:
      if (!isTimeOnly(buf, vs, ve)) return format;
      break;
    case TYPE_DATE:
      if (ve - vs !== 8 || !isDate(buf, vs)) return format;
      break;
    case TYPE_MONTHYEAR:
      if (!isMonthYear(buf, vs, ve)) return format;
      break;
    default:
      break;
  }
  const values = fd.values;
  if (values === null) return 0;
  if (ve - vs === 1) return fd.charValues![buf[vs]!] === 1 ? 0 : enum_;
  const s = latin1Slice(buf as Buffer, vs, ve);
  if (fd.multiValue) {
    for (const part of s.split(' ')) if (!values.has(part)) return enum_;
    return 0;
  }
  return values.has(s) ? 0 : enum_;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

export function isInt(buf: Uint8Array, vs: number, ve: number): boolean {
  let i = vs;
  if (buf[i] === 0x2d) i++;
  if (i >= ve) return false;
  for (; i < ve; i++) if (!isDigit(buf[i])) return false;
  return true;
}

/** QuickFIX's double syntax: optional '-', digits with at most one '.', at least one digit; no '+', no exponent. */
export function isDecimal(buf: Uint8Array, vs: number, ve: number): boolean {
  let i = vs;
  if (buf[i] === 0x2d) i++;
  let digits = 0;
  let dot = false;
  for (; i < ve; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c === 0x2e && !dot) dot = true;
    else return false;
  }
  return digits > 0;
}

function two(buf: Uint8Array, i: number): number {
  const a = buf[i]!, b = buf[i + 1]!;
  if (a < 0x30 || a > 0x39 || b < 0x30 || b > 0x39) return -1;
  return (a - 0x30) * 10 + (b - 0x30);
}

function isDate(buf: Uint8Array, i: number): boolean {
  const y1 = two(buf, i), y2 = two(buf, i + 2), m = two(buf, i + 4), d = two(buf, i + 6);
  return y1 >= 0 && y2 >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

/** HH:MM:SS with optional .fraction (1 to 9 digits). */
function isTimeAt(buf: Uint8Array, i: number, ve: number): boolean {
  if (ve - i < 8) return false;
  const h = two(buf, i), m = two(buf, i + 3), s = two(buf, i + 6);
  if (buf[i + 2] !== 0x3a || buf[i + 5] !== 0x3a || h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60) return false;
  const rest = ve - (i + 8);
  if (rest === 0) return true;
  if (buf[i + 8] !== 0x2e || rest < 2 || rest > 10) return false;
  for (let k = i + 9; k < ve; k++) if (!isDigit(buf[k])) return false;
  return true;
}

/** YYYYMMDD-HH:MM:SS with optional .fraction (1 to 9 digits): isDate and isTimeAt in one, without calls. */
export function isTimestamp(buf: Uint8Array, vs: number, ve: number): boolean {
  const len = ve - vs;
  if (len < 17 || buf[vs + 8] !== 0x2d || buf[vs + 11] !== 0x3a || buf[vs + 14] !== 0x3a) return false;
  // Digit values; a non-digit shows as > 9 (the subtraction is taken unsigned).
  const y0 = (buf[vs]! - 0x30) >>> 0, y1 = (buf[vs + 1]! - 0x30) >>> 0, y2 = (buf[vs + 2]! - 0x30) >>> 0, y3 = (buf[vs + 3]! - 0x30) >>> 0;
  const m0 = (buf[vs + 4]! - 0x30) >>> 0, m1 = (buf[vs + 5]! - 0x30) >>> 0, d0 = (buf[vs + 6]! - 0x30) >>> 0, d1 = (buf[vs + 7]! - 0x30) >>> 0;
  const h0 = (buf[vs + 9]! - 0x30) >>> 0, h1 = (buf[vs + 10]! - 0x30) >>> 0, n0 = (buf[vs + 12]! - 0x30) >>> 0, n1 = (buf[vs + 13]! - 0x30) >>> 0;
  const s0 = (buf[vs + 15]! - 0x30) >>> 0, s1 = (buf[vs + 16]! - 0x30) >>> 0;
  if (y0 > 9 || y1 > 9 || y2 > 9 || y3 > 9 || m0 > 9 || m1 > 9 || d0 > 9 || d1 > 9 || h0 > 9 || h1 > 9 || n0 > 9 || n1 > 9 || s0 > 9 || s1 > 9) return false;
  const m = m0 * 10 + m1, d = d0 * 10 + d1;
  if (m < 1 || m > 12 || d < 1 || d > 31 || h0 * 10 + h1 > 23 || n0 * 10 + n1 > 59 || s0 * 10 + s1 > 60) return false;
  if (len === 17) return true;
  if (buf[vs + 17] !== 0x2e || len < 19 || len > 27) return false;
  for (let k = vs + 18; k < ve; k++) if (((buf[k]! - 0x30) >>> 0) > 9) return false;
  return true;
}

function isTimeOnly(buf: Uint8Array, vs: number, ve: number): boolean {
  return isTimeAt(buf, vs, ve);
}

/** YYYYMM, YYYYMMDD or YYYYMMwN. */
function isMonthYear(buf: Uint8Array, vs: number, ve: number): boolean {
  const len = ve - vs;
  if (len < 6) return false;
  const y1 = two(buf, vs), y2 = two(buf, vs + 2), m = two(buf, vs + 4);
  if (y1 < 0 || y2 < 0 || m < 1 || m > 12) return false;
  if (len === 6) return true;
  if (len === 8 && buf[vs + 6] === 0x77) return buf[vs + 7]! >= 0x31 && buf[vs + 7]! <= 0x35;
  if (len === 8) { const d = two(buf, vs + 6); return d >= 1 && d <= 31; }
  return false;
}
