import { describe, expect, it, vi } from 'vitest';
import { collectPosture, PostureAgent } from './collect.ts';
import type { PostureReport } from './report.ts';
import { createFixtureRunner, fixtureSystemInfo, type FixtureCommand, type FixtureSpec } from './testing/fixture-runner.ts';
import { fixture } from './testing/fixtures.ts';
import { expectWellFormed } from './testing/well-formed.ts';

const now = () => new Date('2026-11-21T12:00:00.000Z');
const out = (file: string, extra: { exitCode?: number } = {}): FixtureCommand => ({ stdout: fixture(file), ...extra });
const err = (file: string, extra: { exitCode?: number } = {}): FixtureCommand => ({ stderr: fixture(file), ...extra });

const statuses = (r: PostureReport) => Object.fromEntries(r.facts.map((f) => [f.id, f.status]));
const reasonOf = (r: PostureReport, id: string) => r.facts.find((f) => f.id === id)?.reason ?? '';

const linuxHealthy: FixtureSpec = {
  files: {
    '/etc/os-release': fixture('linux/os-release-ubuntu2204.txt'),
    '/var/log/apt/history.log': fixture('linux/apt-history.log'),
    '/var/log/dpkg.log': fixture('linux/dpkg.log'),
  },
  exists: ['/var/lib/dpkg/status', '/sys/firmware/efi', '/sys/firmware/acpi', '/usr/bin/gnome-shell'],
  commands: [
    ['apt list --upgradable', out('linux/apt-upgradable-none.txt')],
    ['lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINTS', out('linux/lsblk-luks-lvm.json')],
    ['ufw status', out('linux/ufw-active.txt')],
    ['gsettings get org.gnome.desktop.screensaver lock-enabled', { stdout: 'true\n' }],
    ['gsettings get org.gnome.desktop.session idle-delay', { stdout: 'uint32 300\n' }],
    ['mokutil --sb-state', out('linux/mokutil-enabled.txt')],
  ],
};

describe('Linux collection on recorded outputs', () => {
  it('a healthy Ubuntu laptop passes every fact', async () => {
    const r = await collectPosture({ platform: 'linux', runner: createFixtureRunner(linuxHealthy), systemInfo: fixtureSystemInfo({ system: { serial: 'PF3XK2AB' } }), now });
    expectWellFormed(r);
    expect(Object.values(statuses(r))).toEqual(Array(9).fill('pass'));
    expect(r.os).toMatchObject({ platform: 'linux', id: 'ubuntu', version: '22.04', kernel: '6.1.0-18-amd64' });
    expect(r.facts.find((f) => f.id === 'patch.lastInstalled')?.value).toEqual({ date: '2026-11-19T11:02:44.000Z', daysAgo: 2 });
    expect(r.facts.find((f) => f.id === 'disk.encryption')?.evidence).toMatchObject({ command: 'lsblk', args: ['-J', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINTS'] });
  });

  it('a neglected Debian box fails where it should', async () => {
    const runner = createFixtureRunner({
      files: {
        '/etc/os-release': fixture('linux/os-release-debian12.txt'),
        '/var/log/apt/history.log': fixture('linux/apt-history-stale.log'),
        '/var/log/dpkg.log': fixture('linux/dpkg-stale.log'),
        '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c': '\x06\x00\x00\x00\x00',
      },
      exists: ['/var/lib/dpkg/status', '/sys/firmware/efi', '/usr/bin/gnome-shell'],
      commands: [
        ['apt list --upgradable', out('linux/apt-upgradable-debian.txt')],
        ['lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINTS', out('linux/lsblk-plain.json')],
        ['ufw status', out('linux/ufw-inactive.txt')],
        ['nft -j list ruleset', out('linux/nft-ruleset-accept.json')],
        ['gsettings get org.gnome.desktop.screensaver lock-enabled', { stdout: 'false\n' }],
        ['gsettings get org.gnome.desktop.session idle-delay', { stdout: 'uint32 0\n' }],
      ],
    });
    const r = await collectPosture({ platform: 'linux', runner, systemInfo: fixtureSystemInfo({ uuid: { os: '3d1219c7c4c5404aaa1f6d2a48adfda4' } }), now });
    expectWellFormed(r);
    expect(statuses(r)).toMatchObject({
      'os.version': 'pass', 'patch.lastInstalled': 'fail', 'patch.pending': 'fail', 'disk.encryption': 'fail',
      firewall: 'fail', screenLock: 'fail', secureBoot: 'fail', 'hardware.id': 'pass',
    });
    expect(reasonOf(r, 'patch.pending')).toContain('3 security update(s) pending');
    expect(reasonOf(r, 'patch.lastInstalled')).toMatch(/days ago \(baseline 30\)/);
    expect(reasonOf(r, 'secureBoot')).toContain('EFI variable');
  });

  it('Fedora: rpm and dnf instead of dpkg and apt, nftables firewall, old lsblk', async () => {
    const runner = createFixtureRunner({
      files: { '/etc/os-release': fixture('linux/os-release-fedora39.txt') },
      commands: [
        ['rpm -qa --last', out('linux/rpm-qa-last.txt')],
        ['dnf -q check-update', out('linux/dnf-check-update-pending.txt', { exitCode: 100 })],
        ['dnf -q updateinfo list --security', out('linux/dnf-updateinfo-security.txt')],
        ['lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINTS', { stderr: 'lsblk: unknown column: MOUNTPOINTS', exitCode: 1 }],
        ['lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINT', out('linux/lsblk-old-mountpoint.json')],
        ['firewall-cmd --state', { stdout: 'not running\n', exitCode: 252 }],
        ['nft -j list ruleset', out('linux/nft-ruleset-drop.json')],
      ],
    });
    const r = await collectPosture({ platform: 'linux', runner, systemInfo: fixtureSystemInfo(), now });
    expectWellFormed(r);
    expect(statuses(r)).toMatchObject({ 'patch.lastInstalled': 'pass', 'patch.pending': 'fail', 'disk.encryption': 'pass', firewall: 'pass' });
    expect(r.facts.find((f) => f.id === 'patch.pending')?.value).toEqual({ total: 3, security: 3 });
  });

  it('nothing installed, nothing readable: every fact unknown with its reason, never a pass', async () => {
    const r = await collectPosture({ platform: 'linux', runner: createFixtureRunner({}), systemInfo: fixtureSystemInfo({ fail: true }), now });
    expectWellFormed(r);
    for (const f of r.facts.filter((f) => f.id !== 'agent.version')) expect(f.status, f.id).toBe('unknown');
    expect(reasonOf(r, 'patch.pending')).toBe('neither apt nor dnf is installed');
    expect(reasonOf(r, 'firewall')).toContain('ufw is not installed');
    expect(reasonOf(r, 'secureBoot')).toContain('/sys/firmware hidden');
  });

  it('permission refusals and garbage become unknown, with "needs elevation" where that is why', async () => {
    const runner = createFixtureRunner({
      files: { '/etc/os-release': fixture('linux/os-release-garbage.txt'), '/var/log/apt/history.log': { fail: 'permission' }, '/var/log/dpkg.log': fixture('linux/apt-history-garbage.log') },
      exists: ['/var/lib/dpkg/status', '/usr/bin/gnome-shell'],
      commands: [
        ['apt list --upgradable', out('linux/apt-upgradable-garbage.txt', { exitCode: 100 })],
        ['lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINTS', { stdout: '{"blockdevices": [' }],
        ['ufw status', out('linux/ufw-not-root.txt', { exitCode: 1 })],
        ['nft -j list ruleset', { stderr: 'Operation not permitted (you must be root)', exitCode: 1 }],
        ['gsettings get org.gnome.desktop.screensaver lock-enabled', { stderr: 'No such schema “org.gnome.desktop.screensaver”', exitCode: 1 }],
        ['mokutil --sb-state', { fail: 'timeout' }],
      ],
    });
    const r = await collectPosture({ platform: 'linux', runner, systemInfo: fixtureSystemInfo({ fail: true }), now });
    expectWellFormed(r);
    for (const f of r.facts.filter((f) => f.id !== 'agent.version')) expect(f.status, f.id).toBe('unknown');
    expect(reasonOf(r, 'firewall')).toMatch(/^needs elevation/);
    expect(reasonOf(r, 'patch.lastInstalled')).toContain('needs elevation');
    expect(reasonOf(r, 'disk.encryption')).toContain('not JSON');
  });

  it('without GNOME Shell the screen lock is unknown, even though gsettings answers with its defaults', async () => {
    const runner = createFixtureRunner({ ...linuxHealthy, exists: ['/var/lib/dpkg/status', '/sys/firmware/efi', '/sys/firmware/acpi'] });
    const r = await collectPosture({ platform: 'linux', runner, systemInfo: fixtureSystemInfo({ system: { serial: 'PF3XK2AB' } }), now });
    expectWellFormed(r);
    expect(statuses(r).screenLock).toBe('unknown');
    expect(reasonOf(r, 'screenLock')).toContain('GNOME Shell is not installed');
  });

  it('a hanging tool is cut off at the deadline; the other facts still arrive', async () => {
    const runner = createFixtureRunner({ ...linuxHealthy, commands: [['lsblk -J -o NAME,TYPE,FSTYPE,MOUNTPOINTS', { hang: true }], ...linuxHealthy.commands!] });
    const r = await collectPosture({ platform: 'linux', runner, systemInfo: fixtureSystemInfo({ system: { serial: 'PF3XK2AB' } }), now, commandTimeoutMs: 100 });
    expectWellFormed(r);
    expect(statuses(r)['disk.encryption']).toBe('unknown');
    expect(reasonOf(r, 'disk.encryption')).toBe('collection timed out');
    expect(statuses(r).firewall).toBe('pass');
  });
});

describe('macOS collection on recorded outputs', () => {
  const mac = (over: Array<[string | RegExp, FixtureCommand]>): FixtureSpec => ({
    commands: [
      ...over,
      ['sw_vers', out('darwin/sw_vers-sonoma.txt')],
      ['softwareupdate --history', out('darwin/softwareupdate-history.txt')],
      ['softwareupdate --list --no-scan', err('darwin/softwareupdate-list-none.txt')],
      ['fdesetup status', out('darwin/fdesetup-on.txt')],
      ['/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate', out('darwin/socketfilterfw-on.txt')],
      ['sysadminctl -screenLock status', err('darwin/sysadminctl-immediate.txt')],
      ['system_profiler SPiBridgeDataType -json', out('darwin/system-profiler-ibridge-full.json')],
      ['ioreg -rd1 -c IOPlatformExpertDevice', out('darwin/ioreg-platform.txt')],
    ],
  });

  it('a managed MacBook passes every fact', async () => {
    const r = await collectPosture({ platform: 'darwin', runner: createFixtureRunner(mac([])), systemInfo: fixtureSystemInfo({ os: { kernel: '23.4.0', arch: 'arm64' } }), now });
    expectWellFormed(r);
    expect(Object.values(statuses(r))).toEqual(Array(9).fill('pass'));
    expect(r.os).toMatchObject({ platform: 'darwin', id: 'macos', version: '14.4.1', build: '23E224', arch: 'arm64' });
    expect(r.facts.find((f) => f.id === 'hardware.id')?.value).toMatchObject({ serial: 'C02FK1ABMD6T' });
  });

  it('FileVault encrypting, firewall off, no screen lock, reduced boot security, stale and pending updates', async () => {
    const runner = createFixtureRunner(
      mac([
        ['softwareupdate --history', out('darwin/softwareupdate-history-stale.txt')],
        ['softwareupdate --list --no-scan', out('darwin/softwareupdate-list-pending.txt')],
        ['fdesetup status', out('darwin/fdesetup-encrypting.txt')],
        ['/usr/libexec/ApplicationFirewall/socketfilterfw --getglobalstate', out('darwin/socketfilterfw-off.txt')],
        ['sysadminctl -screenLock status', err('darwin/sysadminctl-off.txt')],
        ['system_profiler SPiBridgeDataType -json', out('darwin/system-profiler-ibridge-reduced.json')],
      ]),
    );
    const r = await collectPosture({ platform: 'darwin', runner, systemInfo: fixtureSystemInfo(), now });
    expectWellFormed(r);
    expect(statuses(r)).toMatchObject({ 'patch.lastInstalled': 'fail', 'patch.pending': 'fail', 'disk.encryption': 'fail', firewall: 'fail', screenLock: 'fail', secureBoot: 'fail' });
    expect(reasonOf(r, 'disk.encryption')).toBe('FileVault encryption in progress (34.52%)');
  });

  it('a French Mac and a broken catalogue stay unknown; ioreg missing falls back to system_profiler', async () => {
    const runner = createFixtureRunner(
      mac([
        ['system_profiler SPiBridgeDataType -json', out('darwin/system-profiler-ibridge-fr.json')],
        ['softwareupdate --list --no-scan', out('darwin/softwareupdate-list-garbage.txt')],
        ['fdesetup status', out('darwin/fdesetup-not-root.txt', { exitCode: 1 })],
        ['ioreg -rd1 -c IOPlatformExpertDevice', { fail: 'missing' }],
        ['system_profiler SPHardwareDataType -json', out('darwin/system-profiler-hardware.json')],
      ]),
    );
    const r = await collectPosture({ platform: 'darwin', runner, systemInfo: fixtureSystemInfo(), now });
    expectWellFormed(r);
    expect(statuses(r)).toMatchObject({ secureBoot: 'unknown', 'patch.pending': 'unknown', 'disk.encryption': 'unknown', 'hardware.id': 'pass' });
    expect(reasonOf(r, 'disk.encryption')).toMatch(/^needs elevation/);
  });
});

describe('Windows collection on recorded outputs', () => {
  const win = (over: Array<[string | RegExp, FixtureCommand]>): FixtureSpec => ({
    commands: [
      ...over,
      ['reg query HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion /v UBR', out('win32/reg-ubr.txt')],
      [/^powershell\.exe .*Get-HotFix/, out('win32/get-hotfix-ps51.json')],
      [/^powershell\.exe .*Microsoft\.Update\.Session/, out('win32/wua-none.json')],
      ['manage-bde -status C:', out('win32/manage-bde-on.txt')],
      [/^powershell\.exe .*Get-NetFirewallProfile/, out('win32/netfirewall-on.json')],
      ['reg query HKCU\\Control Panel\\Desktop', out('win32/reg-desktop.txt')],
      [/^reg query HKCU\\Software\\Policies/, err('win32/reg-notfound.txt', { exitCode: 1 })],
      [/^reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System/, err('win32/reg-notfound.txt', { exitCode: 1 })],
      ['reg query HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State /v UEFISecureBootEnabled', out('win32/reg-secureboot-on.txt')],
    ],
  });
  const winInfo = fixtureSystemInfo({ os: { platform: 'Windows', distro: 'Microsoft Windows 11 Pro', release: '10.0.22631', build: '22631', kernel: '10.0.22631' }, system: { serial: 'PF3XK2AB', uuid: '4C4C4544-0042-3510-8052-B4C04F4E4E32' } });

  it('a managed Windows 11 PC passes every fact', async () => {
    const r = await collectPosture({ platform: 'win32', runner: createFixtureRunner(win([])), systemInfo: winInfo, now });
    expectWellFormed(r);
    expect(Object.values(statuses(r))).toEqual(Array(9).fill('pass'));
    expect(r.os).toMatchObject({ platform: 'win32', version: '10.0.22631', build: '10.0.22631.3447' });
  });

  it('not elevated: BitLocker is "unknown: needs elevation"; German fallbacks for hotfixes and firewall', async () => {
    const runner = createFixtureRunner(
      win([
        ['manage-bde -status C:', out('win32/manage-bde-denied-de.txt', { exitCode: -1 })],
        [/^powershell\.exe .*Get-HotFix/, { stderr: 'Get-HotFix : Zugriff verweigert', exitCode: 1 }],
        ['wmic qfe get HotFixID,InstalledOn /format:csv', out('win32/wmic-qfe-de.csv')],
        [/^powershell\.exe .*Get-NetFirewallProfile/, { fail: 'timeout' }],
        ['netsh advfirewall show allprofiles state', out('win32/netsh-de.txt')],
      ]),
    );
    const r = await collectPosture({ platform: 'win32', runner, systemInfo: winInfo, now });
    expectWellFormed(r);
    expect(statuses(r)).toMatchObject({ 'disk.encryption': 'unknown', 'patch.lastInstalled': 'pass', firewall: 'fail' });
    expect(reasonOf(r, 'disk.encryption')).toMatch(/^needs elevation/);
    expect(reasonOf(r, 'firewall')).toBe('Windows Firewall off for Public');
  });

  it('BitLocker off, suspended; stale hotfixes; pending security updates; insecure screen saver; Secure Boot off', async () => {
    for (const [bde, why] of [['win32/manage-bde-off.txt', 'fully-decrypted'], ['win32/manage-bde-suspended.txt', 'protection suspended'], ['win32/manage-bde-de-off.txt', 'fully-decrypted']] as const) {
      const runner = createFixtureRunner(
        win([
          ['manage-bde -status C:', out(bde)],
          [/^powershell\.exe .*Get-HotFix/, out('win32/get-hotfix-single-stale.json')],
          [/^powershell\.exe .*Microsoft\.Update\.Session/, out('win32/wua-pending.json')],
          ['reg query HKCU\\Control Panel\\Desktop', out('win32/reg-desktop-nolock.txt')],
          ['reg query HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State /v UEFISecureBootEnabled', out('win32/reg-secureboot-off.txt')],
        ]),
      );
      const r = await collectPosture({ platform: 'win32', runner, systemInfo: winInfo, now });
      expectWellFormed(r);
      expect(statuses(r)).toMatchObject({ 'disk.encryption': 'fail', 'patch.lastInstalled': 'fail', 'patch.pending': 'fail', screenLock: 'fail', secureBoot: 'fail' });
      expect(reasonOf(r, 'disk.encryption')).toContain(why);
    }
  });

  it('a machine inactivity policy counts as screen lock', async () => {
    const runner = createFixtureRunner(win([[/^reg query HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System/, out('win32/reg-policy-inactivity.txt')], ['reg query HKCU\\Control Panel\\Desktop', out('win32/reg-desktop-nolock.txt')]]));
    const r = await collectPosture({ platform: 'win32', runner, systemInfo: winInfo, now });
    expect(r.facts.find((f) => f.id === 'screenLock')).toMatchObject({ status: 'pass', value: { timeoutSeconds: 900 } });
  });
});

describe('PostureAgent cache', () => {
  const agentWith = (spec: FixtureSpec, opts: { ttlMs?: number; commandTimeoutMs?: number } = {}) => {
    const runner = createFixtureRunner(spec);
    const agent = new PostureAgent({ platform: 'linux', runner, systemInfo: fixtureSystemInfo({ system: { serial: 'X1' } }), now, ...opts });
    return { agent, runner };
  };
  const collections = (runner: { calls: string[] }) => runner.calls.filter((c) => c === 'read /etc/os-release').length;

  it('get() collects once, then serves the cache at once while fresh', async () => {
    const { agent, runner } = agentWith(linuxHealthy, { ttlMs: 3_600_000 });
    expect(agent.current()).toBeUndefined();
    const first = await agent.get();
    expect(await agent.get()).toBe(first);
    expect(agent.current()).toBe(first);
    expect(collections(runner)).toBe(1);
  });

  it('a stale cache is re-collected; concurrent refreshes share one collection', async () => {
    const { agent, runner } = agentWith(linuxHealthy, { ttlMs: 0 });
    await agent.get();
    await agent.get();
    expect(collections(runner)).toBe(2);
    const [a, b] = await Promise.all([agent.refresh(), agent.refresh()]);
    expect(a).toBe(b);
    expect(collections(runner)).toBe(3);
  });

  it('a network change during a collection triggers exactly one more afterwards', async () => {
    const { agent, runner } = agentWith(linuxHealthy, { ttlMs: 3_600_000 });
    const reports: PostureReport[] = [];
    const two = new Promise<void>((resolve) => agent.on('report', (r: PostureReport) => (reports.push(r), reports.length === 2 && resolve())));
    const first = agent.refresh();
    agent.onNetworkChange();
    agent.onResume();
    await first;
    await two;
    expect(collections(runner)).toBe(2);
    expect(agent.current()).toBe(reports[1]);
  });

  it('current() on a missing or stale cache starts a background refresh and still answers at once', async () => {
    const { agent, runner } = agentWith(linuxHealthy, { ttlMs: 0 });
    const first = new Promise<PostureReport>((resolve) => agent.once('report', resolve));
    expect(agent.current()).toBeUndefined();
    expect(agent.current()).toBeUndefined();
    const r = await first;
    expect(collections(runner)).toBe(1);
    const second = new Promise<PostureReport>((resolve) => agent.once('report', resolve));
    expect(agent.current()).toBe(r);
    expect(await second).not.toBe(r);
  });

  it('start() collects in the background and current() answers during a refresh', async () => {
    const { agent } = agentWith(linuxHealthy, { ttlMs: 3_600_000 });
    const firstReport = new Promise<PostureReport>((resolve) => agent.once('report', resolve));
    agent.start();
    const r = await firstReport;
    const again = agent.refresh();
    expect(agent.current()).toBe(r);
    await again;
    agent.stop();
  });

  it('a wake from sleep (the watch tick arrives far too late) triggers a refresh', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const { agent, runner } = agentWith(linuxHealthy, { ttlMs: 3_600_000 });
      const first = new Promise<PostureReport>((resolve) => agent.once('report', resolve));
      agent.start();
      await first;
      expect(collections(runner)).toBe(1);
      // An ordinary tick: nothing to do.
      vi.advanceTimersByTime(5_000);
      await Promise.resolve();
      expect(collections(runner)).toBe(1);
      // The machine sleeps for an hour: the wall clock jumps, then the next tick fires.
      const woke = new Promise<PostureReport>((resolve) => agent.once('report', resolve));
      vi.setSystemTime(Date.now() + 3_600_000);
      vi.advanceTimersByTime(5_000);
      await woke;
      expect(collections(runner)).toBe(2);
      agent.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('get() with a hanging tool returns within the timeout, the fact unknown', async () => {
    const { agent } = agentWith({ ...linuxHealthy, commands: [['ufw status', { hang: true }], ...linuxHealthy.commands!] }, { commandTimeoutMs: 100 });
    const r = await agent.get();
    expect(r.facts.find((f) => f.id === 'firewall')).toMatchObject({ status: 'unknown', reason: 'collection timed out' });
  });
});
