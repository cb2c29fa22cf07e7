/**
 * OS policy > policy file > user settings, never loosened, one configuration-error state for every source.
 * The OS channel is fed the recorded-format registry export and the managed-preferences fixture through
 * the real readers (rawPolicyFromRegExport / readManagedPreferences), so the merge sees what it would on
 * Windows and macOS.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCa } from '../testing/certs.ts';
import { readManagedPreferences } from './managed-prefs.ts';
import { defaultOsPolicySource, loadConfig, type OsPolicySource } from './policy.ts';
import { rawPolicyFromRegExport } from './registry.ts';
import type { LoadResult } from './schema.ts';

const PIN_IT = '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const PIN_FILE = 'F'.repeat(43) + '=';
const PIN_USER = 'U'.repeat(43) + '=';
let dir: string;
let caOs: string;
let caFile: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'parley-prec-'));
  caOs = (await selfSignedCa('CN=OS policy CA')).certPem;
  caFile = (await selfSignedCa('CN=File policy CA')).certPem;
  writeFileSync(path.join(dir, 'ca-os.pem'), caOs);
  writeFileSync(path.join(dir, 'ca-file.pem'), caFile);
});

const json = (name: string, v: unknown) => {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(v));
  return p;
};
const os = (raw: LoadResult<unknown> | 'missing', name = 'HKLM\\SOFTWARE\\Policies\\Parley'): OsPolicySource => ({ name, read: async () => raw });
function regExport(lines: string[]): Buffer {
  const text = ['Windows Registry Editor Version 5.00', '', '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Parley]', ...lines, ''].join('\r\n');
  return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
}
const fromReg = (lines: string[]) => os(rawPolicyFromRegExport(regExport(lines)));

describe('policy precedence across channels', () => {
  it('picks the OS channel per platform (Linux reads only the file)', () => {
    expect(defaultOsPolicySource('linux')).toBeNull();
    expect(defaultOsPolicySource('win32')?.name).toBe('HKLM\\SOFTWARE\\Policies\\Parley');
    expect(defaultOsPolicySource('darwin')?.name).toBe('/Library/Managed Preferences/com.parley.desktop.plist');
  });

  it('OS policy > policy file > user settings, field by field', async () => {
    const osCa = path.join(dir, 'ca-os.pem').replaceAll('\\', '\\\\');
    const osPolicy = fromReg([
      '"gateway.host"="gw-os.corp"',
      '"gateway.port"=dword:000001bb',
      `"caBundle"="${osCa}"`,
      '"updates.mode"="it-managed"',
    ]);
    const file = json('policy.json', {
      gateway: { host: 'gw-file.corp', port: 9000 },
      caBundle: 'ca-file.pem',
      spkiPins: [PIN_FILE],
      enrollmentUrl: 'https://gw-file.corp:9443',
      updates: { mode: 'self-update', feedUrl: 'https://updates.corp/' },
    });
    const user = json('user.json', { gateway: { host: 'evil.example', port: 1 }, spkiPins: [PIN_USER], enrollmentUrl: 'https://evil.example/' });
    const r = await loadConfig({ osPolicy, policyPath: file, userSettingsPath: user });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.gateway).toEqual({ host: 'gw-os.corp', port: 443 });
    expect(r.value.caPem).toEqual([caOs.trim()]);
    expect(r.value.spkiPins).toEqual([PIN_FILE]);
    expect(r.value.enrollmentUrl).toBe('https://gw-file.corp:9443');
    expect(r.value.updates).toEqual({ mode: 'it-managed' });
    expect(r.value.policySources).toEqual(['HKLM\\SOFTWARE\\Policies\\Parley', file]);
    expect(r.value.policySource).toBe('HKLM\\SOFTWARE\\Policies\\Parley');
    expect([...r.value.managed].sort()).toEqual(['caBundle', 'enrollmentUrl', 'gateway', 'spkiPins', 'updates']);
  });

  it('the re-attestation interval only ever tightens down the chain', async () => {
    const cases: Array<[number | undefined, number | undefined, number | undefined, number]> = [
      [600, 120, undefined, 120], // the file may ask for more often than the OS policy
      [60, 600, undefined, 60], // never less often
      [60, undefined, 3_600, 60], // the user cannot loosen
      [600, undefined, 30, 30], // the user can tighten
      [undefined, undefined, undefined, 300],
    ];
    for (const [o, f, u, want] of cases) {
      const osPolicy = os(o === undefined ? 'missing' : { ok: true, value: { reattestIntervalSec: o } });
      const file = json(`re-${o}-${f}.json`, f === undefined ? {} : { reattestIntervalSec: f });
      const user = json(`re-u-${u}.json`, u === undefined ? {} : { reattestIntervalSec: u });
      const r = await loadConfig({ osPolicy, policyPath: file, userSettingsPath: user });
      expect(r.ok && r.value.reattestIntervalSec, `${o}/${f}/${u}`).toBe(want);
    }
  });

  it('the macOS managed preferences fixture wins over the file', async () => {
    const mp = await readManagedPreferences(new URL('./fixtures/com.parley.desktop.plist', import.meta.url).pathname, 'darwin');
    const raw = mp === 'missing' || !mp.ok ? mp : { ok: true as const, value: { ...(mp.value as object), caBundle: path.join(dir, 'ca-os.pem') } };
    const file = json('policy-mac.json', { gateway: { host: 'gw-file.corp', port: 9000 }, enrollmentToken: 'pet_file_token' });
    const r = await loadConfig({ osPolicy: os(raw, '/Library/Managed Preferences/com.parley.desktop.plist'), policyPath: file });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value).toMatchObject({
      gateway: { host: 'parley-gw.corp.example', port: 9862, compId: 'PARLEY' },
      enrollmentToken: 'pet_0123456789abcdef',
      reattestIntervalSec: 60,
      updates: { mode: 'self-update', feedUrl: 'https://updates.corp.example/parley/' },
    });
  });

  it('a bad OS policy is a configuration error naming it, even when the file is good', async () => {
    const file = json('good.json', { gateway: { host: 'gw.corp', port: 1 } });
    const bad: Array<[OsPolicySource, string, RegExp]> = [
      [fromReg(['"gateway.port"="443"']), 'gateway.port', /expected REG_DWORD/],
      [fromReg(['"gatewayHost"="x"']), 'gatewayHost', /unknown setting/],
      [fromReg(['"updates.mode"="self-update"']), 'updates.feedUrl', /required/],
      [fromReg(['"caBundle"="ca-os.pem"']), 'caBundle', /absolute path/],
      [fromReg([`"caBundle"="${path.join(dir, 'missing.pem')}"`]), 'caBundle', /cannot be read/],
      [os({ ok: false, error: { file: 'HKLM\\SOFTWARE\\Policies\\Parley', field: '(key)', problem: 'exists but reg.exe could not export it' } }), '(key)', /could not export/],
    ];
    for (const [osPolicy, field, problem] of bad) {
      const r = await loadConfig({ osPolicy, policyPath: file });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ file: 'HKLM\\SOFTWARE\\Policies\\Parley', field, problem: expect.stringMatching(problem) });
    }
  });

  it('a bad file is still an error when the OS policy is good (no source is skipped)', async () => {
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{"gateway": ');
    const r = await loadConfig({ osPolicy: fromReg(['"gateway.host"="gw"', '"gateway.port"=dword:00000001']), policyPath: file });
    expect(r).toMatchObject({ ok: false, error: { file, problem: expect.stringMatching(/not valid JSON/) } });
  });

  it('users cannot set updates or tokens in their own settings', async () => {
    for (const extra of [{ updates: { mode: 'self-update', feedUrl: 'https://evil.example/' } }, { enrollmentToken: 'pet_user_token' }]) {
      const user = json('user-bad.json', extra);
      const r = await loadConfig({ osPolicy: null, policyPath: path.join(dir, 'none.json'), userSettingsPath: user });
      expect(r).toMatchObject({ ok: false, error: { file: user, problem: expect.stringMatching(/unknown setting/) } });
    }
    expect(readFileSync(path.join(dir, 'ca-os.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('no policy anywhere: updates are IT-managed (the app never updates itself)', async () => {
    const r = await loadConfig({ osPolicy: os('missing'), policyPath: path.join(dir, 'none.json') });
    expect(r).toMatchObject({ ok: true, value: { updates: { mode: 'it-managed' }, policySource: null, policySources: [], managed: [] } });
  });
});
