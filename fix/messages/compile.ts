// Compiling the specs against the FIX 4.4 dictionary, and the code generated per spec: a factory, a setter
// and a reader for decoding, an encoder and the required-field checks.
import { renderTagPrefix } from '../codec.ts';
import { fix44Dictionary, TYPE_CHAR, TYPE_STRING, TYPE_TIMESTAMP, type Dictionary, type SectionDef } from '../dictionary/dictionary.ts';
import { BOOL, DEC, INT, STR, type CompiledEntry, type CompiledSpec, type CompiledSpecs } from './compiled.ts';
import {
  checkedBoolean, checkedChar, checkedDecimal, checkedInt, checkedString, checkedTimestamp, decodeBoolean, decodeDecimal, decodeInt,
  decodeString, readCount, readGroup, repeatedTag,
} from './field-readers.ts';
import { missingRequired, writeBooleanField, writeDecimalField, writeGroup, writeIntField, writeStringField } from './field-writers.ts';
import { HEADER, SPECS, type Decl, type MessageDecl } from './specs.ts';
import type { TypedMsgType } from './types.ts';

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

const VALUE_KIND_BY_TYPE: Record<string, number> = {
  INT: INT, LENGTH: INT, SEQNUM: INT, NUMINGROUP: INT, DAYOFMONTH: INT,
  FLOAT: DEC, PRICE: DEC, QTY: DEC, AMT: DEC, PRICEOFFSET: DEC, PERCENTAGE: DEC,
  BOOLEAN: BOOL,
};

const UNCHECKED_TYPES = new Set(['STRING', 'DATA', 'CURRENCY', 'EXCHANGE', 'COUNTRY']);

function compile(name: string, decl: Decl, section: SectionDef, dict: Dictionary, extraRequired: readonly string[], delimiter: number): CompiledSpec {
  const entries: CompiledEntry[] = [];
  for (const [key, v] of Object.entries(decl)) {
    const tag = typeof v === 'number' ? v : v.group;
    if (!section.fields.has(tag)) throw new Error(`messages: ${name}.${key}: tag ${tag} is not defined there by the dictionary`);
    if (typeof v === 'number') {
      const def = dict.field(v)!;
      const valueKind = VALUE_KIND_BY_TYPE[def.type] ?? STR;
      const intValues = valueKind === INT && def.values !== null ? new Set([...def.values].map(Number)) : null;
      const checked = def.values !== null || !UNCHECKED_TYPES.has(def.type);
      const needsValueCheck = (def.typeCode !== TYPE_STRING || def.values !== null) && (valueKind === STR || def.values !== null);
      entries.push({
        isGroup: false, key, tag: v, valueKind, def, checked, intValues, needsValueCheck, tagPrefix: renderTagPrefix(v), cacheSlot: -1,
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
  const byTag: (CompiledEntry | undefined)[] = [];
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
  const spec: CompiledSpec = {
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
function makeSetter(spec: CompiledSpec): CompiledSpec['set'] {
  const cases: string[] = [];
  spec.entries.forEach((e, i) => {
    if (e.isGroup) return;
    const converter = e.valueKind === INT ? 'decodeInt' : e.valueKind === DEC ? 'decodeDecimal' : e.valueKind === BOOL ? 'decodeBoolean' : 'decodeString';
    cases.push(`case ${e.tag}: if (o.${e.key} !== undefined) repeatedTag(SP, E[${i}], mt); o.${e.key} = ${converter}(SP, E[${i}], b, valueStart, valueEnd, t, mt); return 1;`);
  });
  const src = `return function set(o, tag, b, valueStart, valueEnd, t, mt) { switch (tag) { ${cases.join(' ')} default: return 0; } };`;
  return new Function('E', 'SP', 'decodeString', 'decodeInt', 'decodeDecimal', 'decodeBoolean', 'repeatedTag', src)(spec.entries, spec, decodeString, decodeInt, decodeDecimal, decodeBoolean, repeatedTag) as CompiledSpec['set'];
}

// Generated per spec, for readTyped: reads the fields of one level (the header, a body, one group instance)
// from idx[i] on — a switch with a named store per field, as makeSetter — and returns where the first tag
// this level does not take stands (a group instance also stops at its delimiter's second occurrence), or -1
// when validateMessage would refuse what it read (the caller then takes the two-step path).
function makeReader(spec: CompiledSpec): CompiledSpec['read'] {
  const cases: string[] = [];
  const groups: CompiledSpec[] = [];
  spec.entries.forEach((e, i) => {
    const again = spec.delimiter !== 0 && e.tag === spec.delimiter ? 'return i;' : 'return -1;';
    if (e.isGroup) {
      groups.push(e.spec);
      cases.push(`case ${e.tag}: { if (o.${e.key} !== undefined) return -1; const n = readCount(b, valueStart, valueEnd); if (n < 0) return -1; ` +
        `const arr = []; o.${e.key} = arr; i = readGroup(G[${groups.length - 1}], arr, b, idx, i + 3, end, n); if (i < 0) return -1; i -= 3; break; }`);
      return;
    }
    const d = e.def;
    const converter = e.valueKind === INT ? 'checkedInt' : e.valueKind === DEC ? 'checkedDecimal' : e.valueKind === BOOL ? 'checkedBoolean'
      : d.typeCode === TYPE_TIMESTAMP && d.values === null ? 'checkedTimestamp'
      : d.typeCode === TYPE_CHAR && d.values !== null && !d.multiValue ? 'checkedChar' : 'checkedString';
    cases.push(`case ${e.tag}: if (o.${e.key} !== undefined) ${again} v = ${converter}(E[${i}], b, valueStart, valueEnd); if (v === undefined) return -1; o.${e.key} = v; break;`);
  });
  const src = `return function read(o, b, idx, i, end) { let v; for (; i < end; i += 3) { const valueStart = idx[i + 1], valueEnd = idx[i + 2]; ` +
    `switch (idx[i]) { ${cases.join(' ')} default: return i; } } return i; };`;
  return new Function('E', 'G', 'checkedString', 'checkedInt', 'checkedDecimal', 'checkedBoolean', 'checkedTimestamp', 'checkedChar', 'readCount', 'readGroup', src)(
    spec.entries, groups, checkedString, checkedInt, checkedDecimal, checkedBoolean, checkedTimestamp, checkedChar, readCount, readGroup) as CompiledSpec['read'];
}

function makeHasRequired(spec: CompiledSpec): CompiledSpec['has'] {
  const conds = spec.required.map((e) => `o.${e.key} !== undefined`);
  return new Function(`return function has(o) { return ${conds.length > 0 ? conds.join(' && ') : 'true'}; };`)() as CompiledSpec['has'];
}

function makeEncoder(spec: CompiledSpec): CompiledSpec['enc'] {
  const lines: string[] = [];
  spec.entries.forEach((e, i) => {
    const fn = e.isGroup ? 'writeGroup' : e.valueKind === INT ? 'writeIntField' : e.valueKind === DEC ? 'writeDecimalField'
      : e.valueKind === BOOL ? 'writeBooleanField' : 'writeStringField';
    const missing = spec.required.includes(e) ? ` else missingRequired(SP, E[${i}], mt);` : '';
    lines.push(`v = o.${e.key}; if (v !== undefined) ${fn}(out, caches, mt, SP, E[${i}], v);${missing}`);
  });
  const src = `return function enc(o, out, caches, mt) { let v; ${lines.join(' ')} };`;
  return new Function('E', 'SP', 'writeStringField', 'writeIntField', 'writeDecimalField', 'writeBooleanField', 'writeGroup', 'missingRequired', src)(
    spec.entries, spec, writeStringField, writeIntField, writeDecimalField, writeBooleanField, writeGroup, missingRequired) as CompiledSpec['enc'];
}

function makeRequiredCheck(spec: CompiledSpec): CompiledSpec['req'] {
  const lines = spec.required.map((e) => `if (o.${e.key} === undefined) missingRequired(SP, E[${spec.entries.indexOf(e)}], mt);`);
  return new Function('E', 'SP', 'missingRequired', `return function req(o, mt) { ${lines.join(' ')} };`)(spec.entries, spec, missingRequired) as CompiledSpec['req'];
}

let compiled: CompiledSpecs | undefined;

export function specs(): CompiledSpecs {
  if (compiled !== undefined) return compiled;
  const dict = fix44Dictionary();
  const header = compile('StandardHeader', HEADER, dict.header, dict, ['senderCompID', 'targetCompID', 'msgSeqNum', 'sendingTime'], 0);
  const messages = new Map<string, CompiledSpec>();
  for (const [mt, decl] of Object.entries(SPECS) as [TypedMsgType, MessageDecl][]) {
    const def = dict.message(mt);
    if (def === undefined) throw new Error(`messages: MsgType ${mt} is not in the dictionary`);
    const spec = compile(def.name, decl.fields, def, dict, decl.required ?? [], 0);
    spec.msgType = mt;
    messages.set(mt, spec);
  }
  const byCode = new Map<number, CompiledSpec>();
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
function numberCacheSlots(roots: CompiledSpec[]): number {
  let next = 0;
  const walk = (spec: CompiledSpec): void => {
    for (const e of spec.entries) {
      if (e.isGroup) walk(e.spec);
      else e.cacheSlot = next++;
    }
  };
  for (const r of roots) walk(r);
  return next;
}
