// The runtime FIX dictionary: fields by tag, and for the header, trailer, each message and each repeating
// group the tags it allows (components flattened), which are required, and the nested groups. Built once
// from a DictionarySource (the generated FIX 4.4 one, optionally extended with Parley's own messages).
import { FIX44_SOURCE } from './fix44.ts';
import type { DictionarySource, EntrySource, FieldSource, MessageSource } from './source.ts';

export type { DictionarySource, EntrySource, FieldSource, MessageSource } from './source.ts';

/** A set of tags: a byte table for the common small tags, a Set above it. */
export class TagSet {
  private readonly small = new Uint8Array(1024);
  private readonly large = new Set<number>();
  add(tag: number): void {
    if (tag >= 0 && tag < 1024) this.small[tag] = 1;
    else this.large.add(tag);
  }
  has(tag: number): boolean {
    return tag >= 0 && tag < 1024 ? this.small[tag] === 1 : this.large.has(tag);
  }
}

export interface FieldDef {
  readonly tag: number;
  readonly name: string;
  readonly type: string;
  /** Allowed values (null when any value of the type is allowed). */
  readonly values: ReadonlySet<string> | null;
  readonly valueNames: Readonly<Record<string, string>> | null;
  /** MULTIPLEVALUESTRING etc.: space-separated values, each checked against `values`. */
  readonly multiValue: boolean;
  /** The value syntax to check (TYPE_* below), precomputed from `type`. */
  readonly typeCode: number;
  readonly isNumInGroup: boolean;
  /** For enumerated fields: byte → 1 when that one-character value is allowed (avoids a string per check). */
  readonly charValues: Uint8Array | null;
}

// Value syntaxes, by how they are checked.
export const TYPE_STRING = 0;
export const TYPE_INT = 1;
export const TYPE_DECIMAL = 2;
export const TYPE_CHAR = 3;
export const TYPE_BOOLEAN = 4;
export const TYPE_TIMESTAMP = 5;
export const TYPE_TIMEONLY = 6;
export const TYPE_DATE = 7;
export const TYPE_MONTHYEAR = 8;
export const TYPE_DATA = 9;

const TYPE_CODES: Record<string, number> = {
  INT: TYPE_INT, LENGTH: TYPE_INT, SEQNUM: TYPE_INT, NUMINGROUP: TYPE_INT, DAYOFMONTH: TYPE_INT,
  FLOAT: TYPE_DECIMAL, PRICE: TYPE_DECIMAL, QTY: TYPE_DECIMAL, AMT: TYPE_DECIMAL, PRICEOFFSET: TYPE_DECIMAL,
  PERCENTAGE: TYPE_DECIMAL,
  CHAR: TYPE_CHAR, BOOLEAN: TYPE_BOOLEAN,
  UTCTIMESTAMP: TYPE_TIMESTAMP, UTCTIMEONLY: TYPE_TIMEONLY,
  UTCDATEONLY: TYPE_DATE, UTCDATE: TYPE_DATE, LOCALMKTDATE: TYPE_DATE,
  MONTHYEAR: TYPE_MONTHYEAR, DATA: TYPE_DATA,
};

/** Where a tag belongs in a message of this dictionary. */
export const SECTION_BODY = 0;
export const SECTION_HEADER = 1;
export const SECTION_TRAILER = 2;

/** A part of a message: header, trailer, body, or one instance of a repeating group. */
export interface SectionDef {
  /** Tags allowed directly here (group NumInGroup tags included, members of groups not). */
  readonly fields: TagSet;
  /** Allowed tags in dictionary order. */
  readonly order: readonly number[];
  /** Tags required here. */
  readonly required: readonly number[];
  /** Repeating groups directly here, by NumInGroup tag. */
  readonly groups: ReadonlyMap<number, GroupDef>;
}

export interface GroupDef extends SectionDef {
  readonly countTag: number;
  /** First field of each instance. */
  readonly delimiter: number;
  readonly isRequired: boolean;
}

export interface MessageDef extends SectionDef {
  readonly msgType: string;
  readonly name: string;
  readonly category: 'admin' | 'app';
}

export interface Dictionary {
  readonly beginString: string;
  readonly source: DictionarySource;
  field(tag: number): FieldDef | undefined;
  fieldByName(name: string): FieldDef | undefined;
  readonly header: SectionDef;
  readonly trailer: SectionDef;
  message(msgType: string): MessageDef | undefined;
  readonly messages: ReadonlyMap<string, MessageDef>;
  isHeaderField(tag: number): boolean;
  isTrailerField(tag: number): boolean;
  /** SECTION_HEADER, SECTION_TRAILER, or SECTION_BODY (also for unknown tags). */
  sectionOf(tag: number): number;
  /** Hot-path views of the same data: fields indexed by tag, and section codes indexed by tag. */
  readonly fieldTable: readonly (FieldDef | undefined)[];
  readonly sectionTable: Uint8Array;
}

const MULTI_VALUE_TYPES = new Set(['MULTIPLEVALUESTRING', 'MULTIPLESTRINGVALUE', 'MULTIPLECHARVALUE']);

interface MutableSection {
  fields: TagSet;
  order: number[];
  required: number[];
  groups: Map<number, GroupDef>;
}

function newSection(): MutableSection {
  return { fields: new TagSet(), order: [], required: [], groups: new Map() };
}

class Builder {
  readonly src: DictionarySource;
  readonly fieldsByTag = new Map<number, FieldDef>();
  readonly fieldsByName = new Map<string, FieldDef>();
  constructor(src: DictionarySource) {
    this.src = src;
    for (const f of src.fields) this.addField(f);
  }

  addField(f: FieldSource): void {
    const values = f.values ? new Set(Object.keys(f.values)) : null;
    const def: { -readonly [K in keyof FieldDef]: FieldDef[K] } = {
      tag: f.tag,
      name: f.name,
      type: f.type,
      values,
      valueNames: f.values ?? null,
      multiValue: MULTI_VALUE_TYPES.has(f.type),
      typeCode: TYPE_CODES[f.type] ?? TYPE_STRING,
      isNumInGroup: f.type === 'NUMINGROUP',
      charValues: null as Uint8Array | null,
    };
    if (values !== null) {
      const t = new Uint8Array(256);
      for (const v of values) if (v.length === 1 && v.charCodeAt(0) < 256) t[v.charCodeAt(0)] = 1;
      def.charValues = t;
    }
    this.fieldsByTag.set(f.tag, def);
    this.fieldsByName.set(f.name, def);
  }

  section(items: EntrySource[], where: string): MutableSection {
    const s = newSection();
    this.flatten(items, true, s, where, new Set());
    return s;
  }

  private flatten(items: EntrySource[], required: boolean, s: MutableSection, where: string, seen: Set<string>): void {
    for (const it of items) {
      if ('f' in it) {
        this.need(it.f, where);
        s.fields.add(it.f);
        s.order.push(it.f);
        if (it.r && required) s.required.push(it.f);
      } else if ('c' in it) {
        const comp = this.src.components[it.c];
        if (comp === undefined) throw new Error(`dictionary: ${where} uses unknown component ${it.c}`);
        if (seen.has(it.c)) throw new Error(`dictionary: component ${it.c} includes itself`);
        seen.add(it.c);
        this.flatten(comp, required && it.r, s, `${where}/${it.c}`, seen);
        seen.delete(it.c);
      } else {
        this.need(it.g, where);
        s.fields.add(it.g);
        s.order.push(it.g);
        const isRequired = it.r && required;
        if (isRequired) s.required.push(it.g);
        const inner = newSection();
        this.flatten(it.items, true, inner, `${where}/${it.g}`, seen);
        const delimiter = inner.order[0];
        if (delimiter === undefined) throw new Error(`dictionary: group ${it.g} in ${where} is empty`);
        s.groups.set(it.g, { ...inner, countTag: it.g, delimiter, isRequired });
      }
    }
  }

  private need(tag: number, where: string): void {
    if (!this.fieldsByTag.has(tag)) throw new Error(`dictionary: ${where} uses undefined tag ${tag}`);
  }
}

class LoadedDictionary implements Dictionary {
  readonly beginString: string;
  readonly source: DictionarySource;
  readonly header: SectionDef;
  readonly trailer: SectionDef;
  readonly messages: ReadonlyMap<string, MessageDef>;
  private readonly byTag: (FieldDef | undefined)[];
  private readonly byName: Map<string, FieldDef>;

  constructor(src: DictionarySource) {
    const b = new Builder(src);
    this.beginString = src.beginString;
    this.source = src;
    this.header = b.section(src.header, 'header');
    this.trailer = b.section(src.trailer, 'trailer');
    const messages = new Map<string, MessageDef>();
    for (const m of src.messages) {
      if (messages.has(m.msgType)) throw new Error(`dictionary: MsgType ${m.msgType} defined twice`);
      messages.set(m.msgType, { ...b.section(m.items, m.name), msgType: m.msgType, name: m.name, category: m.category });
    }
    this.messages = messages;
    let max = 0;
    for (const t of b.fieldsByTag.keys()) if (t > max) max = t;
    this.byTag = new Array<FieldDef | undefined>(max + 1).fill(undefined);
    for (const [t, f] of b.fieldsByTag) if (t >= 0) this.byTag[t] = f;
    this.byName = b.fieldsByName;
    this.sections = new Uint8Array(Math.max(max + 1, 1024));
    const mark = (sec: SectionDef, code: number): void => {
      for (const t of sec.order) if (t >= 0 && t < this.sections.length) this.sections[t] = code;
      for (const g of sec.groups.values()) mark(g, code);
    };
    mark(this.header, SECTION_HEADER);
    mark(this.trailer, SECTION_TRAILER);
  }

  private readonly sections: Uint8Array;

  get fieldTable(): readonly (FieldDef | undefined)[] {
    return this.byTag;
  }
  get sectionTable(): Uint8Array {
    return this.sections;
  }

  sectionOf(tag: number): number {
    return tag >= 0 && tag < this.sections.length ? this.sections[tag]! : SECTION_BODY;
  }

  field(tag: number): FieldDef | undefined {
    return tag >= 0 && tag < this.byTag.length ? this.byTag[tag] : undefined;
  }
  fieldByName(name: string): FieldDef | undefined {
    return this.byName.get(name);
  }
  message(msgType: string): MessageDef | undefined {
    return this.messages.get(msgType);
  }
  isHeaderField(tag: number): boolean {
    return this.sectionOf(tag) === SECTION_HEADER;
  }
  isTrailerField(tag: number): boolean {
    return this.sectionOf(tag) === SECTION_TRAILER;
  }
}

export function loadDictionary(src: DictionarySource): Dictionary {
  return new LoadedDictionary(src);
}

let fix44: Dictionary | undefined;
/** The FIX 4.4 dictionary (built on first use). */
export function fix44Dictionary(): Dictionary {
  fix44 ??= loadDictionary(FIX44_SOURCE);
  return fix44;
}

export interface DictionaryExtension {
  /** New fields; tags must be in the user-defined range 5000–9999. */
  fields?: FieldSource[];
  /** New messages; MsgType must start with 'U'. Items may use the base dictionary's components. */
  messages?: MessageSource[];
  /** Items appended to existing messages (e.g. a Parley tag on QuoteRequest). */
  messageItems?: { msgType: string; items: EntrySource[] }[];
  /** Items appended to the standard header. */
  headerItems?: EntrySource[];
}

export const USER_TAG_MIN = 5000;
export const USER_TAG_MAX = 9999;

/** A new dictionary: the base plus user-defined fields and messages (the base is not changed). */
export function extendDictionary(base: Dictionary, ext: DictionaryExtension): Dictionary {
  const src = base.source;
  const fields = [...src.fields];
  const known = new Set(src.fields.map((f) => f.tag));
  const names = new Set(src.fields.map((f) => f.name));
  for (const f of ext.fields ?? []) {
    if (!Number.isInteger(f.tag) || f.tag < USER_TAG_MIN || f.tag > USER_TAG_MAX) {
      throw new Error(`extendDictionary: field ${f.name} has tag ${f.tag}, outside the user range ${USER_TAG_MIN}-${USER_TAG_MAX}`);
    }
    if (known.has(f.tag)) throw new Error(`extendDictionary: tag ${f.tag} is already defined`);
    if (names.has(f.name)) throw new Error(`extendDictionary: field name ${f.name} is already defined`);
    known.add(f.tag);
    names.add(f.name);
    fields.push(f);
  }
  fields.sort((a, b) => a.tag - b.tag);
  const messages = src.messages.map((m) => ({ ...m, items: [...m.items] }));
  const types = new Set(messages.map((m) => m.msgType));
  for (const m of ext.messages ?? []) {
    if (!/^U[0-9A-Za-z]{0,3}$/.test(m.msgType)) {
      throw new Error(`extendDictionary: MsgType ${JSON.stringify(m.msgType)} of ${m.name} is not a user-defined MsgType (U...)`);
    }
    if (types.has(m.msgType)) throw new Error(`extendDictionary: MsgType ${m.msgType} is already defined`);
    types.add(m.msgType);
    messages.push(m);
  }
  for (const mi of ext.messageItems ?? []) {
    const target = messages.find((m) => m.msgType === mi.msgType);
    if (target === undefined) throw new Error(`extendDictionary: no message ${mi.msgType} to extend`);
    target.items.push(...mi.items);
  }
  // MsgType(35) enumerates the message types: the new ones must be valid values of it.
  const added = (ext.messages ?? []).map((m) => m.msgType);
  if (added.length > 0) {
    const i = fields.findIndex((f) => f.tag === 35);
    const mt = fields[i];
    if (mt !== undefined && mt.values !== undefined) {
      const values = { ...mt.values };
      for (const m of ext.messages ?? []) values[m.msgType] = m.name;
      fields[i] = { ...mt, values };
    }
  }
  const header = [...src.header];
  if (ext.headerItems) header.push(...ext.headerItems);
  return loadDictionary({ ...src, fields, messages, header });
}
