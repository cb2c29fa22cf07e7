// The shape of a dictionary as generated from a QuickFIX-style XML file (and of runtime extensions):
// components are kept by name here and flattened when the dictionary is loaded.

export interface FieldSource {
  tag: number;
  name: string;
  /** QuickFIX type name: STRING, CHAR, INT, PRICE, QTY, UTCTIMESTAMP, NUMINGROUP, DATA, ... */
  type: string;
  /** Allowed values → description. */
  values?: Record<string, string>;
}

/** One item of a message, component, group, header or trailer, in dictionary order. */
export type EntrySource =
  | { f: number; r: boolean }                          // field by tag
  | { c: string; r: boolean }                          // component by name
  | { g: number; r: boolean; items: EntrySource[] };   // repeating group by its NumInGroup tag

export interface MessageSource {
  msgType: string;
  name: string;
  category: 'admin' | 'app';
  items: EntrySource[];
}

export interface DictionarySource {
  beginString: string;
  fields: FieldSource[];
  header: EntrySource[];
  trailer: EntrySource[];
  components: Record<string, EntrySource[]>;
  messages: MessageSource[];
}
