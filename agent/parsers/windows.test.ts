import { describe, expect, it } from 'vitest';
import { fixture } from '../testing/fixtures.ts';
import { parseNetFirewallProfiles, parseNetshFirewallState } from './windows-firewall.ts';
import { parseGetHotFixJson, parseWmicQfeCsv } from './windows-hotfix.ts';
import { parseManageBdeStatus } from './windows-manage-bde.ts';
import { parseRegQuery } from './windows-reg.ts';
import { parseWindowsUpdateSearch } from './windows-update-search.ts';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.value;
};

describe('manage-bde -status', () => {
  it('English: encrypted, decrypted, in progress, suspended', () => {
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-on.txt')))).toEqual({
      elevationRequired: false, volume: 'C:', conversion: 'used-space-encrypted', percentEncrypted: 100, protectionOn: true, language: 'en',
    });
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-off.txt')))).toMatchObject({ conversion: 'fully-decrypted', percentEncrypted: 0, protectionOn: false });
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-encrypting.txt')))).toMatchObject({ conversion: 'encrypting', percentEncrypted: 42.7, protectionOn: false });
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-suspended.txt')))).toMatchObject({ conversion: 'fully-encrypted', protectionOn: false });
  });
  it('German, with decimal commas', () => {
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-de.txt')))).toMatchObject({ volume: 'C:', conversion: 'used-space-encrypted', percentEncrypted: 100, protectionOn: true, language: 'de' });
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-de-off.txt')))).toMatchObject({ conversion: 'fully-decrypted', protectionOn: false });
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-de-suspended.txt')))).toMatchObject({ conversion: 'used-space-encrypted', percentEncrypted: 100, protectionOn: false });
  });
  it('not elevated (English, German) is its own answer', () => {
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-denied.txt')))).toEqual({ elevationRequired: true });
    expect(value(parseManageBdeStatus(fixture('win32/manage-bde-denied-de.txt')))).toEqual({ elevationRequired: true });
  });
  it('unsupported language, truncated and garbage are errors, never a status', () => {
    expect(parseManageBdeStatus(fixture('win32/manage-bde-fr.txt')).ok).toBe(false);
    const cut = fixture('win32/manage-bde-on.txt').split('Protection Status')[0]!;
    expect(parseManageBdeStatus(cut)).toMatchObject({ ok: false });
    expect(parseManageBdeStatus('').ok).toBe(false);
    expect(parseManageBdeStatus(fixture('win32/manage-bde-on.txt').replace('100.0%', '180.0%')).ok).toBe(false);
  });
});

describe('hotfixes', () => {
  it('Get-HotFix JSON from PowerShell 5.1 and 7, single object', () => {
    const a = value(parseGetHotFixJson(fixture('win32/get-hotfix-ps51.json')));
    expect(a).toMatchObject({ count: 3, undated: 1, lastId: 'KB5034441' });
    expect(a.lastInstalled?.toISOString()).toBe('2026-11-14T00:00:00.000Z');
    const b = value(parseGetHotFixJson(fixture('win32/get-hotfix-ps7.json')));
    expect(b.lastInstalled?.toISOString()).toBe('2026-11-14T00:00:00.000Z');
    const c = value(parseGetHotFixJson(fixture('win32/get-hotfix-single-stale.json')));
    expect(c).toMatchObject({ count: 1, lastId: 'KB5027397' });
    expect(c.lastInstalled?.toISOString()).toBe('2026-06-10T00:00:00.000Z');
  });
  it('wmic qfe CSV: US and German dates, FILETIME', () => {
    expect(value(parseWmicQfeCsv(fixture('win32/wmic-qfe.csv')))).toMatchObject({ count: 3, undated: 1, lastId: 'KB5034441' });
    expect(value(parseWmicQfeCsv(fixture('win32/wmic-qfe.csv'))).lastInstalled?.toISOString()).toBe('2026-11-14T00:00:00.000Z');
    expect(value(parseWmicQfeCsv(fixture('win32/wmic-qfe-de.csv'))).lastInstalled?.toISOString()).toBe('2026-11-14T00:00:00.000Z');
    expect(value(parseWmicQfeCsv(fixture('win32/wmic-qfe-filetime.csv'))).lastInstalled?.toISOString()).toBe('2026-11-12T00:00:00.000Z');
  });
  it('garbage', () => {
    expect(parseGetHotFixJson('').ok).toBe(false);
    expect(parseGetHotFixJson('Get-HotFix : Access is denied').ok).toBe(false);
    expect(parseGetHotFixJson('[{"HotFixID":"not-a-kb"}]').ok).toBe(false);
    expect(parseGetHotFixJson('[{"HotFixID":"KB5034441","InstalledOn":"yesterday"}]').ok).toBe(false);
    expect(parseWmicQfeCsv('No Instance(s) Available.').ok).toBe(false);
    expect(parseWmicQfeCsv('Node,HotFixID,InstalledOn\r\nPC,KB5034441\r\n').ok).toBe(false);
  });
});

describe('Windows Update search', () => {
  it('none and pending, security by category id or severity', () => {
    expect(value(parseWindowsUpdateSearch(fixture('win32/wua-none.json')))).toMatchObject({ total: 0, security: 0 });
    const p = value(parseWindowsUpdateSearch(fixture('win32/wua-pending.json')));
    expect(p).toMatchObject({ total: 2, security: 1 });
    expect(p.updates[1]).toMatchObject({ kb: ['KB2267602'], security: false });
  });
  it('empty output or mismatched count is an error, not zero', () => {
    expect(parseWindowsUpdateSearch('').ok).toBe(false);
    expect(parseWindowsUpdateSearch('{"count":2,"updates":[]}').ok).toBe(false);
    expect(parseWindowsUpdateSearch('{"updates":[]}').ok).toBe(false);
  });
});

describe('firewall', () => {
  it('Get-NetFirewallProfile (1/0 and booleans)', () => {
    expect(value(parseNetFirewallProfiles(fixture('win32/netfirewall-on.json')))).toEqual({ profiles: { Domain: true, Private: true, Public: true }, allEnabled: true });
    expect(value(parseNetFirewallProfiles(fixture('win32/netfirewall-public-off.json')))).toMatchObject({ allEnabled: false, profiles: { Public: false } });
    expect(parseNetFirewallProfiles('[{"Name":"Domain","Enabled":"maybe"}]').ok).toBe(false);
    expect(parseNetFirewallProfiles('[]').ok).toBe(false);
  });
  it('netsh, English and German', () => {
    expect(value(parseNetshFirewallState(fixture('win32/netsh-en.txt')))).toMatchObject({ allEnabled: true });
    expect(value(parseNetshFirewallState(fixture('win32/netsh-de.txt')))).toEqual({ profiles: { Domain: true, Private: true, Public: false }, allEnabled: false });
    expect(parseNetshFirewallState('The requested operation requires elevation (Run as administrator).').ok).toBe(false);
  });
});

describe('reg query', () => {
  it('values, types, not found in two languages', () => {
    expect(value(parseRegQuery(fixture('win32/reg-ubr.txt')))).toMatchObject({ found: true, values: { UBR: { type: 'REG_DWORD', value: 3447 } } });
    expect(value(parseRegQuery(fixture('win32/reg-secureboot-on.txt')))).toMatchObject({ values: { UEFISecureBootEnabled: { value: 1 } } });
    const d = value(parseRegQuery(fixture('win32/reg-desktop.txt')));
    expect(d).toMatchObject({ found: true, values: { ScreenSaveActive: { type: 'REG_SZ', value: '1' }, ScreenSaveTimeOut: { value: '600' } } });
    expect(value(parseRegQuery(fixture('win32/reg-notfound.txt')))).toEqual({ found: false });
    expect(value(parseRegQuery(fixture('win32/reg-notfound-de.txt')))).toEqual({ found: false });
  });
  it('garbage', () => {
    expect(parseRegQuery('').ok).toBe(false);
    expect(parseRegQuery('HKEY_LOCAL_MACHINE\\X\n    UBR    REG_DWORD    zzz\n').ok).toBe(false);
    expect(parseRegQuery('HKEY_LOCAL_MACHINE\\X\n    UBR    REG_WEIRD    1\n').ok).toBe(false);
  });
});
