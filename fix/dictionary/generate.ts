// Generates fix/dictionary/fix44.ts from a QuickFIX data dictionary XML (default ../shared/fix/FIX44.xml), and
// beside it fix/dictionary/tags.ts: the `Tag` and `MsgType` constants of FIX 4.4 plus Parley's extension
// (parley-extension.ts), so no code has to spell a tag number or a MsgType string.
// Run: bash scripts/node.sh fix/dictionary/generate.ts [input.xml] [output.ts]
// The outputs are committed, so the project builds without ../shared.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DictionaryExtension } from './dictionary.ts';
import { PARLEY_EXTENSION } from './parley-extension.ts';
import type { DictionarySource, EntrySource, FieldSource, MessageSource } from './source.ts';

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? '';
  });
}

/** A small XML element parser: enough for QuickFIX dictionaries (elements and attributes, no text content). */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#root', attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  const tagRe = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.:-]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<![^>]*>/g;
  const attrRe = /([\w.:-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;
  let m: RegExpExecArray | null;
  while ((m = tagRe.exec(text)) !== null) {
    if (m[2] === undefined) continue; // declaration, comment, CDATA, doctype
    const [, closing, name, attrText, selfClosing] = m;
    const top = stack[stack.length - 1]!;
    if (closing) {
      if (top.name !== name) throw new Error(`XML: </${name}> closes <${top.name}> at offset ${m.index}`);
      stack.pop();
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of (attrText ?? '').matchAll(attrRe)) attrs[a[1]!] = unescapeXml(a[2] ?? a[3] ?? '');
    const el: XmlElement = { name: name!, attrs, children: [] };
    top.children.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length !== 1) throw new Error(`XML: <${stack[stack.length - 1]!.name}> is never closed`);
  const fix = root.children.find((c) => c.name === 'fix');
  if (fix === undefined) throw new Error('XML: no <fix> root element');
  return fix;
}

function child(el: XmlElement, name: string): XmlElement {
  const c = el.children.find((x) => x.name === name);
  if (c === undefined) throw new Error(`dictionary: <${el.name}> has no <${name}>`);
  return c;
}

export function dictionaryFromXml(text: string): DictionarySource {
  const fix = parseXml(text);
  const beginString = `${fix.attrs.type ?? 'FIX'}.${fix.attrs.major ?? '4'}.${fix.attrs.minor ?? '4'}`;
  const fields: FieldSource[] = [];
  const tagByName = new Map<string, number>();
  for (const f of child(fix, 'fields').children) {
    if (f.name !== 'field') continue;
    const tag = Number(f.attrs.number);
    const name = f.attrs.name;
    const type = f.attrs.type;
    if (!Number.isInteger(tag) || !name || !type) throw new Error(`dictionary: bad field ${JSON.stringify(f.attrs)}`);
    const fs: FieldSource = { tag, name, type };
    const values = f.children.filter((v) => v.name === 'value');
    if (values.length > 0) {
      fs.values = {};
      for (const v of values) fs.values[v.attrs.enum ?? ''] = v.attrs.description ?? '';
    }
    fields.push(fs);
    tagByName.set(name, tag);
  }
  fields.sort((a, b) => a.tag - b.tag);

  const items = (el: XmlElement): EntrySource[] =>
    el.children.map((c): EntrySource => {
      const r = c.attrs.required === 'Y';
      const name = c.attrs.name ?? '';
      if (c.name === 'component') return { c: name, r };
      const tag = tagByName.get(name);
      if (tag === undefined) throw new Error(`dictionary: <${c.name} name='${name}'> is not a defined field`);
      if (c.name === 'field') return { f: tag, r };
      if (c.name === 'group') return { g: tag, r, items: items(c) };
      throw new Error(`dictionary: unexpected <${c.name}> in <${el.name}>`);
    });

  const components: Record<string, EntrySource[]> = {};
  for (const c of child(fix, 'components').children) {
    if (c.name === 'component' && c.attrs.name) components[c.attrs.name] = items(c);
  }
  const messages: MessageSource[] = [];
  for (const m of child(fix, 'messages').children) {
    if (m.name !== 'message') continue;
    const category = m.attrs.msgcat === 'admin' ? 'admin' : 'app';
    messages.push({ msgType: m.attrs.msgtype ?? '', name: m.attrs.name ?? '', category, items: items(m) });
  }
  return {
    beginString,
    fields,
    header: items(child(fix, 'header')),
    trailer: items(child(fix, 'trailer')),
    components,
    messages,
  };
}

/** The TypeScript module text for a dictionary (deterministic, one entry per line, diff-friendly). */
export function renderModule(src: DictionarySource, from: string): string {
  const j = (v: unknown): string => JSON.stringify(v);
  const lines: string[] = [];
  lines.push(`// GENERATED by fix/dictionary/generate.ts from ${from} — do not edit; regenerate instead.`);
  lines.push(`// Source: the FIX 4.4 data dictionary published with QuickFIX (see ../shared/fix/QUICKFIX-LICENSE).`);
  lines.push(`import type { DictionarySource } from './source.ts';`);
  lines.push('');
  lines.push('export const FIX44_SOURCE: DictionarySource = {');
  lines.push(`  beginString: ${j(src.beginString)},`);
  lines.push('  fields: [');
  for (const f of src.fields) lines.push(`    ${j(f)},`);
  lines.push('  ],');
  lines.push(`  header: ${j(src.header)},`);
  lines.push(`  trailer: ${j(src.trailer)},`);
  lines.push('  components: {');
  for (const [name, its] of Object.entries(src.components)) lines.push(`    ${j(name)}: ${j(its)},`);
  lines.push('  },');
  lines.push('  messages: [');
  for (const m of src.messages) lines.push(`    ${j(m)},`);
  lines.push('  ],');
  lines.push('};');
  lines.push('');
  return lines.join('\n');
}

/** A key of a generated constant object: bare when it is an identifier, quoted otherwise. */
function key(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : JSON.stringify(name);
}

/**
 * The TypeScript module text of tags.ts: `Tag` (field name → tag number) and `MsgType` (message name → MsgType)
 * of the dictionary plus an extension, in tag / dictionary order. A name defined twice is refused, so the
 * extension can never shadow a standard name.
 */
export function renderTags(src: DictionarySource, ext: DictionaryExtension, from: string): string {
  const fields = [...src.fields, ...(ext.fields ?? [])].sort((a, b) => a.tag - b.tag);
  const messages = [...src.messages, ...(ext.messages ?? [])];
  const unique = <T>(items: readonly T[], name: (t: T) => string, what: string): void => {
    const seen = new Set<string>();
    for (const it of items) {
      if (seen.has(name(it))) throw new Error(`renderTags: ${what} ${name(it)} is defined twice`);
      seen.add(name(it));
    }
  };
  unique(fields, (f) => f.name, 'field');
  unique(messages, (m) => m.name, 'message');
  const lines: string[] = [];
  lines.push(`// GENERATED by fix/dictionary/generate.ts from ${from} and fix/dictionary/parley-extension.ts — do not edit;`);
  lines.push('// regenerate instead. Import from here (or fix/protocol/) instead of writing tag numbers or MsgType strings.');
  lines.push('');
  lines.push('/** Field name → tag number: FIX 4.4 (e.g. Tag.QuoteReqID = 131) and Parley\'s user-range tags (Tag.ParleyDecision). */');
  lines.push('export const Tag = {');
  for (const f of fields) lines.push(`  ${key(f.name)}: ${f.tag},`);
  lines.push('} as const;');
  lines.push('');
  lines.push('/** Message name → MsgType(35): FIX 4.4 (e.g. MsgType.QuoteRequest = \'R\') and Parley\'s U… messages. */');
  lines.push('export const MsgType = {');
  for (const m of messages) lines.push(`  ${key(m.name)}: ${JSON.stringify(m.msgType)},`);
  lines.push('} as const;');
  lines.push('');
  lines.push('export type TagName = keyof typeof Tag;');
  lines.push('export type TagNumber = (typeof Tag)[TagName];');
  lines.push('export type MsgTypeName = keyof typeof MsgType;');
  lines.push('export type MsgTypeValue = (typeof MsgType)[MsgTypeName];');
  lines.push('');
  return lines.join('\n');
}

export const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_INPUT = resolve(here, '../../../shared/fix/FIX44.xml');
export const DEFAULT_OUTPUT = resolve(here, 'fix44.ts');
export const TAGS_OUTPUT = resolve(here, 'tags.ts');
const FROM = '../shared/fix/FIX44.xml';

export function generate(input = DEFAULT_INPUT): string {
  return renderModule(dictionaryFromXml(readFileSync(input, 'utf8')), FROM);
}

/** tags.ts for a dictionary source (the XML's, or the committed FIX44_SOURCE) plus Parley's extension. */
export function generateTags(src: DictionarySource): string {
  return renderTags(src, PARLEY_EXTENSION, FROM);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const input = process.argv[2] ?? DEFAULT_INPUT;
  const output = process.argv[3] ?? DEFAULT_OUTPUT;
  const src = dictionaryFromXml(readFileSync(input, 'utf8'));
  writeFileSync(output, renderModule(src, FROM));
  const tagsOutput = resolve(dirname(output), 'tags.ts');
  writeFileSync(tagsOutput, generateTags(src));
  console.log(`wrote ${output} and ${tagsOutput}`);
}
