import { describe, expect, it } from 'vitest';
import { fixture } from '../testing/fixtures.ts';
import { parseAptHistory } from './linux-apt-history.ts';
import { parseAptUpgradable } from './linux-apt-upgradable.ts';
import { parseDnfCheckUpdate, parseDnfSecurityList } from './linux-dnf.ts';
import { parseDpkgLog } from './linux-dpkg-log.ts';
import { parseFirewalldState, parseNftRuleset, parseUfwStatus } from './linux-firewall.ts';
import { parseGsettingsBool, parseGsettingsUint } from './linux-gsettings.ts';
import { parseLsblkRoot } from './linux-lsblk.ts';
import { parseOsRelease } from './linux-os-release.ts';
import { parseRpmLast } from './linux-rpm-last.ts';
import { parseMokutilSbState, parseSecureBootEfivar } from './linux-secureboot.ts';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  if (!r.ok) throw new Error(`expected ok, got: ${r.error}`);
  return r.value;
};

describe('os-release', () => {
  it('reads Debian, Ubuntu, Fedora and rolling Arch', () => {
    expect(value(parseOsRelease(fixture('linux/os-release-debian12.txt')))).toMatchObject({ id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' });
    expect(value(parseOsRelease(fixture('linux/os-release-ubuntu2204.txt')))).toMatchObject({ id: 'ubuntu', versionId: '22.04', idLike: ['debian'] });
    expect(value(parseOsRelease(fixture('linux/os-release-fedora39.txt')))).toMatchObject({ id: 'fedora', versionId: '39', versionCodename: '' });
    const arch = value(parseOsRelease(fixture('linux/os-release-arch.txt')));
    expect(arch.versionId).toBeUndefined();
    expect(arch.buildId).toBe('rolling');
  });
  it('refuses garbage, empty input and shell tricks', () => {
    expect(parseOsRelease(fixture('linux/os-release-garbage.txt')).ok).toBe(false);
    expect(parseOsRelease('').ok).toBe(false);
    expect(parseOsRelease('ID=$(reboot)\n').ok).toBe(false);
    expect(parseOsRelease('ID="debian\n').ok).toBe(false);
    expect(parseOsRelease('NAME=x\n').ok).toBe(false);
  });
});

describe('apt history and dpkg log', () => {
  it('finds the last upgrade, not the last install or purge', () => {
    const h = value(parseAptHistory(fixture('linux/apt-history.log')));
    expect(h.entries).toBe(4);
    expect(h.lastUpgrade?.toISOString()).toBe('2026-11-14T06:25:19.000Z');
    expect(h.lastUpgradePackages).toBe(3);
    expect(h.lastActivity?.toISOString()).toBe('2026-11-18T09:40:56.000Z');
  });
  it('reports stale and install-only histories as they are', () => {
    expect(value(parseAptHistory(fixture('linux/apt-history-stale.log'))).lastUpgrade?.toISOString()).toBe('2026-05-02T10:13:40.000Z');
    expect(value(parseAptHistory(fixture('linux/apt-history-install-only.log'))).lastUpgrade).toBeUndefined();
    expect(value(parseAptHistory(''))).toEqual({ entries: 0 });
  });
  it('reads a tail that starts mid-transaction', () => {
    expect(value(parseAptHistory(fixture('linux/apt-history-tail.log'))).lastUpgrade?.toISOString()).toBe('2026-11-19T04:45:29.000Z');
  });
  it('refuses garbage and impossible dates', () => {
    expect(parseAptHistory(fixture('linux/apt-history-garbage.log')).ok).toBe(false);
    expect(parseAptHistory('Start-Date: 2026-02-31  10:00:00\n').ok).toBe(false);
    expect(parseAptHistory('Start-Date: 2026-01-01  10:00:00\nnot a key line\n').ok).toBe(false);
  });
  it('dpkg.log: last upgrade line', () => {
    expect(value(parseDpkgLog(fixture('linux/dpkg.log')))).toMatchObject({ lastUpgradePackage: 'curl:amd64' });
    expect(value(parseDpkgLog(fixture('linux/dpkg.log'))).lastUpgrade?.toISOString()).toBe('2026-11-19T11:02:44.000Z');
    expect(value(parseDpkgLog(fixture('linux/dpkg-stale.log'))).lastUpgrade?.toISOString()).toBe('2026-06-02T10:11:15.000Z');
    expect(parseDpkgLog('2026-01-01 00:00:00 status installed x\ngarbage line\n').ok).toBe(false);
    expect(parseDpkgLog('garbage only').ok).toBe(false);
  });
});

describe('pending updates', () => {
  it('apt list --upgradable: counts security pockets', () => {
    expect(value(parseAptUpgradable(fixture('linux/apt-upgradable-none.txt')))).toMatchObject({ total: 0, security: 0 });
    expect(value(parseAptUpgradable(fixture('linux/apt-upgradable-debian.txt')))).toMatchObject({ total: 6, security: 3 });
    const u = value(parseAptUpgradable(fixture('linux/apt-upgradable-ubuntu.txt')));
    expect(u).toMatchObject({ total: 3, security: 2 });
    expect(u.packages[0]).toMatchObject({ name: 'firefox', suites: ['jammy-updates', 'jammy-security'] });
  });
  it('apt list: refuses errors, empty output and other tools', () => {
    expect(parseAptUpgradable(fixture('linux/apt-upgradable-garbage.txt')).ok).toBe(false);
    expect(parseAptUpgradable('').ok).toBe(false);
    expect(parseAptUpgradable(fixture('linux/dpkg.log')).ok).toBe(false);
  });
  it('dnf check-update and updateinfo (dnf4 and dnf5)', () => {
    expect(value(parseDnfCheckUpdate(fixture('linux/dnf-check-update-pending.txt'), 100))).toMatchObject({ total: 3 });
    expect(value(parseDnfCheckUpdate('', 0))).toMatchObject({ total: 0 });
    expect(parseDnfCheckUpdate('', 100).ok).toBe(false);
    expect(parseDnfCheckUpdate('Error: Failed to download metadata for repo', 1).ok).toBe(false);
    expect(value(parseDnfSecurityList(fixture('linux/dnf-updateinfo-security.txt')))).toEqual({ advisories: 2, packages: 3 });
    expect(value(parseDnfSecurityList(fixture('linux/dnf5-updateinfo-security.txt')))).toEqual({ advisories: 2, packages: 2 });
    expect(value(parseDnfSecurityList(''))).toEqual({ advisories: 0, packages: 0 });
    expect(parseDnfSecurityList('FEDORA-1 enhancement foo-1.0').ok).toBe(false);
  });
  it('rpm -qa --last', () => {
    const r = value(parseRpmLast(fixture('linux/rpm-qa-last.txt')));
    expect(r.lastInstalled?.toISOString()).toBe('2026-11-12T08:12:34.000Z');
    expect(r.lastPackage).toBe('kernel-6.8.9-100.fc39.x86_64');
    expect(parseRpmLast('').ok).toBe(false);
    expect(parseRpmLast('kernel-1  mar. 12 nov. 2026 08:12:34 CET\n').ok).toBe(false);
  });
});

describe('lsblk', () => {
  it('sees LUKS under LVM, old and new column names, btrfs subvolumes', () => {
    expect(value(parseLsblkRoot(fixture('linux/lsblk-luks-lvm.json')))).toEqual({
      rootDevice: 'vgubuntu-root',
      chain: ['nvme0n1', 'nvme0n1p3', 'luks-6f0c2a1e-3b4d-4c5e-9f80-1a2b3c4d5e6f', 'vgubuntu-root'],
      encrypted: true,
      cryptLayer: 'luks-6f0c2a1e-3b4d-4c5e-9f80-1a2b3c4d5e6f',
    });
    expect(value(parseLsblkRoot(fixture('linux/lsblk-old-mountpoint.json')))).toMatchObject({ rootDevice: 'cryptroot', encrypted: true });
    expect(value(parseLsblkRoot(fixture('linux/lsblk-btrfs-subvol.json')))).toMatchObject({ rootDevice: 'luks-root', encrypted: true });
  });
  it('plain disks are not encrypted', () => {
    expect(value(parseLsblkRoot(fixture('linux/lsblk-plain.json')))).toMatchObject({ rootDevice: 'sda2', encrypted: false });
    expect(value(parseLsblkRoot(fixture('linux/lsblk-this-vm.json')))).toMatchObject({ rootDevice: 'vda', encrypted: false });
  });
  it('no root device, garbage, hostile nesting', () => {
    expect(parseLsblkRoot(fixture('linux/lsblk-container.json'))).toMatchObject({ ok: false });
    expect(parseLsblkRoot('{"blockdevices": 5}').ok).toBe(false);
    expect(parseLsblkRoot('{"blockdevices": [{"name": 1}]}').ok).toBe(false);
    let deep: object = { name: 'x', type: 'lvm', mountpoint: '/' };
    for (let i = 0; i < 100; i++) deep = { name: `d${i}`, type: 'disk', children: [deep] };
    expect(parseLsblkRoot(JSON.stringify({ blockdevices: [deep] }))).toMatchObject({ ok: false, error: 'lsblk: device tree too deep' });
  });
});

describe('firewall tools', () => {
  it('ufw', () => {
    expect(value(parseUfwStatus(fixture('linux/ufw-active.txt')))).toEqual({ active: true, rules: 3 });
    expect(value(parseUfwStatus(fixture('linux/ufw-inactive.txt')))).toEqual({ active: false, rules: 0 });
    expect(parseUfwStatus(fixture('linux/ufw-not-root.txt')).ok).toBe(false);
    expect(parseUfwStatus('Status: aktiv').ok).toBe(false);
  });
  it('firewalld', () => {
    expect(value(parseFirewalldState(fixture('linux/firewalld-running.txt'), 0))).toEqual({ running: true });
    expect(value(parseFirewalldState(fixture('linux/firewalld-not-running.txt'), 252))).toEqual({ running: false });
    expect(parseFirewalldState('running\n', 252).ok).toBe(false);
  });
  it('nftables', () => {
    expect(value(parseNftRuleset(fixture('linux/nft-ruleset-drop.json')))).toMatchObject({ filtersInput: true, inputChains: 1, rules: 2 });
    expect(value(parseNftRuleset(fixture('linux/nft-ruleset-accept.json')))).toMatchObject({ filtersInput: false });
    expect(value(parseNftRuleset(fixture('linux/nft-ruleset-empty.json')))).toMatchObject({ filtersInput: false, tables: 0 });
    expect(parseNftRuleset('{"nftables": {}}').ok).toBe(false);
    expect(parseNftRuleset('table inet filter {').ok).toBe(false);
  });
});

describe('screen lock and Secure Boot', () => {
  it('gsettings values', () => {
    expect(value(parseGsettingsBool(fixture('linux/gsettings-lock-enabled-true.txt')))).toBe(true);
    expect(value(parseGsettingsBool(fixture('linux/gsettings-lock-enabled-false.txt')))).toBe(false);
    expect(parseGsettingsBool(fixture('linux/gsettings-no-schema.txt')).ok).toBe(false);
    expect(value(parseGsettingsUint(fixture('linux/gsettings-idle-delay-300.txt')))).toBe(300);
    expect(value(parseGsettingsUint(fixture('linux/gsettings-idle-delay-0.txt')))).toBe(0);
    expect(value(parseGsettingsUint('0'))).toBe(0);
    expect(parseGsettingsUint('uint32 99999999999').ok).toBe(false);
  });
  it('mokutil and the EFI variable', () => {
    expect(value(parseMokutilSbState(fixture('linux/mokutil-enabled.txt')))).toEqual({ enabled: true });
    expect(value(parseMokutilSbState(fixture('linux/mokutil-disabled.txt')))).toEqual({ enabled: false, setupMode: true });
    expect(value(parseMokutilSbState(fixture('linux/mokutil-no-efi.txt')))).toEqual({ enabled: false, noUefi: true });
    expect(parseMokutilSbState('SecureBoot maybe').ok).toBe(false);
    expect(value(parseSecureBootEfivar('\x06\x00\x00\x00\x01'))).toEqual({ enabled: true });
    expect(value(parseSecureBootEfivar('\x06\x00\x00\x00\x00'))).toEqual({ enabled: false });
    expect(parseSecureBootEfivar('\x06\x00\x00\x00\x07').ok).toBe(false);
    expect(parseSecureBootEfivar('').ok).toBe(false);
  });
});
