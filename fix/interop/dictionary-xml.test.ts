import { describe, expect, it } from 'vitest';
import { dictionaryFromXml } from '../dictionary/generate.ts';
import { FIX44_SOURCE } from '../dictionary/fix44.ts';
import { dictionaryXml } from './dictionary-xml.ts';

describe('dictionaryXml', () => {
  it('renders the committed FIX 4.4 dictionary as QuickFIX XML that reads back identically', () => {
    expect(dictionaryFromXml(dictionaryXml())).toEqual(FIX44_SOURCE);
  });
  it('escapes markup in names and values', () => {
    const xml = dictionaryXml({ ...FIX44_SOURCE, fields: [...FIX44_SOURCE.fields, { tag: 5001, name: 'A<B', type: 'STRING', values: { '&': '"q"' } }] });
    expect(xml).toContain('name="A&lt;B"');
    expect(xml).toContain('enum="&amp;" description="&quot;q&quot;"');
  });
});
