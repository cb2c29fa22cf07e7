/**
 * A small strict parser for XML property lists (what a configuration profile's settings become in
 * /Library/Managed Preferences, and the .mobileconfig itself).
 *
 * Only the plist vocabulary is accepted: dict, key, array, string, integer, real, true, false, date, data.
 * No DTD internal subset and no entity other than the five XML ones and character references (so no
 * entity expansion at all: no billion laughs, no external entities), no CDATA, no processing instruction
 * but the XML declaration, bounded depth and size. Dicts become null-prototype objects, so a key such as
 * `__proto__` is plain data (and then refused by the schema as an unknown setting).
 */

export type PlistValue = string | number | boolean | Date | Uint8Array | PlistValue[] | { [key: string]: PlistValue };
export type PlistResult = { ok: true; value: PlistValue } | { ok: false; problem: string };

const MAX_DEPTH = 32;
const MAX_NODES = 20_000;
const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface Tag {
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attrs: string;
}

class PlistError extends Error {}

class Reader {
  readonly s: string;
  i = 0;
  nodes = 0;
  constructor(s: string) {
    this.s = s;
  }
  fail(what: string): never {
    throw new PlistError(`${what} at offset ${this.i}`);
  }
  skipMisc(): void {
    for (;;) {
      while (this.i < this.s.length && ' \t\r\n'.includes(this.s[this.i]!)) this.i++;
      if (this.s.startsWith('<!--', this.i)) {
        const end = this.s.indexOf('-->', this.i + 4);
        if (end < 0) this.fail('unterminated comment');
        this.i = end + 3;
      } else return;
    }
  }
  tag(): Tag {
    if (this.s[this.i] !== '<') this.fail('expected an element');
    const end = this.s.indexOf('>', this.i);
    if (end < 0) this.fail('unterminated tag');
    let body = this.s.slice(this.i + 1, end);
    this.i = end + 1;
    const closing = body.startsWith('/');
    if (closing) body = body.slice(1);
    const selfClosing = body.endsWith('/');
    if (selfClosing) body = body.slice(0, -1);
    const m = /^([a-z]+)(\s[^<>]*)?$/.exec(body);
    if (!m) this.fail(`a malformed or unexpected tag <${body.slice(0, 40)}>`);
    if (closing && (selfClosing || m[2]?.trim())) this.fail('a malformed closing tag');
    return { name: m[1]!, closing, selfClosing, attrs: (m[2] ?? '').trim() };
  }
  text(closeName: string): string {
    const end = this.s.indexOf('<', this.i);
    if (end < 0) this.fail(`unterminated <${closeName}>`);
    const raw = this.s.slice(this.i, end);
    this.i = end;
    const t = this.tag();
    if (!t.closing || t.name !== closeName) this.fail(`<${closeName}> holds markup`);
    return decodeEntities(raw, this);
  }
}

function decodeEntities(raw: string, r: Reader): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '&') {
      out += c;
      continue;
    }
    const semi = raw.indexOf(';', i);
    if (semi < 0 || semi - i > 10) r.fail('an unterminated entity');
    const name = raw.slice(i + 1, semi);
    let ch: string | undefined = NAMED[name];
    if (ch === undefined) {
      const m = /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(name);
      if (!m) r.fail(`an entity (&${name.slice(0, 12)};) that is not one of XML's own`);
      const code = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10);
      if (code === 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) r.fail('a character reference to no character');
      ch = String.fromCodePoint(code);
    }
    out += ch;
    i = semi;
  }
  return out;
}

function value(r: Reader, t: Tag, depth: number): PlistValue {
  if (++r.nodes > MAX_NODES) r.fail(`more than ${MAX_NODES} values`);
  if (depth > MAX_DEPTH) r.fail(`nested deeper than ${MAX_DEPTH}`);
  if (t.closing) r.fail(`an unexpected </${t.name}>`);
  if (t.attrs) r.fail(`attributes on <${t.name}>`);
  switch (t.name) {
    case 'true':
    case 'false':
      if (!t.selfClosing) {
        r.skipMisc();
        const c = r.tag();
        if (!c.closing || c.name !== t.name) r.fail(`<${t.name}> is not empty`);
      }
      return t.name === 'true';
    case 'string':
      return t.selfClosing ? '' : r.text('string');
    case 'integer': {
      const s = t.selfClosing ? '' : r.text('integer').trim();
      if (!/^[+-]?[0-9]{1,16}$/.test(s)) r.fail('an integer that is not a (safe) whole number');
      const n = Number(s);
      if (!Number.isSafeInteger(n)) r.fail('an integer out of range');
      return n;
    }
    case 'real': {
      const s = t.selfClosing ? '' : r.text('real').trim();
      const n = Number(s);
      if (!s || !Number.isFinite(n)) r.fail('a real that is not a finite number');
      return n;
    }
    case 'date': {
      const s = t.selfClosing ? '' : r.text('date').trim();
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s) || Number.isNaN(Date.parse(s))) r.fail('a malformed date');
      return new Date(s);
    }
    case 'data': {
      const s = (t.selfClosing ? '' : r.text('data')).replace(/[ \t\r\n]/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) r.fail('data that is not base64');
      return new Uint8Array(Buffer.from(s, 'base64'));
    }
    case 'array': {
      const out: PlistValue[] = [];
      if (t.selfClosing) return out;
      for (;;) {
        r.skipMisc();
        const c = r.tag();
        if (c.closing && c.name === 'array') return out;
        out.push(value(r, c, depth + 1));
      }
    }
    case 'dict': {
      const out = Object.create(null) as { [key: string]: PlistValue };
      if (t.selfClosing) return out;
      for (;;) {
        r.skipMisc();
        const k = r.tag();
        if (k.closing && k.name === 'dict') return out;
        if (k.name !== 'key' || k.closing || k.attrs) r.fail('a dict entry without its <key>');
        const key = k.selfClosing ? '' : r.text('key');
        if (Object.hasOwn(out, key)) r.fail(`a duplicate key (${key.slice(0, 64)})`);
        r.skipMisc();
        out[key] = value(r, r.tag(), depth + 1);
      }
    }
    default:
      return r.fail(`an element (<${t.name}>) that is not plist`);
  }
}

/** Parses the text of an XML plist. Never throws. */
export function parsePlist(text: string): PlistResult {
  const r = new Reader(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  try {
    if (r.s.startsWith('<?xml')) {
      const end = r.s.indexOf('?>');
      if (end < 0) r.fail('unterminated XML declaration');
      const decl = r.s.slice(5, end);
      if (/encoding\s*=/.test(decl) && !/encoding\s*=\s*["']utf-8["']/i.test(decl)) r.fail('an encoding other than UTF-8');
      r.i = end + 2;
    }
    r.skipMisc();
    if (r.s.startsWith('<!DOCTYPE', r.i)) {
      const end = r.s.indexOf('>', r.i);
      if (end < 0) r.fail('unterminated DOCTYPE');
      const doctype = r.s.slice(r.i, end);
      // An internal subset is where entities (and their expansion attacks) would be declared.
      if (doctype.includes('[') || !/^<!DOCTYPE\s+plist(\s|$)/.test(doctype)) r.fail('a DOCTYPE other than plist, or one with an internal subset');
      r.i = end + 1;
    }
    r.skipMisc();
    if (r.s.startsWith('<?', r.i) || r.s.startsWith('<!', r.i)) r.fail('a processing instruction, CDATA or declaration');
    const root = r.tag();
    if (root.name !== 'plist' || root.closing || root.selfClosing) r.fail('the root element is not <plist>');
    if (root.attrs && !/^version\s*=\s*"1\.0"$/.test(root.attrs)) r.fail('an unexpected <plist> attribute');
    r.skipMisc();
    const v = value(r, r.tag(), 1);
    r.skipMisc();
    const close = r.tag();
    if (!close.closing || close.name !== 'plist') r.fail('more than one value in <plist>');
    r.skipMisc();
    if (r.i !== r.s.length) r.fail('content after </plist>');
    return { ok: true, value: v };
  } catch (e) {
    if (e instanceof PlistError) return { ok: false, problem: e.message };
    throw e;
  }
}
