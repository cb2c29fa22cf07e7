// Typed FIX 4.4 messages: the session messages and Parley's RFQ flow. Each message type is described once by
// a spec (property → tag, groups nested); the spec is compiled against the dictionary, which supplies each
// field's type, enumeration and required flag, and drives both directions: toFields() and fromMessage().
// Numbers (INT, SEQNUM, QTY, PRICE, AMT, ...) are JS numbers, BOOLEAN is boolean, everything else (CHAR,
// enumerations, timestamps, dates) stays the FIX string.
import {
  asBuffer, FixDecoder, FixEncoder, FixMessage, latin1Slice, parseIntBytes, renderTagPrefix, scanMessage,
  unencodableStringError, type DecodeOptions, type Field, type RenderedBytes,
} from './codec.ts';
import {
  fix44Dictionary, SECTION_HEADER, SECTION_TRAILER, TYPE_CHAR, TYPE_STRING, TYPE_TIMESTAMP, type Dictionary, type FieldDef, type SectionDef,
} from './dictionary/dictionary.ts';
import { TypedMessageError } from './errors.ts';
import { checkValue, isTimestamp, validateMessage, type SessionRejection, type ValidateOptions } from './validate.ts';

// ---------------------------------------------------------------------------------------------------------
// Types

export interface StandardHeader {
  senderCompID: string;
  targetCompID: string;
  msgSeqNum: number;
  sendingTime: string;
  onBehalfOfCompID?: string;
  deliverToCompID?: string;
  senderSubID?: string;
  senderLocationID?: string;
  targetSubID?: string;
  targetLocationID?: string;
  onBehalfOfSubID?: string;
  deliverToSubID?: string;
  possDupFlag?: boolean;
  possResend?: boolean;
  origSendingTime?: string;
  lastMsgSeqNumProcessed?: number;
}

interface Base<T extends string> {
  msgType: T;
  /** Present on decoded messages; on outgoing ones the session usually supplies it to toFields(). */
  header?: StandardHeader;
}

export interface Party {
  partyID: string;
  partyIDSource?: string;
  partyRole?: number;
}

export interface Logon extends Base<'A'> {
  encryptMethod: number;
  heartBtInt: number;
  resetSeqNumFlag?: boolean;
  nextExpectedMsgSeqNum?: number;
  maxMessageSize?: number;
  msgTypes?: { refMsgType: string; msgDirection?: string }[];
  testMessageIndicator?: boolean;
  username?: string;
  password?: string;
}
export interface Heartbeat extends Base<'0'> { testReqID?: string }
export interface TestRequest extends Base<'1'> { testReqID: string }
export interface ResendRequest extends Base<'2'> { beginSeqNo: number; endSeqNo: number }
export interface Reject extends Base<'3'> {
  refSeqNum: number;
  refTagID?: number;
  refMsgType?: string;
  sessionRejectReason?: number;
  text?: string;
}
export interface SequenceReset extends Base<'4'> { gapFillFlag?: boolean; newSeqNo: number }
export interface Logout extends Base<'5'> { text?: string }

export interface RelatedSym {
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  securityType?: string;
  maturityDate?: string;
  quoteRequestType?: number;
  quoteType?: number;
  tradingSessionID?: string;
  side?: string;
  orderQty?: number;
  settlType?: string;
  settlDate?: string;
  settlDate2?: string;
  orderQty2?: number;
  currency?: string;
  account?: string;
  quotePriceType?: number;
  ordType?: string;
  validUntilTime?: string;
  expireTime?: string;
  transactTime?: string;
  price?: number;
  parties?: Party[];
}

export interface QuoteRequest extends Base<'R'> {
  quoteReqID: string;
  rfqReqID?: string;
  clOrdID?: string;
  orderCapacity?: string;
  relatedSym: RelatedSym[];
  text?: string;
}

export interface Quote extends Base<'S'> {
  quoteReqID?: string;
  quoteID: string;
  quoteRespID?: string;
  quoteType?: number;
  parties?: Party[];
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlType?: string;
  settlDate?: string;
  currency?: string;
  account?: string;
  bidPx?: number;
  offerPx?: number;
  bidSize?: number;
  offerSize?: number;
  validUntilTime?: string;
  bidSpotRate?: number;
  offerSpotRate?: number;
  bidForwardPoints?: number;
  offerForwardPoints?: number;
  transactTime?: string;
  ordType?: string;
  text?: string;
}

export interface RejectedSym {
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlDate?: string;
  currency?: string;
}

export interface QuoteRequestReject extends Base<'AG'> {
  quoteReqID: string;
  rfqReqID?: string;
  quoteRequestRejectReason: number;
  relatedSym: RejectedSym[];
  text?: string;
}

export interface QuoteResponse extends Base<'AJ'> {
  quoteRespID: string;
  quoteID?: string;
  quoteRespType: number;
  clOrdID?: string;
  parties?: Party[];
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlType?: string;
  settlDate?: string;
  currency?: string;
  account?: string;
  bidPx?: number;
  offerPx?: number;
  price?: number;
  validUntilTime?: string;
  transactTime?: string;
  ordType?: string;
  text?: string;
}

export interface QuoteStatusReport extends Base<'AI'> {
  quoteStatusReqID?: string;
  quoteReqID?: string;
  quoteID: string;
  quoteRespID?: string;
  quoteType?: number;
  parties?: Party[];
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side?: string;
  orderQty?: number;
  settlDate?: string;
  currency?: string;
  bidPx?: number;
  offerPx?: number;
  validUntilTime?: string;
  transactTime?: string;
  quoteStatus?: number;
  text?: string;
}

export interface QuoteEntry {
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
}

export interface QuoteCancel extends Base<'Z'> {
  quoteReqID?: string;
  quoteID: string;
  quoteCancelType: number;
  quoteResponseLevel?: number;
  parties?: Party[];
  account?: string;
  quoteEntries?: QuoteEntry[];
}

export interface ExecutionReport extends Base<'8'> {
  orderID: string;
  clOrdID?: string;
  quoteRespID?: string;
  parties?: Party[];
  execID: string;
  execType: string;
  ordStatus: string;
  ordRejReason?: number;
  account?: string;
  settlType?: string;
  settlDate?: string;
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  side: string;
  orderQty?: number;
  ordType?: string;
  price?: number;
  currency?: string;
  lastQty?: number;
  lastPx?: number;
  leavesQty: number;
  cumQty: number;
  avgPx: number;
  tradeDate?: string;
  transactTime?: string;
  text?: string;
}

export interface TradeCaptureDate { tradeDate?: string; transactTime?: string }

export interface TradeCaptureReportRequest extends Base<'AD'> {
  tradeRequestID: string;
  tradeRequestType: number;
  subscriptionRequestType?: string;
  tradeReportID?: string;
  execID?: string;
  clOrdID?: string;
  parties?: Party[];
  symbol?: string;
  securityID?: string;
  securityIDSource?: string;
  dates?: TradeCaptureDate[];
  side?: string;
  text?: string;
}

export interface TradeSide {
  side: string;
  orderID: string;
  clOrdID?: string;
  parties?: Party[];
  account?: string;
  currency?: string;
  text?: string;
}

export interface TradeCaptureReport extends Base<'AE'> {
  tradeReportID: string;
  tradeReportTransType?: number;
  tradeReportType?: number;
  tradeRequestID?: string;
  execType?: string;
  totNumTradeReports?: number;
  lastRptRequested?: boolean;
  previouslyReported: boolean;
  execID?: string;
  ordStatus?: string;
  symbol: string;
  securityID?: string;
  securityIDSource?: string;
  lastQty: number;
  lastPx: number;
  tradeDate: string;
  transactTime?: string;
  settlType?: string;
  settlDate?: string;
  sides: TradeSide[];
}

export type SessionMessage = Logon | Heartbeat | TestRequest | ResendRequest | Reject | SequenceReset | Logout;
export type RfqMessage =
  | QuoteRequest | Quote | QuoteRequestReject | QuoteResponse | QuoteStatusReport | QuoteCancel
  | ExecutionReport | TradeCaptureReportRequest | TradeCaptureReport;
export type TypedMessage = SessionMessage | RfqMessage;
export type TypedMsgType = TypedMessage['msgType'];
export type MessageOf<T extends TypedMsgType> = Extract<TypedMessage, { msgType: T }>;

// ---------------------------------------------------------------------------------------------------------
// Specs: property → tag, or property → group. `required` adds requirements beyond the dictionary's.

interface GroupDecl {
  group: number;
  fields: Decl;
  required?: readonly string[];
}
type Decl = { readonly [key: string]: number | GroupDecl };

const PARTIES: GroupDecl = { group: 453, fields: { partyID: 448, partyIDSource: 447, partyRole: 452 }, required: ['partyID'] };

const HEADER: Decl = {
  senderCompID: 49, targetCompID: 56, onBehalfOfCompID: 115, deliverToCompID: 128, msgSeqNum: 34,
  senderSubID: 50, senderLocationID: 142, targetSubID: 57, targetLocationID: 143, onBehalfOfSubID: 116,
  deliverToSubID: 129, possDupFlag: 43, possResend: 97, sendingTime: 52, origSendingTime: 122,
  lastMsgSeqNumProcessed: 369,
};

interface MessageDecl { fields: Decl; required?: readonly string[] }

const INSTRUMENT = { symbol: 55, securityID: 48, securityIDSource: 22 } as const;

const SPECS: { readonly [T in TypedMsgType]: MessageDecl } = {
  A: {
    fields: {
      encryptMethod: 98, heartBtInt: 108, resetSeqNumFlag: 141, nextExpectedMsgSeqNum: 789, maxMessageSize: 383,
      msgTypes: { group: 384, fields: { refMsgType: 372, msgDirection: 385 }, required: ['refMsgType'] },
      testMessageIndicator: 464, username: 553, password: 554,
    },
  },
  '0': { fields: { testReqID: 112 } },
  '1': { fields: { testReqID: 112 } },
  '2': { fields: { beginSeqNo: 7, endSeqNo: 16 } },
  '3': { fields: { refSeqNum: 45, refTagID: 371, refMsgType: 372, sessionRejectReason: 373, text: 58 } },
  '4': { fields: { gapFillFlag: 123, newSeqNo: 36 } },
  '5': { fields: { text: 58 } },
  R: {
    fields: {
      quoteReqID: 131, rfqReqID: 644, clOrdID: 11, orderCapacity: 528,
      relatedSym: {
        group: 146,
        fields: {
          ...INSTRUMENT, securityType: 167, maturityDate: 541, quoteRequestType: 303, quoteType: 537,
          tradingSessionID: 336, side: 54, orderQty: 38, settlType: 63, settlDate: 64, settlDate2: 193,
          orderQty2: 192, currency: 15, account: 1, quotePriceType: 692, ordType: 40, validUntilTime: 62,
          expireTime: 126, transactTime: 60, price: 44, parties: PARTIES,
        },
        required: ['symbol'],
      },
      text: 58,
    },
  },
  S: {
    fields: {
      quoteReqID: 131, quoteID: 117, quoteRespID: 693, quoteType: 537, parties: PARTIES, ...INSTRUMENT,
      side: 54, orderQty: 38, settlType: 63, settlDate: 64, currency: 15, account: 1, bidPx: 132, offerPx: 133,
      bidSize: 134, offerSize: 135, validUntilTime: 62, bidSpotRate: 188, offerSpotRate: 190,
      bidForwardPoints: 189, offerForwardPoints: 191, transactTime: 60, ordType: 40, text: 58,
    },
    required: ['symbol'],
  },
  AG: {
    fields: {
      quoteReqID: 131, rfqReqID: 644, quoteRequestRejectReason: 658,
      relatedSym: {
        group: 146,
        fields: { ...INSTRUMENT, side: 54, orderQty: 38, settlDate: 64, currency: 15 },
        required: ['symbol'],
      },
      text: 58,
    },
  },
  AJ: {
    fields: {
      quoteRespID: 693, quoteID: 117, quoteRespType: 694, clOrdID: 11, parties: PARTIES, ...INSTRUMENT, side: 54,
      orderQty: 38, settlType: 63, settlDate: 64, currency: 15, account: 1, bidPx: 132, offerPx: 133, price: 44,
      validUntilTime: 62, transactTime: 60, ordType: 40, text: 58,
    },
    required: ['symbol'],
  },
  AI: {
    fields: {
      quoteStatusReqID: 649, quoteReqID: 131, quoteID: 117, quoteRespID: 693, quoteType: 537, parties: PARTIES,
      ...INSTRUMENT, side: 54, orderQty: 38, settlDate: 64, currency: 15, bidPx: 132, offerPx: 133,
      validUntilTime: 62, transactTime: 60, quoteStatus: 297, text: 58,
    },
    required: ['symbol'],
  },
  Z: {
    fields: {
      quoteReqID: 131, quoteID: 117, quoteCancelType: 298, quoteResponseLevel: 301, parties: PARTIES, account: 1,
      quoteEntries: { group: 295, fields: { ...INSTRUMENT }, required: ['symbol'] },
    },
  },
  '8': {
    fields: {
      orderID: 37, clOrdID: 11, quoteRespID: 693, parties: PARTIES, execID: 17, execType: 150, ordStatus: 39,
      ordRejReason: 103, account: 1, settlType: 63, settlDate: 64, ...INSTRUMENT, side: 54, orderQty: 38,
      ordType: 40, price: 44, currency: 15, lastQty: 32, lastPx: 31, leavesQty: 151, cumQty: 14, avgPx: 6,
      tradeDate: 75, transactTime: 60, text: 58,
    },
    required: ['symbol'],
  },
  AD: {
    fields: {
      tradeRequestID: 568, tradeRequestType: 569, subscriptionRequestType: 263, tradeReportID: 571, execID: 17,
      clOrdID: 11, parties: PARTIES, ...INSTRUMENT,
      dates: { group: 580, fields: { tradeDate: 75, transactTime: 60 } },
      side: 54, text: 58,
    },
  },
  AE: {
    fields: {
      tradeReportID: 571, tradeReportTransType: 487, tradeReportType: 856, tradeRequestID: 568, execType: 150,
      totNumTradeReports: 748, lastRptRequested: 912, previouslyReported: 570, execID: 17, ordStatus: 39,
      ...INSTRUMENT, lastQty: 32, lastPx: 31, tradeDate: 75, transactTime: 60, settlType: 63, settlDate: 64,
      sides: {
        group: 552,
        fields: { side: 54, orderID: 37, clOrdID: 11, parties: PARTIES, account: 1, currency: 15, text: 58 },
      },
    },
    required: ['symbol'],
  },
};

// ---------------------------------------------------------------------------------------------------------
// Compiled specs

const STR = 0, INT = 1, DEC = 2, BOOL = 3;

interface CField {
  readonly isGroup: false;
  readonly key: string;
  readonly tag: number;
  readonly conv: number;
  readonly def: FieldDef;
  /** The dictionary has a check for this value beyond "any string". */
  readonly checked: boolean;
  /** INT fields with an enumeration: the allowed values as numbers. */
  readonly intValues: ReadonlySet<number> | null;
  /**
   * validateMessage checks this field's value with checkValue, and converting it does not already imply
   * that check (it does for numbers and booleans without an enumeration).
   */
  readonly vcheck: boolean;
  /** "tag=", rendered once. */
  readonly tagPrefix: RenderedBytes;
  /** Index of this field's value cache in a TypedEncoder (numbered once all specs are compiled). */
  cacheSlot: number;
}
interface CGroup {
  readonly isGroup: true;
  readonly key: string;
  readonly tag: number;
  readonly tagPrefix: RenderedBytes;
  readonly spec: CSpec;
}
type CEntry = CField | CGroup;

interface CSpec {
  readonly name: string;
  /** Message specs: the MsgType ('' for the header and groups). */
  msgType: string;
  /** Entries by tag (index = tag). */
  readonly byTag: readonly (CEntry | undefined)[];
  /** Entries in dictionary order (encoding order). */
  readonly entries: readonly CEntry[];
  readonly required: readonly CEntry[];
  readonly section: SectionDef;
  /** Group specs only: the delimiter tag. */
  readonly delimiter: number;
  /** Makes an object with every property of the spec set to undefined (one literal: one shape per spec). */
  readonly create: () => Record<string, unknown>;
  /** Generated: stores one field's converted value on an object of this spec; 1 if the tag is a field here. */
  set: (o: Record<string, unknown>, tag: number, b: Buffer, vs: number, ve: number, trusted: boolean, msgType: string) => number;
  /** Generated: encodes an object of this spec (fields and groups in dictionary order) into `out`, with a
   * TypedEncoder's value caches. */
  enc: (o: Record<string, unknown>, out: FixEncoder, caches: readonly FieldValueCache[], msgType: string) => void;
  /** Generated: throws TypedMessageError for the first required property that is undefined. */
  req: (o: Record<string, unknown>, msgType: string) => void;
  /** Generated: every required property is set. */
  has: (o: Record<string, unknown>) => boolean;
  /** Generated, for readTyped: see makeReader. */
  read: (o: Record<string, unknown>, b: Buffer, idx: readonly number[], i: number, end: number) => number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A factory returning an object literal with these keys. Generated code, because a literal per spec gives
 * every decoded object of that spec a single hidden class from birth; adding properties one by one, or
 * spreading a template, leaves V8 on its slow generic paths. Keys come from the specs in this file only.
 */
function makeFactory(keys: string[]): () => Record<string, unknown> {
  for (const k of keys) if (!IDENT.test(k)) throw new Error(`messages: bad property name ${k}`);
  return new Function(`return function create() { return { ${keys.map((k) => `${k}: undefined`).join(', ')} }; };`)() as () => Record<string, unknown>;
}

const CONV_BY_TYPE: Record<string, number> = {
  INT: INT, LENGTH: INT, SEQNUM: INT, NUMINGROUP: INT, DAYOFMONTH: INT,
  FLOAT: DEC, PRICE: DEC, QTY: DEC, AMT: DEC, PRICEOFFSET: DEC, PERCENTAGE: DEC,
  BOOLEAN: BOOL,
};
const UNCHECKED_TYPES = new Set(['STRING', 'DATA', 'CURRENCY', 'EXCHANGE', 'COUNTRY']);

function compile(name: string, decl: Decl, section: SectionDef, dict: Dictionary, extraRequired: readonly string[], delimiter: number): CSpec {
  const entries: CEntry[] = [];
  for (const [key, v] of Object.entries(decl)) {
    const tag = typeof v === 'number' ? v : v.group;
    if (!section.fields.has(tag)) throw new Error(`messages: ${name}.${key}: tag ${tag} is not defined there by the dictionary`);
    if (typeof v === 'number') {
      const def = dict.field(v)!;
      const conv = CONV_BY_TYPE[def.type] ?? STR;
      const intValues = conv === INT && def.values !== null ? new Set([...def.values].map(Number)) : null;
      const checked = def.values !== null || !UNCHECKED_TYPES.has(def.type);
      const vcheck = (def.typeCode !== TYPE_STRING || def.values !== null) && (conv === STR || def.values !== null);
      entries.push({
        isGroup: false, key, tag: v, conv, def, checked, intValues, vcheck, tagPrefix: renderTagPrefix(v), cacheSlot: -1,
      });
    } else {
      const g = section.groups.get(v.group);
      if (g === undefined) throw new Error(`messages: ${name}.${key}: tag ${v.group} is not a repeating group`);
      const spec = compile(`${name}.${key}`, v.fields, g, dict, v.required ?? [], g.delimiter);
      if (spec.byTag[g.delimiter] === undefined) throw new Error(`messages: ${name}.${key} must map the group delimiter ${g.delimiter}`);
      entries.push({ isGroup: true, key, tag: v.group, tagPrefix: renderTagPrefix(v.group), spec });
    }
  }
  const pos = (t: number): number => section.order.indexOf(t);
  entries.sort((a, b) => pos(a.tag) - pos(b.tag));
  const byTag: (CEntry | undefined)[] = [];
  for (const e of entries) byTag[e.tag] = e;
  for (let i = 0; i < byTag.length; i++) if (byTag[i] === undefined) byTag[i] = undefined; // packed
  const required = entries.filter((e) => section.required.includes(e.tag) || extraRequired.includes(e.key));
  for (const r of section.required) {
    if (byTag[r] === undefined && !(delimiter === 0 && section === dict.header)) {
      throw new Error(`messages: ${name} does not map required tag ${r}`);
    }
  }
  const keys = entries.map((e) => e.key);
  if (delimiter === 0 && section !== dict.header) keys.unshift('msgType', 'header');
  const spec: CSpec = {
    name, msgType: '', byTag, entries, required, section, delimiter, create: makeFactory(keys), set: () => 0, enc: () => undefined,
    req: () => undefined, has: () => false, read: () => -1,
  };
  spec.set = makeSetter(spec);
  spec.read = makeReader(spec);
  spec.has = makeHasRequired(spec);
  spec.enc = makeEncoder(spec);
  spec.req = makeRequiredCheck(spec);
  return spec;
}

// Generated per spec: a switch on the tag with a named store per field, and an encoder with a named load per
// property. Named property accesses get their own inline caches (monomorphic here), where one generic loop
// with obj[key] would be megamorphic. Keys are checked identifiers and tags integers from the specs above.
function makeSetter(spec: CSpec): CSpec['set'] {
  const cases: string[] = [];
  spec.entries.forEach((e, i) => {
    if (e.isGroup) return;
    const conv = e.conv === INT ? 'dInt' : e.conv === DEC ? 'dDec' : e.conv === BOOL ? 'dBool' : 'dStr';
    cases.push(`case ${e.tag}: if (o.${e.key} !== undefined) dDup(SP, E[${i}], mt); o.${e.key} = ${conv}(SP, E[${i}], b, vs, ve, t, mt); return 1;`);
  });
  const src = `return function set(o, tag, b, vs, ve, t, mt) { switch (tag) { ${cases.join(' ')} default: return 0; } };`;
  return new Function('E', 'SP', 'dStr', 'dInt', 'dDec', 'dBool', 'dDup', src)(spec.entries, spec, dStr, dInt, dDec, dBool, dDup) as CSpec['set'];
}

// Generated per spec, for readTyped: reads the fields of one level (the header, a body, one group instance)
// from idx[i] on — a switch with a named store per field, as makeSetter — and returns where the first tag
// this level does not take stands (a group instance also stops at its delimiter's second occurrence), or -1
// when validateMessage would refuse what it read (the caller then takes the two-step path).
function makeReader(spec: CSpec): CSpec['read'] {
  const cases: string[] = [];
  const groups: CSpec[] = [];
  spec.entries.forEach((e, i) => {
    const again = spec.delimiter !== 0 && e.tag === spec.delimiter ? 'return i;' : 'return -1;';
    if (e.isGroup) {
      groups.push(e.spec);
      cases.push(`case ${e.tag}: { if (o.${e.key} !== undefined) return -1; const n = readCount(b, vs, ve); if (n < 0) return -1; ` +
        `const arr = []; o.${e.key} = arr; i = readGroup(G[${groups.length - 1}], arr, b, idx, i + 3, end, n); if (i < 0) return -1; i -= 3; break; }`);
      return;
    }
    const d = e.def;
    const conv = e.conv === INT ? 'cInt' : e.conv === DEC ? 'cDec' : e.conv === BOOL ? 'cBool'
      : d.typeCode === TYPE_TIMESTAMP && d.values === null ? 'cTs'
      : d.typeCode === TYPE_CHAR && d.values !== null && !d.multiValue ? 'cChar' : 'cStr';
    cases.push(`case ${e.tag}: if (o.${e.key} !== undefined) ${again} v = ${conv}(E[${i}], b, vs, ve); if (v === undefined) return -1; o.${e.key} = v; break;`);
  });
  const src = `return function read(o, b, idx, i, end) { let v; for (; i < end; i += 3) { const vs = idx[i + 1], ve = idx[i + 2]; ` +
    `switch (idx[i]) { ${cases.join(' ')} default: return i; } } return i; };`;
  return new Function('E', 'G', 'cStr', 'cInt', 'cDec', 'cBool', 'cTs', 'cChar', 'readCount', 'readGroup', src)(
    spec.entries, groups, cStr, cInt, cDec, cBool, cTs, cChar, readCount, readGroup) as CSpec['read'];
}

function makeHasRequired(spec: CSpec): CSpec['has'] {
  const conds = spec.required.map((e) => `o.${e.key} !== undefined`);
  return new Function(`return function has(o) { return ${conds.length > 0 ? conds.join(' && ') : 'true'}; };`)() as CSpec['has'];
}

function makeEncoder(spec: CSpec): CSpec['enc'] {
  const lines: string[] = [];
  spec.entries.forEach((e, i) => {
    const fn = e.isGroup ? 'writeGroup' : e.conv === INT ? 'writeIntField' : e.conv === DEC ? 'writeDecimalField'
      : e.conv === BOOL ? 'writeBooleanField' : 'writeStringField';
    const missing = spec.required.includes(e) ? ` else missingRequired(SP, E[${i}], mt);` : '';
    lines.push(`v = o.${e.key}; if (v !== undefined) ${fn}(out, caches, mt, SP, E[${i}], v);${missing}`);
  });
  const src = `return function enc(o, out, caches, mt) { let v; ${lines.join(' ')} };`;
  return new Function('E', 'SP', 'writeStringField', 'writeIntField', 'writeDecimalField', 'writeBooleanField', 'writeGroup', 'missingRequired', src)(
    spec.entries, spec, writeStringField, writeIntField, writeDecimalField, writeBooleanField, writeGroup, missingRequired) as CSpec['enc'];
}

function makeRequiredCheck(spec: CSpec): CSpec['req'] {
  const lines = spec.required.map((e) => `if (o.${e.key} === undefined) missingRequired(SP, E[${spec.entries.indexOf(e)}], mt);`);
  return new Function('E', 'SP', 'missingRequired', `return function req(o, mt) { ${lines.join(' ')} };`)(spec.entries, spec, missingRequired) as CSpec['req'];
}


function dStr(sp: CSpec, e: CField, b: Buffer, vs: number, ve: number, t: boolean, mt: string): string {
  if (ve === vs) fail(sp, mt, e.tag, `tag ${e.tag} (${e.key}) has no value`);
  if (!t && e.checked && checkValue(e.def, b, vs, ve) !== 0) badValue(e, b, vs, ve, sp, mt);
  return latin1Slice(b, vs, ve);
}
function dInt(sp: CSpec, e: CField, b: Buffer, vs: number, ve: number, t: boolean, mt: string): number {
  const v = parseIntBytes(b, vs, ve);
  if (v === undefined) fail(sp, mt, e.tag, ve === vs ? `tag ${e.tag} (${e.key}) has no value` : `tag ${e.tag} (${e.key}) is not an integer`);
  if (!t && e.intValues !== null && !e.intValues.has(v)) badValue(e, b, vs, ve, sp, mt);
  return v;
}
function dDec(sp: CSpec, e: CField, b: Buffer, vs: number, ve: number, _t: boolean, mt: string): number {
  const v = parseDecimal(b, vs, ve);
  if (v === undefined) fail(sp, mt, e.tag, ve === vs ? `tag ${e.tag} (${e.key}) has no value` : `tag ${e.tag} (${e.key}) is not a decimal number`);
  return v;
}
function dBool(sp: CSpec, e: CField, b: Buffer, vs: number, ve: number, _t: boolean, mt: string): boolean {
  const c = b[vs];
  if (ve - vs !== 1 || (c !== 0x59 && c !== 0x4e)) {
    fail(sp, mt, e.tag, ve === vs ? `tag ${e.tag} (${e.key}) has no value` : `tag ${e.tag} (${e.key}) is not Y or N`);
  }
  return c === 0x59;
}
// readTyped's converters: undefined where validateMessage would reject the value (empty, bad format, not
// in the enumeration), else what the d* converters give.
function cStr(e: CField, b: Buffer, vs: number, ve: number): string | undefined {
  if (ve === vs || (e.vcheck && checkValue(e.def, b, vs, ve) !== 0)) return undefined;
  // A new string: interning (hashing every value to find repeats) cost more (~6 %) than it saved here.
  return latin1Slice(b, vs, ve);
}
// Specialised cStr for the commonest checked kinds: a timestamp, a one-character enumeration.
function cTs(_e: CField, b: Buffer, vs: number, ve: number): string | undefined {
  return isTimestamp(b, vs, ve) ? latin1Slice(b, vs, ve) : undefined;
}
function cChar(e: CField, b: Buffer, vs: number, ve: number): string | undefined {
  if (ve - vs !== 1 || e.def.charValues![b[vs]!] !== 1) return undefined;
  return String.fromCharCode(b[vs]!);
}
function cInt(e: CField, b: Buffer, vs: number, ve: number): number | undefined {
  const v = parseIntBytes(b, vs, ve);
  if (v === undefined || (e.vcheck && checkValue(e.def, b, vs, ve) !== 0)) return undefined;
  return v;
}
function cDec(e: CField, b: Buffer, vs: number, ve: number): number | undefined {
  const v = ve === vs ? undefined : parseDecimal(b, vs, ve);
  if (v === undefined || (e.vcheck && checkValue(e.def, b, vs, ve) !== 0)) return undefined;
  return v;
}
function cBool(e: CField, b: Buffer, vs: number, ve: number): boolean | undefined {
  const c = b[vs];
  if (ve - vs !== 1 || (c !== 0x59 && c !== 0x4e) || (e.vcheck && checkValue(e.def, b, vs, ve) !== 0)) return undefined;
  return c === 0x59;
}
function dDup(sp: CSpec, e: CField, mt: string): never {
  fail(sp, mt, e.tag, `tag ${e.tag} appears more than once`);
}

// The typed encoder's value caches: at most CACHE_SIZE values per field; a field whose lookups mostly miss
// after CACHE_TRIAL misses stops being cached (its values do not repeat).
const CACHE_SIZE = 64;
const CACHE_TRIAL = 256;

/** One field's value cache in a TypedEncoder. */
interface FieldValueCache {
  /**
   * Encoded "tag=value<SOH>" of values seen before (only values that passed every check), while they
   * repeat often enough to pay for the lookup; null once they do not (ids, timestamps, prices).
   */
  rendered: Map<unknown, RenderedBytes> | null;
  /** The last hit (values often repeat from one message to the next: no hashing then). */
  lastValue: unknown;
  lastRendered: RenderedBytes | null;
  hits: number;
  misses: number;
}

/** Writes the cached field for `v`, if there is one. */
function writeCached(out: FixEncoder, cache: FieldValueCache, v: unknown): boolean {
  if (v === cache.lastValue) {
    cache.hits++;
    out.writeRendered(cache.lastRendered!);
    return true;
  }
  const r = cache.rendered!.get(v);
  if (r === undefined) return false;
  cache.hits++;
  cache.lastValue = v;
  cache.lastRendered = r;
  out.writeRendered(r);
  return true;
}

/** Keeps the field just written (from `offset` on) for `v`, or gives up caching a field that keeps missing. */
function remember(out: FixEncoder, cache: FieldValueCache, v: unknown, offset: number): void {
  const c = cache.rendered!;
  if (++cache.misses >= CACHE_TRIAL && cache.misses > cache.hits) {
    cache.rendered = null;
    cache.lastValue = undefined;
    cache.lastRendered = null;
    return;
  }
  if (c.size < CACHE_SIZE) c.set(v, out.renderSince(offset));
}

// The generated encoders (makeEncoder) call these with the FixEncoder, the TypedEncoder's value caches, the
// MsgType (for errors), the spec and the field: each checks the value as toFields' encodeValue does and writes tag=value<SOH>.
function writeStringField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CSpec, e: CField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'string') fail(sp, mt, e.tag, `${e.key} must be a string, got ${JSON.stringify(v)}`);
  if (v.length === 0) fail(sp, mt, e.tag, `${e.key} must not be empty`);
  const d = e.def;
  const enumerated = e.checked && d.values !== null && !d.multiValue;
  if (enumerated && !(d.values!.has(v) && (d.typeCode !== TYPE_CHAR || v.length === 1))) invalidString(e, v, sp, mt);
  const from = out.offsetInMessage();
  const valueStart = out.writePrefixedString(e.tagPrefix, e.tag, v);
  if (valueStart < 0) {
    // Report a bad value as such before reporting the character the wire cannot carry.
    if (e.checked && !enumerated && !stringValueOk(d, v)) invalidString(e, v, sp, mt);
    throw unencodableStringError(e.tag, v);
  }
  // Other checked types (timestamps, dates, CHAR, ...) are checked on the bytes just written.
  if (e.checked && !enumerated && checkValue(d, out.writtenBytes(), valueStart, out.writePosition() - 1) !== 0) {
    invalidString(e, v, sp, mt);
  }
  if (caching) remember(out, cache, v, from);
}
function writeIntField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CSpec, e: CField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(sp, mt, e.tag, `${e.key} must be an integer, got ${JSON.stringify(v)}`);
  if (e.intValues !== null && !e.intValues.has(v)) invalidString(e, String(v), sp, mt);
  const from = out.offsetInMessage();
  out.writePrefixedInt(e.tagPrefix, e.tag, v);
  if (caching) remember(out, cache, v, from);
}
function writeDecimalField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CSpec, e: CField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(sp, mt, e.tag, `${e.key} must be a finite number, got ${JSON.stringify(v)}`);
  const from = out.offsetInMessage();
  out.writePrefixedDecimal(e.tagPrefix, e.tag, v);
  if (caching) remember(out, cache, v, from);
}
function writeBooleanField(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CSpec, e: CField, v: unknown): void {
  const cache = caches[e.cacheSlot];
  const caching = cache !== undefined && cache.rendered !== null;
  if (caching && writeCached(out, cache, v)) return;
  if (typeof v !== 'boolean') fail(sp, mt, e.tag, `${e.key} must be a boolean, got ${JSON.stringify(v)}`);
  const from = out.offsetInMessage();
  out.writePrefixedString(e.tagPrefix, e.tag, v ? 'Y' : 'N');
  if (caching) remember(out, cache, v, from);
}
function writeGroup(out: FixEncoder, caches: readonly FieldValueCache[], mt: string, sp: CSpec, e: CGroup, v: unknown): void {
  if (!Array.isArray(v)) fail(sp, mt, e.tag, `${e.key} must be an array`);
  out.writePrefixedInt(e.tagPrefix, e.tag, v.length);
  const inner = e.spec;
  for (let j = 0; j < v.length; j++) {
    const o = v[j] as unknown;
    if (o === null || typeof o !== 'object') fail(inner, mt, undefined, `expected an object, got ${JSON.stringify(o)}`);
    inner.enc(o as Record<string, unknown>, out, caches, mt);
  }
}
function missingRequired(sp: CSpec, e: CEntry, mt: string): never {
  fail(sp, mt, e.tag, `required tag ${e.tag} (${e.key}) is missing`);
}

interface Compiled {
  dict: Dictionary;
  header: CSpec;
  messages: Map<string, CSpec>;
  /** Message specs by MsgType bytes: c0 | c1 << 8. */
  byCode: Map<number, CSpec>;
  /** Number of fields in all specs (CField.cacheSlot is below it). */
  cacheSlots: number;
}
let compiled: Compiled | undefined;

function specs(): Compiled {
  if (compiled !== undefined) return compiled;
  const dict = fix44Dictionary();
  const header = compile('StandardHeader', HEADER, dict.header, dict, ['senderCompID', 'targetCompID', 'msgSeqNum', 'sendingTime'], 0);
  const messages = new Map<string, CSpec>();
  for (const [mt, decl] of Object.entries(SPECS) as [TypedMsgType, MessageDecl][]) {
    const def = dict.message(mt);
    if (def === undefined) throw new Error(`messages: MsgType ${mt} is not in the dictionary`);
    const spec = compile(def.name, decl.fields, def, dict, decl.required ?? [], 0);
    spec.msgType = mt;
    messages.set(mt, spec);
  }
  const byCode = new Map<number, CSpec>();
  for (const [mt, spec] of messages) {
    if (mt.length < 1 || mt.length > 2 || mt.charCodeAt(0) > 0xff || (mt.length === 2 && mt.charCodeAt(1) > 0xff)) {
      throw new Error(`messages: MsgType ${mt} is not one or two Latin-1 characters`);
    }
    byCode.set(mt.length === 1 ? mt.charCodeAt(0) : mt.charCodeAt(0) | (mt.charCodeAt(1) << 8), spec);
  }
  compiled = { dict, header, messages, byCode, cacheSlots: numberCacheSlots([header, ...messages.values()]) };
  return compiled;
}

/** Gives every field of these specs (groups included) its own TypedEncoder cache slot; returns how many. */
function numberCacheSlots(roots: CSpec[]): number {
  let next = 0;
  const walk = (spec: CSpec): void => {
    for (const e of spec.entries) {
      if (e.isGroup) walk(e.spec);
      else e.cacheSlot = next++;
    }
  };
  for (const r of roots) walk(r);
  return next;
}

/** MsgTypes with a typed form. */
export function isTypedMsgType(msgType: string): msgType is TypedMsgType {
  return Object.prototype.hasOwnProperty.call(SPECS, msgType);
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

function fail(spec: CSpec, msgType: string, tag: number | undefined, why: string): never {
  throw new TypedMessageError(msgType, tag, `${spec.name}: ${why}`);
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/**
 * Decimal bytes → number. With at most 15 significant digits the integer mantissa and the power of ten are
 * exact doubles, so one division gives the correctly rounded result (the same as parseFloat).
 */
function parseDecimal(buf: Buffer, vs: number, ve: number): number | undefined {
  const len = ve - vs;
  if (len > 1 && len <= 9 && buf[vs] !== 0x2d) {
    // Prices and quantities: at most 9 characters, so the digits fit int32 arithmetic; same result as below.
    let m = 0;
    let dotAt = -1;
    for (let k = vs; k < ve; k++) {
      const d = (buf[k]! - 0x30) >>> 0;
      if (d <= 9) m = m * 10 + d;
      else if (d === 0xfffffffe && dotAt < 0) dotAt = k; // '.'
      else return undefined;
    }
    return dotAt < 0 ? m : m / POW10[ve - dotAt - 1]!;
  }
  let i = vs;
  let neg = false;
  if (buf[i] === 0x2d) { neg = true; i++; }
  let m = 0, digits = 0, scale = 0, dot = false;
  for (; i < ve; i++) {
    const c = buf[i]!;
    if (c >= 0x30 && c <= 0x39) {
      if (m !== 0 || c !== 0x30) digits++;
      m = m * 10 + (c - 0x30);
      if (dot) scale++;
    } else if (c === 0x2e && !dot) dot = true;
    else return undefined;
  }
  if (digits === 0 && m === 0 && ve - vs - (neg ? 1 : 0) - (dot ? 1 : 0) <= 0) return undefined;
  if (digits > 15 || scale > 22) {
    const v = Number(latin1Slice(buf, vs, ve));
    return Number.isFinite(v) ? v : undefined;
  }
  const v = scale === 0 ? m : m / POW10[scale]!;
  return neg ? -v : v;
}

interface Frame {
  spec: CSpec;
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
    const vs = idx[i + 1]!, ve = idx[i + 2]!;
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
    if (s.set(top.obj, tag, buf, vs, ve, trusted, mt) === 1) continue;
    const e = tag >= 0 && tag < s.byTag.length ? s.byTag[tag] : undefined;
    if (e === undefined || !e.isGroup) {
      const g = s.section.groups.get(tag);
      if (g !== undefined) { skipStack.push(g); skipDepth++; }
      continue;
    }
    const count = parseIntBytes(buf, vs, ve);
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

function checkRequired(spec: CSpec, obj: Record<string, unknown>, mt: string): void {
  spec.req(obj, mt);
}

function badValue(e: CField, buf: Buffer, vs: number, ve: number, spec: CSpec, mt: string): never {
  fail(spec, mt, e.tag, `tag ${e.tag} (${e.key}) has an invalid value ${JSON.stringify(latin1Slice(buf, vs, ve))} for type ${e.def.type}`);
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
 * validateMessage checks of those: values (cStr etc.), no repeats, header/body order, group placement and
 * counts, required fields (the typed specs require at least what the dictionary does).
 */
function readTyped(c: Compiled, buf: Buffer, idx: readonly number[], n: number): TypedMessage | null {
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

/**
 * The instances of a group whose NumInGroup said `expected`, starting at idx[i]: each must start with the
 * delimiter; the group ends at the first tag that is not one. Returns where it ended, -1 to give up.
 */
function readGroup(
  gs: CSpec, arr: Record<string, unknown>[], b: Buffer, idx: readonly number[], i: number, end: number, expected: number,
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
function readCount(b: Buffer, vs: number, ve: number): number {
  if (ve === vs || ve - vs > 6) return -1;
  let n = 0;
  for (let k = vs; k < ve; k++) {
    const d = b[k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Encoding

function formatNumber(e: CField, v: unknown, spec: CSpec, mt: string): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(spec, mt, e.tag, `${e.key} must be a finite number, got ${JSON.stringify(v)}`);
  if (e.conv === INT) {
    if (!Number.isSafeInteger(v)) fail(spec, mt, e.tag, `${e.key} must be an integer, got ${v}`);
    return String(v);
  }
  const s = String(v);
  if (s.indexOf('e') < 0) return s;
  if (Math.abs(v) >= 1e21) fail(spec, mt, e.tag, `${e.key}=${v} is too large for a FIX decimal`);
  return v.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

function encodeValue(e: CField, v: unknown, spec: CSpec, mt: string): string {
  let s: string;
  switch (e.conv) {
    case INT: case DEC:
      s = formatNumber(e, v, spec, mt);
      break;
    case BOOL:
      if (typeof v !== 'boolean') fail(spec, mt, e.tag, `${e.key} must be a boolean, got ${JSON.stringify(v)}`);
      return v ? 'Y' : 'N';
    default:
      if (typeof v !== 'string') fail(spec, mt, e.tag, `${e.key} must be a string, got ${JSON.stringify(v)}`);
      if (v.length === 0) fail(spec, mt, e.tag, `${e.key} must not be empty`);
      s = v;
  }
  if (e.checked && !stringValueOk(e.def, s)) invalidString(e, s, spec, mt);
  return s;
}

// Value checks of outgoing strings reuse the byte-level checkers through a copy of the string's bytes.
function stringValueOk(fd: FieldDef, s: string): boolean {
  const n = s.length;
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    b[i] = c > 0xff ? 0x3f : c;
  }
  return checkValue(fd, b, 0, n) === 0;
}

function invalidString(e: CField, s: string, spec: CSpec, mt: string): never {
  fail(spec, mt, e.tag, `${e.key}=${JSON.stringify(s)} is not a valid ${e.def.type}${e.def.values ? ` (allowed: ${[...e.def.values].join(', ')})` : ''}`);
}

const MSG_TYPE_PREFIX = renderTagPrefix(35);

/**
 * Encodes typed messages straight to bytes — the fast path, the same output as
 * encodeMessage(beginString, toFields(msg, header)) without building the Field[] in between. It owns its
 * FixEncoder (the slab the messages are written into) and, per field, a cache of the encoded fields of values
 * that repeat (CompIDs, symbols, enumerations, dates, quantities), so keep one per session or connection:
 * encoders are independent of each other. A returned Buffer is a view of the slab (see fix/codec/encoder.ts):
 * never overwritten, but it keeps the slab alive.
 */
export class TypedEncoder {
  readonly bytes: FixEncoder;
  /** Per field (CField.cacheSlot): its value cache; none for a one-message encoder. */
  readonly valueCaches: FieldValueCache[];

  /** `oneMessage`: for a single message (a small slab and no value caches: they would not be reused). */
  constructor(opts?: { oneMessage?: boolean }) {
    const oneMessage = opts?.oneMessage === true;
    this.bytes = new FixEncoder(oneMessage ? 1024 : undefined);
    this.valueCaches = [];
    if (!oneMessage) {
      for (let i = 0; i < specs().cacheSlots; i++) {
        this.valueCaches.push({ rendered: new Map(), lastValue: undefined, lastRendered: null, hits: 0, misses: 0 });
      }
    }
  }

  encode(beginString: string, msg: TypedMessage, header?: StandardHeader): Buffer {
    const c = specs();
    const mt = (msg as { msgType?: unknown }).msgType;
    const spec = typeof mt === 'string' ? c.messages.get(mt) : undefined;
    if (spec === undefined) throw new TypedMessageError(String(mt), 35, `MsgType ${JSON.stringify(mt)} has no typed form`);
    const msgType = mt as string;
    const out = this.bytes;
    out.begin();
    try {
      if (out.writePrefixedString(MSG_TYPE_PREFIX, 35, msgType) < 0) throw unencodableStringError(35, msgType);
      const h = header ?? msg.header;
      if (h !== undefined) {
        if (h === null || typeof h !== 'object') fail(c.header, msgType, undefined, 'header must be an object');
        c.header.enc(h as unknown as Record<string, unknown>, out, this.valueCaches, msgType);
      }
      spec.enc(msg as unknown as Record<string, unknown>, out, this.valueCaches, msgType);
    } catch (e) {
      out.abort();
      throw e;
    }
    return out.finish(beginString);
  }
}

/** TypedEncoder.encode with `encoder`, or with one made for this message. */
export function encodeTyped(beginString: string, msg: TypedMessage, header?: StandardHeader, encoder?: TypedEncoder): Buffer {
  return (encoder ?? new TypedEncoder({ oneMessage: true })).encode(beginString, msg, header);
}

function encodeSection(spec: CSpec, obj: Record<string, unknown>, out: Field[], mt: string): void {
  if (obj === null || typeof obj !== 'object') fail(spec, mt, undefined, `expected an object, got ${JSON.stringify(obj)}`);
  checkRequired(spec, obj, mt);
  const entries = spec.entries;
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    const v = obj[e.key];
    if (v === undefined) continue;
    if (!e.isGroup) {
      out.push({ tag: e.tag, value: encodeValue(e, v, spec, mt) });
      continue;
    }
    if (!Array.isArray(v)) fail(spec, mt, e.tag, `${e.key} must be an array`);
    out.push({ tag: e.tag, value: String(v.length) });
    for (const inst of v as Record<string, unknown>[]) encodeSection(e.spec, inst, out, mt);
  }
}

/**
 * The fields of a typed message, MsgType(35) first, then the header fields (when `header` is given, or the
 * message carries one), then the body in dictionary order — ready for encodeMessage(beginString, fields).
 */
export function toFields(msg: TypedMessage, header?: StandardHeader): Field[] {
  const c = specs();
  const mt = (msg as { msgType?: unknown }).msgType;
  const spec = typeof mt === 'string' ? c.messages.get(mt) : undefined;
  if (spec === undefined) throw new TypedMessageError(String(mt), 35, `MsgType ${JSON.stringify(mt)} has no typed form`);
  const out: Field[] = [{ tag: 35, value: mt as string }];
  const h = header ?? msg.header;
  if (h !== undefined) encodeSection(c.header, h as unknown as Record<string, unknown>, out, mt as string);
  encodeSection(spec, msg as unknown as Record<string, unknown>, out, mt as string);
  return out;
}

/** A FixMessage of a typed message's fields (35, header, body), without 8/9/10. */
export function toFixMessage(msg: TypedMessage, header?: StandardHeader): FixMessage {
  return new FixMessage(toFields(msg, header));
}
