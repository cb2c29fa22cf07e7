// Renders a dictionary back into QuickFIX's XML format, so a QuickFIX peer (interop tests, the codec
// benchmark) can load exactly the dictionary fix/ uses, without ../shared.
import type { DictionarySource, EntrySource } from './source.ts';

function attr(v: string): string {
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

export function renderQuickFixXml(src: DictionarySource): string {
  const nameOf = new Map(src.fields.map((f) => [f.tag, f.name]));
  const name = (tag: number): string => {
    const n = nameOf.get(tag);
    if (n === undefined) throw new Error(`renderQuickFixXml: undefined tag ${tag}`);
    return n;
  };
  const out: string[] = [];
  const items = (its: EntrySource[], ind: string): void => {
    for (const it of its) {
      const r = it.r ? 'Y' : 'N';
      if ('f' in it) out.push(`${ind}<field name='${attr(name(it.f))}' required='${r}' />`);
      else if ('c' in it) out.push(`${ind}<component name='${attr(it.c)}' required='${r}' />`);
      else {
        out.push(`${ind}<group name='${attr(name(it.g))}' required='${r}'>`);
        items(it.items, `${ind} `);
        out.push(`${ind}</group>`);
      }
    }
  };
  const [type, major, minor] = src.beginString.split('.');
  out.push(`<fix type='${attr(type ?? 'FIX')}' major='${attr(major ?? '4')}' minor='${attr(minor ?? '4')}' servicepack='0'>`);
  out.push(' <header>');
  items(src.header, '  ');
  out.push(' </header>');
  out.push(' <messages>');
  for (const m of src.messages) {
    out.push(`  <message name='${attr(m.name)}' msgtype='${attr(m.msgType)}' msgcat='${m.category}'>`);
    items(m.items, '   ');
    out.push('  </message>');
  }
  out.push(' </messages>');
  out.push(' <trailer>');
  items(src.trailer, '  ');
  out.push(' </trailer>');
  out.push(' <components>');
  for (const [cname, its] of Object.entries(src.components)) {
    out.push(`  <component name='${attr(cname)}'>`);
    items(its, '   ');
    out.push('  </component>');
  }
  out.push(' </components>');
  out.push(' <fields>');
  for (const f of src.fields) {
    if (f.values === undefined) {
      out.push(`  <field number='${f.tag}' name='${attr(f.name)}' type='${attr(f.type)}' />`);
      continue;
    }
    out.push(`  <field number='${f.tag}' name='${attr(f.name)}' type='${attr(f.type)}'>`);
    for (const [v, d] of Object.entries(f.values)) out.push(`   <value enum='${attr(v)}' description='${attr(d)}' />`);
    out.push('  </field>');
  }
  out.push(' </fields>');
  out.push('</fix>');
  return `${out.join('\n')}\n`;
}
