import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extendDictionary, fix44Dictionary, loadDictionary, SECTION_BODY, SECTION_HEADER, SECTION_TRAILER } from './dictionary.ts';
import { FIX44_SOURCE } from './fix44.ts';
import { DEFAULT_INPUT, DEFAULT_OUTPUT, dictionaryFromXml, generate, generateTags, parseXml, renderTags, TAGS_OUTPUT } from './generate.ts';
import { PARLEY_EXTENSION, PARLEY_MSG, PARLEY_TAG } from './parley-extension.ts';
import { MsgType, Tag } from './tags.ts';

const HAVE_SHARED = existsSync(DEFAULT_INPUT);
if (!HAVE_SHARED) {
  console.warn(`fix/dictionary: ${DEFAULT_INPUT} is absent — skipping the regeneration checks; the committed fix44.ts and tags.ts are used as is (tags.ts is still checked against fix44.ts + parley-extension.ts)`);
}

describe('generated FIX 4.4 dictionary', () => {
  it.skipIf(!HAVE_SHARED)('matches a fresh generation from ../shared/fix/FIX44.xml (skipped when ../shared/fix is absent)', () => {
    expect(generate(DEFAULT_INPUT)).toBe(readFileSync(DEFAULT_OUTPUT, 'utf8'));
  });

  const d = fix44Dictionary();

  it('has fields with types and enumerations', () => {
    expect(d.beginString).toBe('FIX.4.4');
    expect(d.field(35)).toMatchObject({ name: 'MsgType', type: 'STRING' });
    expect(d.field(54)!.values!.has('1')).toBe(true);
    expect(d.field(54)!.valueNames!['2']).toBe('SELL');
    expect(d.fieldByName('QuoteReqID')!.tag).toBe(131);
    expect(d.field(18)!.multiValue).toBe(true);
    expect(d.field(99999)).toBeUndefined();
    expect(d.field(-1)).toBeUndefined();
  });

  it('has header and trailer sets', () => {
    expect(d.header.required).toEqual([8, 9, 35, 49, 56, 34, 52]);
    expect(d.trailer.required).toEqual([10]);
    expect(d.sectionOf(49)).toBe(SECTION_HEADER);
    expect(d.sectionOf(628)).toBe(SECTION_HEADER); // HopCompID, inside the header's NoHops group
    expect(d.sectionOf(89)).toBe(SECTION_TRAILER);
    expect(d.sectionOf(55)).toBe(SECTION_BODY);
    expect(d.isHeaderField(52)).toBe(true);
    expect(d.isTrailerField(10)).toBe(true);
  });

  it('has messages with categories, allowed and required tags, components flattened', () => {
    expect(d.messages.size).toBeGreaterThan(90);
    const hb = d.message('0')!;
    expect(hb).toMatchObject({ name: 'Heartbeat', category: 'admin' });
    expect(hb.order).toEqual([112]);
    const qr = d.message('R')!;
    expect(qr.category).toBe('app');
    expect(qr.required).toEqual([131, 146]);
    expect(qr.fields.has(55)).toBe(false); // Symbol lives inside NoRelatedSym
    const g = qr.groups.get(146)!;
    expect(g.delimiter).toBe(55);
    expect(g.isRequired).toBe(true);
    expect(g.fields.has(38)).toBe(true); // OrderQty from the OrderQtyData component
    expect(g.groups.get(453)!.delimiter).toBe(448); // nested Parties group
    expect(g.groups.get(453)!.groups.get(802)!.delimiter).toBe(523); // and the PartySubIDs inside it
    const ae = d.message('AE')!;
    expect(ae.groups.get(552)!.required).toEqual([54, 37]);
  });

  it('extends with user-defined fields and messages, refusing the standard ranges', () => {
    const ext = extendDictionary(d, {
      fields: [{ tag: 5001, name: 'ParleyPolicyID', type: 'STRING' }],
      messages: [{ msgType: 'U1', name: 'ParleyPing', category: 'app', items: [{ f: 5001, r: true }, { c: 'Instrument', r: false }] }],
      headerItems: [{ f: 5001, r: false }],
    });
    expect(ext.field(5001)!.name).toBe('ParleyPolicyID');
    expect(ext.message('U1')!.required).toEqual([5001]);
    expect(ext.message('U1')!.fields.has(55)).toBe(true);
    expect(ext.sectionOf(5001)).toBe(SECTION_HEADER);
    expect(ext.field(35)!.values!.has('U1')).toBe(true);
    expect(d.field(5001)).toBeUndefined();
    expect(() => extendDictionary(d, { fields: [{ tag: 4999, name: 'X', type: 'STRING' }] })).toThrow(/user range/);
    expect(() => extendDictionary(d, { fields: [{ tag: 10000, name: 'X', type: 'STRING' }] })).toThrow(/user range/);
    expect(() => extendDictionary(d, { fields: [{ tag: 5001, name: 'Symbol', type: 'STRING' }] })).toThrow(/already defined/);
    expect(() => extendDictionary(d, { messages: [{ msgType: 'Z9', name: 'X', category: 'app', items: [] }] })).toThrow(/user-defined MsgType/);
    expect(() => extendDictionary(ext, { messages: [{ msgType: 'U1', name: 'Again', category: 'app', items: [] }] })).toThrow(/already defined/);
    expect(() => extendDictionary(d, { messages: [{ msgType: 'U2', name: 'X', category: 'app', items: [{ f: 5999, r: true }] }] })).toThrow(/undefined tag 5999/);
    expect(() => extendDictionary(d, { messageItems: [{ msgType: 'U9', items: [] }] })).toThrow(/no message U9/);
  });

  it('rejects broken sources clearly', () => {
    const src = { ...FIX44_SOURCE, messages: [{ msgType: 'X', name: 'X', category: 'app' as const, items: [{ c: 'Nope', r: true }] }] };
    expect(() => loadDictionary(src)).toThrow(/unknown component Nope/);
  });
});

describe('generator', () => {
  it('parses a small QuickFIX dictionary', () => {
    const xml = `<?xml version="1.0"?>
<!-- comment -->
<fix type="FIX" major="4" minor="4">
 <header><field name="BeginString" required="Y"/></header>
 <trailer><field name="CheckSum" required="Y"/></trailer>
 <messages>
  <message name="Ping" msgtype="U1" msgcat="app">
   <field name="Text" required="N"/>
   <component name="Parts" required="Y"/>
  </message>
 </messages>
 <components>
  <component name="Parts"><group name="NoParts" required="Y"><field name="Text" required="Y"/></group></component>
 </components>
 <fields>
  <field number="8" name="BeginString" type="STRING"/>
  <field number="10" name="CheckSum" type="STRING"/>
  <field number="58" name="Text" type="STRING"/>
  <field number="5000" name="NoParts" type="NUMINGROUP"/>
  <field number="54" name="Side" type="CHAR"><value enum="1" description="BUY &amp; HOLD"/></field>
 </fields>
</fix>`;
    const src = dictionaryFromXml(xml);
    expect(src.beginString).toBe('FIX.4.4');
    expect(src.fields.map((f) => f.tag)).toEqual([8, 10, 54, 58, 5000]);
    expect(src.fields.find((f) => f.tag === 54)!.values).toEqual({ '1': 'BUY & HOLD' });
    expect(src.messages[0]).toEqual({ msgType: 'U1', name: 'Ping', category: 'app', items: [{ f: 58, r: false }, { c: 'Parts', r: true }] });
    expect(src.components.Parts).toEqual([{ g: 5000, r: true, items: [{ f: 58, r: true }] }]);
    const d = loadDictionary(src);
    expect(d.message('U1')!.groups.get(5000)!.required).toEqual([58]);
  });

  it('refuses malformed XML and unknown field references', () => {
    expect(() => parseXml('<fix><fields></fix>')).toThrow(/closes/);
    expect(() => parseXml('<fix><fields>')).toThrow(/never closed/);
    expect(() => parseXml('<other/>')).toThrow(/no <fix>/);
    expect(() => dictionaryFromXml('<fix><header><field name="Nope" required="Y"/></header><trailer/><messages/><components/><fields/></fix>')).toThrow(/Nope/);
  });
});

describe('generated Tag and MsgType constants (tags.ts)', () => {
  it.skipIf(!HAVE_SHARED)('match a fresh generation from ../shared/fix/FIX44.xml (skipped when ../shared/fix is absent)', () => {
    expect(generateTags(dictionaryFromXml(readFileSync(DEFAULT_INPUT, 'utf8')))).toBe(readFileSync(TAGS_OUTPUT, 'utf8'));
  });

  it('match the committed fix44.ts and parley-extension.ts (regenerate when either changes)', () => {
    expect(generateTags(FIX44_SOURCE)).toBe(readFileSync(TAGS_OUTPUT, 'utf8'));
  });

  it('name FIX 4.4 and Parley tags and message types', () => {
    expect(Tag.QuoteReqID).toBe(131);
    expect(Tag.MsgType).toBe(35);
    expect(MsgType.QuoteRequest).toBe('R');
    expect(MsgType.TradeCaptureReportRequestAck).toBe('AQ');
    expect(Tag.ParleyDecision).toBe(5002);
    expect(MsgType.ParleyKeyRegistrationResult).toBe('UL');
    const d = fix44Dictionary();
    for (const [name, tag] of Object.entries(Tag)) {
      if (tag < 5000) expect(d.field(tag)!.name).toBe(name);
    }
    for (const [name, type] of Object.entries(MsgType)) {
      if (!type.startsWith('U')) expect(d.message(type)!.name).toBe(name);
    }
    // Every short name of the extension is the same number / MsgType as its generated constant.
    const byTag = new Map(Object.entries(Tag).map(([n, t]) => [t as number, n]));
    for (const tag of Object.values(PARLEY_TAG)) expect(byTag.has(tag)).toBe(true);
    const types = new Set<string>(Object.values(MsgType));
    for (const t of Object.values(PARLEY_MSG)) expect(types.has(t)).toBe(true);
  });

  it('refuse an extension that reuses a standard name', () => {
    const clash = { ...PARLEY_EXTENSION, fields: [{ tag: 5999, name: 'Symbol', type: 'STRING' }] };
    expect(() => renderTags(FIX44_SOURCE, clash, 'x')).toThrow(/Symbol is defined twice/);
    const clashMsg = { messages: [{ msgType: 'UZ', name: 'Quote', category: 'app' as const, items: [] }] };
    expect(() => renderTags(FIX44_SOURCE, clashMsg, 'x')).toThrow(/Quote is defined twice/);
  });
});

describe('QuickFIX XML rendering', () => {
  it('renders the generated dictionary back to XML that parses to the same dictionary', async () => {
    const { renderQuickFixXml } = await import('./quickfix-xml.ts');
    const xml = renderQuickFixXml(FIX44_SOURCE);
    expect(dictionaryFromXml(xml)).toEqual(FIX44_SOURCE);
  });
});
