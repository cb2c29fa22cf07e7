import { describe, expect, it } from 'vitest';
import { fixture } from '../testing/fixtures.ts';
import { parseFdesetupStatus } from './macos-fdesetup.ts';
import { parseSocketFilterFwState, parseSysadminctlScreenLock } from './macos-firewall.ts';
import { parseIoregPlatform, parseSystemProfilerHardware, parseSystemProfilerSecureBoot } from './macos-hardware.ts';
import { parseSoftwareUpdateHistory, parseSoftwareUpdateList } from './macos-softwareupdate.ts';
import { parseSwVers } from './macos-sw-vers.ts';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.value;
};

describe('sw_vers', () => {
  it('reads Sonoma, a Rapid Security Response and Catalina', () => {
    expect(value(parseSwVers(fixture('darwin/sw_vers-sonoma.txt')))).toEqual({ productName: 'macOS', productVersion: '14.4.1', buildVersion: '23E224' });
    expect(value(parseSwVers(fixture('darwin/sw_vers-rsr.txt')))).toMatchObject({ productVersion: '13.4.1', productVersionExtra: '(c)' });
    expect(value(parseSwVers(fixture('darwin/sw_vers-catalina.txt')))).toMatchObject({ productName: 'Mac OS X', productVersion: '10.15.7' });
  });
  it('refuses garbage', () => {
    expect(parseSwVers('').ok).toBe(false);
    expect(parseSwVers('ProductName: macOS\nProductVersion: fourteen\nBuildVersion: 23E224').ok).toBe(false);
  });
});

describe('fdesetup status', () => {
  it('on, off, in progress, deferred', () => {
    expect(value(parseFdesetupStatus(fixture('darwin/fdesetup-on.txt')))).toEqual({ state: 'on' });
    expect(value(parseFdesetupStatus(fixture('darwin/fdesetup-off.txt')))).toEqual({ state: 'off' });
    expect(value(parseFdesetupStatus(fixture('darwin/fdesetup-encrypting.txt')))).toEqual({ state: 'encrypting', percent: 34.52 });
    expect(value(parseFdesetupStatus(fixture('darwin/fdesetup-decrypting.txt')))).toEqual({ state: 'decrypting', percent: 88.1 });
    expect(value(parseFdesetupStatus(fixture('darwin/fdesetup-deferred.txt')))).toEqual({ state: 'deferred' });
  });
  it('errors are not a state', () => {
    expect(parseFdesetupStatus(fixture('darwin/fdesetup-not-root.txt')).ok).toBe(false);
    expect(parseFdesetupStatus('FileVault is Onish.').ok).toBe(false);
    expect(parseFdesetupStatus('').ok).toBe(false);
  });
});

describe('softwareupdate', () => {
  it('--history: the last OS patch ignores background definition data', () => {
    const h = value(parseSoftwareUpdateHistory(fixture('darwin/softwareupdate-history.txt')));
    expect(h.entries).toHaveLength(5);
    expect(h.lastOsPatch?.toISOString()).toBe('2026-11-09T10:12:49.000Z');
    expect(h.lastAny?.toISOString()).toBe('2026-11-18T19:05:47.000Z');
  });
  it('--history: German and Japanese date formats', () => {
    expect(value(parseSoftwareUpdateHistory(fixture('darwin/softwareupdate-history-de.txt'))).lastOsPatch?.toISOString()).toBe('2026-11-09T10:12:49.000Z');
    expect(value(parseSoftwareUpdateHistory(fixture('darwin/softwareupdate-history-ja.txt'))).lastOsPatch?.toISOString()).toBe('2026-11-09T10:12:49.000Z');
  });
  it('--history: stale machine, empty history, garbage', () => {
    expect(value(parseSoftwareUpdateHistory(fixture('darwin/softwareupdate-history-stale.txt'))).lastOsPatch?.toISOString()).toBe('2026-05-22T10:12:49.000Z');
    expect(value(parseSoftwareUpdateHistory(fixture('darwin/softwareupdate-history-empty.txt'))).entries).toEqual([]);
    const noRule = fixture('darwin/softwareupdate-history.txt').replace(/^-{3,}.*\n/m, '');
    expect(value(parseSoftwareUpdateHistory(noRule)).entries).toHaveLength(5);
    expect(parseSoftwareUpdateHistory('').ok).toBe(false);
    expect(parseSoftwareUpdateHistory(fixture('darwin/softwareupdate-list-pending.txt')).ok).toBe(false);
    const bad = fixture('darwin/softwareupdate-history.txt').replace('11/09/2026', '13/45/2026');
    expect(parseSoftwareUpdateHistory(bad).ok).toBe(false);
  });
  it('--list: none (English, German), pending with security classification', () => {
    expect(value(parseSoftwareUpdateList(fixture('darwin/softwareupdate-list-none.txt')))).toMatchObject({ total: 0, security: 0 });
    expect(value(parseSoftwareUpdateList(fixture('darwin/softwareupdate-list-none-de.txt')))).toMatchObject({ total: 0, security: 0 });
    const p = value(parseSoftwareUpdateList(fixture('darwin/softwareupdate-list-pending.txt')));
    expect(p).toMatchObject({ total: 3, security: 2 });
    expect(p.updates[0]).toMatchObject({ label: 'macOS Sonoma 14.5-23F79', restart: true, security: true });
  });
  it('--list: an error is not "no updates"', () => {
    expect(parseSoftwareUpdateList(fixture('darwin/softwareupdate-list-garbage.txt')).ok).toBe(false);
    expect(parseSoftwareUpdateList('').ok).toBe(false);
    expect(parseSoftwareUpdateList('* Label: X\n').ok).toBe(false);
  });
});

describe('firewall and screen lock', () => {
  it('socketfilterfw', () => {
    expect(value(parseSocketFilterFwState(fixture('darwin/socketfilterfw-on.txt')))).toEqual({ enabled: true, blockAll: false, state: 1 });
    expect(value(parseSocketFilterFwState(fixture('darwin/socketfilterfw-off.txt')))).toEqual({ enabled: false, blockAll: false, state: 0 });
    expect(value(parseSocketFilterFwState(fixture('darwin/socketfilterfw-blockall.txt')))).toEqual({ enabled: true, blockAll: true, state: 2 });
    expect(parseSocketFilterFwState('Firewall is enabled.').ok).toBe(false);
    expect(parseSocketFilterFwState('(State = 7)').ok).toBe(false);
  });
  it('sysadminctl -screenLock status', () => {
    expect(value(parseSysadminctlScreenLock(fixture('darwin/sysadminctl-immediate.txt')))).toEqual({ enabled: true, delaySeconds: 0 });
    expect(value(parseSysadminctlScreenLock(fixture('darwin/sysadminctl-300.txt')))).toEqual({ enabled: true, delaySeconds: 300 });
    expect(value(parseSysadminctlScreenLock(fixture('darwin/sysadminctl-off.txt')))).toEqual({ enabled: false });
    expect(value(parseSysadminctlScreenLock(fixture('darwin/sysadminctl-minus-one.txt')))).toEqual({ enabled: false });
    expect(value(parseSysadminctlScreenLock('2026-11-20 09:14:02.731 sysadminctl[1:2] screenLock delay is 5.000000 seconds'))).toEqual({ enabled: true, delaySeconds: 5 });
    expect(parseSysadminctlScreenLock('sysadminctl: unknown option').ok).toBe(false);
  });
});

describe('hardware identity and Secure Boot', () => {
  it('ioreg and system_profiler agree', () => {
    const io = value(parseIoregPlatform(fixture('darwin/ioreg-platform.txt')));
    const sp = value(parseSystemProfilerHardware(fixture('darwin/system-profiler-hardware.json')));
    expect(io).toEqual({ serial: 'C02FK1ABMD6T', uuid: '5C4F2A9E-71D3-5B8A-9E2C-0D1F3A4B5C6D', model: 'MacBookPro18,3' });
    expect(sp).toEqual(io);
  });
  it('refuses malformed identifiers', () => {
    expect(parseIoregPlatform('+-o Root <class IORegistryEntry>').ok).toBe(false);
    expect(parseIoregPlatform('IOPlatformExpertDevice "IOPlatformSerialNumber" = "x; rm -rf /"').ok).toBe(false);
    expect(parseSystemProfilerHardware('{"SPHardwareDataType":[]}').ok).toBe(false);
    expect(parseSystemProfilerHardware('{"SPHardwareDataType":[{"serial_number":"short"}]}').ok).toBe(false);
  });
  it('secure boot levels; localized values are not guessed', () => {
    expect(value(parseSystemProfilerSecureBoot(fixture('darwin/system-profiler-ibridge-full.json')))).toEqual({ present: true, level: 'full', raw: 'Full Security' });
    expect(value(parseSystemProfilerSecureBoot(fixture('darwin/system-profiler-ibridge-reduced.json')))).toMatchObject({ level: 'reduced' });
    expect(value(parseSystemProfilerSecureBoot(fixture('darwin/system-profiler-ibridge-empty.json')))).toEqual({ present: false });
    expect(parseSystemProfilerSecureBoot(fixture('darwin/system-profiler-ibridge-fr.json'))).toMatchObject({ ok: false });
    expect(parseSystemProfilerSecureBoot('{}').ok).toBe(false);
  });
});
