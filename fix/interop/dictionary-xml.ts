/**
 * Renders the committed FIX 4.4 dictionary (fix/dictionary/fix44.ts) back as QuickFIX XML, so the interop
 * programs have their DataDictionary even where ../shared/fix/FIX44.xml is absent.
 * API: dictionaryXml(src?) → string
 */
import type { DictionarySource, EntrySource } from '../dictionary/dictionary.ts';
import { FIX44_SOURCE } from '../dictionary/fix44.ts';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function dictionaryXml(src: DictionarySource = FIX44_SOURCE): string {
  const name = new Map(src.fields.map((f) => [f.tag, f.name]));
  const nameOf = (tag: number): string => {
    const n = name.get(tag);
    if (!n) throw new Error(`dictionaryXml: tag ${tag} has no field definition`);
    return n;
  };
  const items = (list: EntrySource[], indent: string): string => list.map((e) => {
    const req = e.r ? 'Y' : 'N';
    if ('f' in e) return `${indent}<field name="${esc(nameOf(e.f))}" required="${req}"/>`;
    if ('c' in e) return `${indent}<component name="${esc(e.c)}" required="${req}"/>`;
    return `${indent}<group name="${esc(nameOf(e.g))}" required="${req}">\n${items(e.items, indent + ' ')}\n${indent}</group>`;
  }).join('\n');
  const [major, minor] = src.beginString.replace(/^FIX\./, '').split('.');
  const out: string[] = [`<fix major="${major}" minor="${minor}" servicepack="0">`];
  out.push(' <header>', items(src.header, '  '), ' </header>');
  out.push(' <trailer>', items(src.trailer, '  '), ' </trailer>');
  out.push(' <messages>');
  for (const m of src.messages) {
    out.push(`  <message name="${esc(m.name)}" msgtype="${esc(m.msgType)}" msgcat="${m.category}">`, items(m.items, '   '), '  </message>');
  }
  out.push(' </messages>', ' <components>');
  for (const [c, list] of Object.entries(src.components)) {
    out.push(`  <component name="${esc(c)}">`, items(list, '   '), '  </component>');
  }
  out.push(' </components>', ' <fields>');
  for (const f of src.fields) {
    const values = Object.entries(f.values ?? {});
    if (!values.length) { out.push(`  <field number="${f.tag}" name="${esc(f.name)}" type="${esc(f.type)}"/>`); continue; }
    out.push(`  <field number="${f.tag}" name="${esc(f.name)}" type="${esc(f.type)}">`);
    for (const [v, d] of values) out.push(`   <value enum="${esc(v)}" description="${esc(d)}"/>`);
    out.push('  </field>');
  }
  out.push(' </fields>', '</fix>', '');
  return out.filter((l) => l !== '').join('\n') + '\n';
}
