// Generates fix/dictionary/fix44.ts from a QuickFIX data dictionary XML (default ../shared/fix/FIX44.xml).
// Run: bash scripts/node.sh fix/dictionary/generate.ts [input.xml] [output.ts]
// The output is committed, so the project builds without ../shared.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_INPUT = resolve(here, '../../../shared/fix/FIX44.xml');
export const DEFAULT_OUTPUT = resolve(here, 'fix44.ts');

export function generate(input = DEFAULT_INPUT): string {
  return renderModule(dictionaryFromXml(readFileSync(input, 'utf8')), '../shared/fix/FIX44.xml');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const input = process.argv[2] ?? DEFAULT_INPUT;
  const output = process.argv[3] ?? DEFAULT_OUTPUT;
  writeFileSync(output, generate(input));
  console.log(`wrote ${output}`);
}
