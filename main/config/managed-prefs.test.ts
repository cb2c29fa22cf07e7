import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readManagedPreferences, rawPolicyFromPlistText } from './managed-prefs.ts';
import { parsePlist } from './plist.ts';
import { parseWith, PolicyFileSchema } from './schema.ts';

const FIXTURE = new URL('./fixtures/com.parley.desktop.plist', import.meta.url);
const wrap = (inner: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">${inner}</plist>\n`;

describe('XML plist parser', () => {
  it('parses the plist vocabulary', () => {
    const r = parsePlist(
      wrap(`<dict><key>s</key><string>a &lt;b&gt; &amp; &#233;&#x1F600;</string><key>e</key><string/><key>i</key><integer>-42</integer>
       <key>r</key><real>1.5</real><key>t</key><true/><key>f</key><false/><key>d</key><date>2026-01-02T03:04:05Z</date>
       <key>b</key><data>AAEC</data><key>a</key><array><string>x</string><array/></array><key>n</key><dict/></dict>`),
    );
    if (!r.ok) throw new Error(r.problem);
    const v = r.value as Record<string, unknown>;
    expect({ ...v, d: (v.d as Date).toISOString(), b: [...(v.b as Uint8Array)], n: { ...(v.n as object) } }).toEqual({
      s: 'a <b> & é😀', e: '', i: -42, r: 1.5, t: true, f: false, d: '2026-01-02T03:04:05.000Z', b: [0, 1, 2], a: ['x', []], n: {},
    });
  });

  it('keeps __proto__ as plain data (null-prototype dicts)', () => {
    const r = parsePlist(wrap('<dict><key>__proto__</key><dict><key>polluted</key><true/></dict></dict>'));
    expect(r.ok).toBe(true);
    expect(Object.prototype).not.toHaveProperty('polluted');
    if (r.ok) expect(Object.keys(r.value as object)).toEqual(['__proto__']);
  });

  const hostile: Array<[string, string, RegExp]> = [
    ['billion laughs', `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><plist><string>&b;</string></plist>`, /internal subset/],
    ['external entity', `<?xml version="1.0"?><!DOCTYPE plist [<!ENTITY x SYSTEM "file:///etc/passwd">]><plist><string>&x;</string></plist>`, /internal subset/],
    ['undeclared entity', wrap('<string>&x;</string>'), /not one of XML's own/],
    ['unterminated entity', wrap('<string>a &amp b</string>'), /unterminated entity/],
    ['NUL char ref', wrap('<string>&#0;</string>'), /no character/],
    ['surrogate char ref', wrap('<string>&#xD800;</string>'), /no character/],
    ['CDATA', wrap('<string><![CDATA[x]]></string>'), /markup|malformed/],
    ['processing instruction', '<?xml version="1.0"?><?evil x?><plist><true/></plist>', /processing instruction/],
    ['other DOCTYPE', '<!DOCTYPE html><plist><true/></plist>', /DOCTYPE/],
    ['UTF-16 declared', '<?xml version="1.0" encoding="UTF-16"?><plist><true/></plist>', /encoding/],
    ['not plist root', '<dict></dict>', /root element/],
    ['unknown element', wrap('<dict><key>a</key><script>x</script></dict>'), /not plist/],
    ['attribute on value', wrap('<string id="x">a</string>'), /attributes/],
    ['value without key', wrap('<dict><string>a</string></dict>'), /without its <key>/],
    ['duplicate key', wrap('<dict><key>a</key><true/><key>a</key><false/></dict>'), /duplicate key/],
    ['markup in string', wrap('<string>a<b/>c</string>'), /markup|malformed/],
    ['mismatched close', wrap('<array><string>a</string></dict>'), /unexpected|malformed/],
    ['two values', wrap('<true/><false/>'), /more than one value/],
    ['trailing content', wrap('<true/>') + '<plist/>', /after <\/plist>/],
    ['truncated', wrap('<dict><key>gateway</key><dict><key>host</key><string>gw').slice(0, -20), /unterminated|expected|malformed/],
    ['integer garbage', wrap('<integer>12abc</integer>'), /whole number/],
    ['huge integer', wrap('<integer>99999999999999999</integer>'), /whole number|range/],
    ['real NaN', wrap('<real>nan</real>'), /finite/],
    ['bad date', wrap('<date>yesterday</date>'), /date/],
    ['bad base64', wrap('<data>!!!</data>'), /base64/],
    ['deep nesting', wrap('<array>'.repeat(100) + '</array>'.repeat(100)), /nested deeper/],
    ['unterminated comment', wrap('<!-- x'), /unterminated comment/],
    ['empty', '', /expected an element|root/],
    ['garbage', '\u0000\u0001garbage{{{', /expected an element/],
  ];
  for (const [name, text, problem] of hostile) {
    it(`refuses hostile or broken input without throwing: ${name}`, () => {
      const r = parsePlist(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem).toMatch(problem);
    });
  }

  it('refuses too many values', () => {
    const r = parsePlist(wrap('<array>' + '<true/>'.repeat(20_001) + '</array>'));
    expect(r).toMatchObject({ ok: false, problem: expect.stringMatching(/more than 20000 values/) });
  });
});

describe('macOS managed preferences (com.parley.desktop)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'parley-mp-'));

  it('reads every policy field of the fixture through the one schema', async () => {
    const r = await readManagedPreferences(FIXTURE.pathname, 'darwin');
    if (r === 'missing' || !r.ok) throw new Error(JSON.stringify(r));
    const p = parseWith('mp', PolicyFileSchema, r.value);
    if (!p.ok) throw new Error(JSON.stringify(p.error));
    expect(p.value).toEqual({
      caBundle: '/Library/Application Support/Parley/ca.pem',
      enrollmentToken: 'pet_0123456789abcdef',
      enrollmentUrl: 'https://parley-gw.corp.example:9443',
      gateway: { compId: 'PARLEY', host: 'parley-gw.corp.example', port: 9862 },
      reattestIntervalSec: 60,
      spkiPins: ['47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='],
      updates: { feedUrl: 'https://updates.corp.example/parley/', mode: 'self-update' },
    });
  });

  it('no profile = no OS policy', async () => {
    expect(await readManagedPreferences(path.join(dir, 'absent.plist'), 'darwin')).toBe('missing');
  });

  it('wrong plist types are schema errors naming the key', () => {
    const cases: Array<[string, string]> = [
      ['<dict><key>gateway</key><dict><key>host</key><string>gw</string><key>port</key><string>443</string></dict></dict>', 'gateway.port'],
      ['<dict><key>reattestIntervalSec</key><real>60.5</real></dict>', 'reattestIntervalSec'],
      ['<dict><key>spkiPins</key><string>x</string></dict>', 'spkiPins'],
      ['<dict><key>enrollmentToken</key><data>AAAAAAAAAAA=</data></dict>', 'enrollmentToken'],
      ['<dict><key>updates</key><dict><key>mode</key><true/></dict></dict>', 'updates.mode'],
      ['<dict><key>PayloadUUID</key><string>x</string></dict>', '(root)'],
      ['<dict><key>__proto__</key><dict/></dict>', '(root)'],
    ];
    for (const [inner, field] of cases) {
      const raw = rawPolicyFromPlistText(wrap(inner), 'mp');
      if (!raw.ok) throw new Error(raw.error.problem);
      const p = parseWith('mp', PolicyFileSchema, raw.value);
      expect(p.ok, inner).toBe(false);
      if (!p.ok) expect(p.error.field, inner).toBe(field);
    }
  });

  it('a plist that is not a dict, or not a plist, is a configuration error naming the file', async () => {
    for (const [name, content, problem] of [
      ['array.plist', wrap('<array/>'), /not a dict/],
      ['json.plist', '{"gateway": {}}', /not a valid XML plist/],
      ['latin1.plist', Buffer.from([0x3c, 0x70, 0xe9, 0x3e]), /UTF-8/],
    ] as const) {
      const f = path.join(dir, name);
      writeFileSync(f, content);
      expect(await readManagedPreferences(f, 'darwin')).toMatchObject({ ok: false, error: { file: f, problem: expect.stringMatching(problem) } });
    }
  });

  it('a binary plist off macOS is an error, never skipped', async () => {
    const f = path.join(dir, 'binary.plist');
    writeFileSync(f, Buffer.concat([Buffer.from('bplist00'), Buffer.alloc(32)]));
    expect(await readManagedPreferences(f, 'linux')).toMatchObject({ ok: false, error: { problem: expect.stringMatching(/plutil/) } });
  });

  it.skipIf(process.platform !== 'darwin')(
    'converts a binary plist with plutil (skipped: /usr/bin/plutil exists only on macOS; this build machine runs Linux, so XML fixtures stand in)',
    async () => {
      const f = path.join(dir, 'converted.plist');
      writeFileSync(f, readFileSync(FIXTURE));
      execFileSync('/usr/bin/plutil', ['-convert', 'binary1', f]);
      expect(readFileSync(f).subarray(0, 8).toString('latin1')).toBe('bplist00');
      expect(await readManagedPreferences(f, 'darwin')).toEqual(await readManagedPreferences(FIXTURE.pathname, 'darwin'));
    },
  );
});
