import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeRegExport, parseRegExport, rawPolicyFromRegExport, readRegistryPolicy, POLICY_KEY } from './registry.ts';
import { parseWith, policyLeaves, PolicyFileSchema } from './schema.ts';

const FIXTURE = new URL('./fixtures/parley-policy.reg', import.meta.url);
const HEADER = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Parley]\r\n';

/** A reg export's bytes: UTF-16LE with a BOM, as reg.exe writes them. */
function regBytes(body: string, header = HEADER): Buffer {
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(header + body, 'utf16le')]);
}
function multiSzHex(items: string[]): string {
  const b = Buffer.from(items.map((s) => s + '\0').join('') + '\0', 'utf16le');
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');
}
const PIN = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';

describe('Windows registry policy (reg export of HKLM\\SOFTWARE\\Policies\\Parley)', () => {
  it('reads every policy field of the recorded-format export, through the one schema', () => {
    const raw = rawPolicyFromRegExport(readFileSync(FIXTURE));
    if (!raw.ok) throw new Error(JSON.stringify(raw.error));
    const p = parseWith('reg', PolicyFileSchema, raw.value);
    if (!p.ok) throw new Error(JSON.stringify(p.error));
    expect(p.value).toEqual({
      gateway: { host: 'parley-gw.corp.example', port: 9862, compId: 'PARLEY' },
      caBundle: 'C:\\ProgramData\\Parley\\ca.pem',
      spkiPins: [PIN, 'A'.repeat(43) + '='],
      enrollmentUrl: 'https://parley-gw.corp.example:9443',
      reattestIntervalSec: 60,
      enrollmentToken: 'pet_0123456789abcdef',
      updates: {
        mode: 'self-update',
        feedUrl: 'https://updates.corp.example/parley/',
        publisherNames: ['Société Générale Corporate IT', 'Corp IT "Desktop"'],
      },
    });
    // The fixture covers every leaf of the schema: a new field must get a registry value here too.
    const text = decodeRegExport(readFileSync(FIXTURE));
    const names = text.ok && parseRegExport(text.value);
    expect(names && names.ok && names.value.values.map((v) => v.name).sort()).toEqual(policyLeaves().map((l) => l.key).sort());
  });

  it('value names are case-insensitive, as in the registry', () => {
    const r = rawPolicyFromRegExport(regBytes('"Gateway.Host"="gw.corp"\r\n"GATEWAY.PORT"=dword:000001bb\r\n'));
    expect(r).toEqual({ ok: true, value: { gateway: { host: 'gw.corp', port: 443 } } });
  });

  it('an empty key is an empty policy', () => {
    expect(rawPolicyFromRegExport(regBytes(''))).toEqual({ ok: true, value: {} });
  });

  const bad: Array<[string, Buffer, string, RegExp]> = [
    ['no BOM (UTF-8)', Buffer.from(HEADER, 'utf8'), '(export)', /byte-order mark/],
    ['odd byte count (truncated)', regBytes('"caBundle"="x"').subarray(0, 41), '(export)', /truncated|header/],
    ['truncated mid-string', regBytes('"gateway.host"="gw.co'), '(export)', /unterminated/],
    ['lone surrogate', Buffer.concat([regBytes(''), Buffer.from([0x00, 0xd8])]), '(export)', /UTF-16LE/],
    ['wrong header', regBytes('', 'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Parley]\r\n'), '(export)', /header/],
    ['another key', regBytes('', 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\SOFTWARE\\Policies\\Parley]\r\n'), '(key)', /not HKEY_LOCAL_MACHINE/],
    ['a subkey', regBytes('"caBundle"="C:\\\\ca.pem"\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Parley\\Extra]\r\n'), '(export)', /subkey/],
    ['default value', regBytes('@="x"\r\n'), '(export)', /default value/],
    ['unknown value', regBytes('"gatewayHost"="gw"\r\n'), 'gatewayHost', /unknown setting/],
    ['prototype pollution name', regBytes('"__proto__.polluted"="yes"\r\n'), '__proto__.polluted', /unknown setting/],
    ['constructor name', regBytes('"constructor"="x"\r\n'), 'constructor', /unknown setting/],
    ['twice (differing case)', regBytes('"caBundle"="C:\\\\a"\r\n"CABUNDLE"="C:\\\\b"\r\n'), 'CABUNDLE', /twice/],
    ['port as REG_SZ', regBytes('"gateway.port"="443"\r\n'), 'gateway.port', /REG_SZ; expected REG_DWORD/],
    ['host as REG_DWORD', regBytes('"gateway.host"=dword:00000001\r\n'), 'gateway.host', /expected REG_SZ/],
    ['pins as REG_SZ', regBytes(`"spkiPins"="${PIN}"\r\n`), 'spkiPins', /expected REG_MULTI_SZ/],
    ['REG_EXPAND_SZ', regBytes(`"caBundle"=hex(2):${multiSzHex(['%ProgramData%\\ca.pem'])}\r\n`), 'caBundle', /REG_EXPAND_SZ; expected REG_SZ/],
    ['REG_QWORD', regBytes('"reattestIntervalSec"=hex(b):3c,00,00,00,00,00,00,00\r\n'), 'reattestIntervalSec', /hex\(b\)/],
    ['short dword', regBytes('"gateway.port"=dword:1bb\r\n'), '(export)', /8 hex digits/],
    ['bad hex byte', regBytes('"spkiPins"=hex(7):zz,00\r\n'), '(export)', /not a byte/],
    ['odd multi-sz', regBytes('"spkiPins"=hex(7):41,00,41\r\n'), '(export)', /odd number/],
    ['bad escape', regBytes('"caBundle"="C:\\ca.pem"\r\n'), '(export)', /escape/],
    ['trailing text', regBytes('"caBundle"="C:\\\\a" ; comment\r\n'), '(export)', /text after/],
    ['no =', regBytes('"caBundle" "x"\r\n'), '(export)', /expected =/],
    ['value before key', regBytes('"caBundle"="x"\r\n', 'Windows Registry Editor Version 5.00\r\n\r\n'), '(export)', /before any key/],
    ['unclosed key header', regBytes('', 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\r\n'), '(export)', /closing bracket/],
    ['too many values', regBytes(Array.from({ length: 70 }, (_, i) => `"v${i}"="x"\r\n`).join('')), '(export)', /more than 64/],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x41, 0x00, 0xff, 0xff]), '(export)', /./],
    ['empty', Buffer.alloc(0), '(export)', /byte-order mark/],
  ];
  for (const [name, bytes, field, problem] of bad) {
    it(`refuses, naming the value: ${name}`, () => {
      const r = rawPolicyFromRegExport(bytes);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.file).toBe('HKLM\\SOFTWARE\\Policies\\Parley');
      expect(r.error.field).toBe(field);
      expect(r.error.problem).toMatch(problem);
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  }

  it('values of the right registry type still go through the strict schema', () => {
    const cases: Array<[string, string]> = [
      ['"gateway.host"="gw; rm -rf /"\r\n"gateway.port"=dword:000001bb\r\n', 'gateway.host'],
      ['"gateway.host"="gw"\r\n"gateway.port"=dword:00011170\r\n', 'gateway.port'],
      ['"gateway.port"=dword:000001bb\r\n', 'gateway.host'],
      ['"reattestIntervalSec"=dword:ffffffff\r\n', 'reattestIntervalSec'],
      [`"spkiPins"=hex(7):${multiSzHex([PIN, 'not-a-pin'])}\r\n`, 'spkiPins.1'],
      [`"spkiPins"=hex(7):${multiSzHex([])}\r\n`, 'spkiPins'],
      ['"enrollmentUrl"="http://gw/enroll"\r\n', 'enrollmentUrl'],
      ['"updates.mode"="whenever"\r\n', 'updates.mode'],
      ['"updates.mode"="self-update"\r\n', 'updates.feedUrl'],
      ['"updates.feedUrl"="https://u.example/"\r\n', 'updates.mode'],
      [`"updates.mode"="it-managed"\r\n"updates.publisherNames"=hex(7):${multiSzHex(['bad\u0007bell'])}\r\n`, 'updates.publisherNames.0'],
    ];
    for (const [body, field] of cases) {
      const raw = rawPolicyFromRegExport(regBytes(body));
      if (!raw.ok) throw new Error(`${body}: ${JSON.stringify(raw.error)}`);
      const p = parseWith('HKLM', PolicyFileSchema, raw.value);
      expect(p.ok, body).toBe(false);
      if (!p.ok) expect(p.error.field, body).toBe(field);
    }
  });

  it.skipIf(process.platform !== 'win32')(
    'reads the live key with reg.exe (skipped: reg.exe exists only on Windows; this build machine runs Linux, so the recorded-format exports above stand in)',
    async () => {
      const r = await readRegistryPolicy();
      expect(r === 'missing' || typeof r === 'object').toBe(true);
      expect(POLICY_KEY).toMatch(/Policies\\Parley$/);
    },
  );
});
