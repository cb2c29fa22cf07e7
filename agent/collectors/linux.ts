import type { Fact, OsSummary } from '../report.ts';
import { parseAptHistory } from '../parsers/linux-apt-history.ts';
import { parseAptUpgradable } from '../parsers/linux-apt-upgradable.ts';
import { parseDnfCheckUpdate, parseDnfSecurityList } from '../parsers/linux-dnf.ts';
import { parseDpkgLog } from '../parsers/linux-dpkg-log.ts';
import { parseFirewalldState, parseNftRuleset, parseUfwStatus } from '../parsers/linux-firewall.ts';
import { parseGsettingsBool, parseGsettingsUint } from '../parsers/linux-gsettings.ts';
import { parseLsblkRoot } from '../parsers/linux-lsblk.ts';
import { parseOsRelease, type OsRelease } from '../parsers/linux-os-release.ts';
import { parseRpmLast } from '../parsers/linux-rpm-last.ts';
import { parseMokutilSbState, parseSecureBootEfivar } from '../parsers/linux-secureboot.ts';
import {
  combined,
  fact,
  lastPatchFact,
  pendingFact,
  readParsed,
  runParsed,
  unknown,
  emptyOs, guarded, withDeadline, type CollectContext,
  type PlatformCollection,
} from './common.ts';
import { hardwareFromSystemInfo } from './hardware.ts';

const LOG_TAIL_BYTES = 2 * 1024 * 1024;
const SECURE_BOOT_VAR = '/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c';

export async function collectLinux(ctx: CollectContext): Promise<PlatformCollection> {
  const osPart = osFact(ctx);
  const facts = await Promise.all([
    guarded(ctx, 'os.version', () => osPart.then((o) => o.fact)),
    guarded(ctx, 'patch.lastInstalled', () => lastPatch(ctx)),
    guarded(ctx, 'patch.pending', () => pending(ctx)),
    guarded(ctx, 'disk.encryption', () => diskEncryption(ctx)),
    guarded(ctx, 'firewall', () => firewall(ctx)),
    guarded(ctx, 'screenLock', () => screenLock(ctx)),
    guarded(ctx, 'secureBoot', () => secureBoot(ctx)),
    guarded(ctx, 'hardware.id', () => hardwareFromSystemInfo(ctx)),
  ]);
  const os = await withDeadline(ctx, osPart.then((o) => o.os), emptyOs('linux'));
  return { os, facts };
}

async function osFact(ctx: CollectContext): Promise<{ os: OsSummary; fact: Fact }> {
  const [rel, info] = await Promise.all([
    readParsed<OsRelease>(ctx, '/etc/os-release', parseOsRelease, { maxBytes: 64 * 1024 }),
    ctx.si.osInfo().catch(() => undefined),
  ]);
  const os: OsSummary = {
    platform: 'linux',
    distro: rel.ok ? (rel.value.prettyName ?? rel.value.name ?? rel.value.id) : (info?.distro ?? ''),
    id: rel.ok ? rel.value.id : '',
    version: rel.ok ? (rel.value.versionId ?? rel.value.buildId ?? '') : (info?.release ?? ''),
    build: '',
    kernel: info?.kernel ?? '',
    arch: info?.arch ?? '',
  };
  const evidence = combined(rel.evidence, info ? [{ label: 'systeminformation.osInfo', reason: `kernel ${info.kernel}, ${info.arch}` }] : []);
  if (!rel.ok) return { os, fact: unknown('os.version', `cannot read the distribution: ${rel.reason}`, evidence) };
  if (!os.version) return { os, fact: unknown('os.version', `${os.distro} names no VERSION_ID or BUILD_ID`, evidence) };
  return { os, fact: fact('os.version', 'pass', { value: { ...os }, reason: `${os.distro} (${os.id} ${os.version}), kernel ${os.kernel}`, evidence }) };
}

async function lastPatch(ctx: CollectContext): Promise<Fact> {
  if (await ctx.runner.exists('/var/lib/dpkg/status')) {
    const [hist, dpkg] = await Promise.all([
      readParsed(ctx, '/var/log/apt/history.log', parseAptHistory, { maxBytes: LOG_TAIL_BYTES, tail: true }),
      readParsed(ctx, '/var/log/dpkg.log', parseDpkgLog, { maxBytes: LOG_TAIL_BYTES, tail: true }),
    ]);
    const dates: Array<{ when: Date; evidence: Fact['evidence']; other: typeof hist | typeof dpkg }> = [];
    if (hist.ok && hist.value.lastUpgrade) dates.push({ when: hist.value.lastUpgrade, evidence: hist.evidence, other: dpkg });
    if (dpkg.ok && dpkg.value.lastUpgrade) dates.push({ when: dpkg.value.lastUpgrade, evidence: dpkg.evidence, other: hist });
    dates.sort((a, b) => b.when.getTime() - a.when.getTime());
    const best = dates[0];
    if (best) {
      const o = best.other;
      const evidence = combined(best.evidence, [{ label: 'also read', reason: o.ok ? `${String(o.evidence.source)} (parsed)` : `${String(o.evidence.source)}: ${o.reason}` }]);
      return lastPatchFact(ctx, best.when, evidence, 'packages last upgraded');
    }
    const reasons = [hist, dpkg].map((r) => (r.ok ? `${String(r.evidence.source)}: no upgrade recorded` : `${String(r.evidence.source)}: ${r.reason}`));
    return unknown('patch.lastInstalled', `no package upgrade found (${reasons.join('; ')}); older logs may be rotated`, {
      source: '/var/log/apt/history.log, /var/log/dpkg.log',
      parsed: { history: hist.ok ? hist.value : null, dpkg: dpkg.ok ? dpkg.value : null },
      error: reasons.join('; '),
    });
  }
  const rpm = await runParsed(ctx, 'rpm', ['-qa', '--last'], parseRpmLast, { maxBuffer: 16 * 1024 * 1024 });
  if (rpm.ok && rpm.value.lastInstalled) return lastPatchFact(ctx, rpm.value.lastInstalled, rpm.evidence, `last package installed (${rpm.value.lastPackage})`);
  return unknown('patch.lastInstalled', `no dpkg database and rpm gave no answer: ${rpm.ok ? 'no dates' : rpm.reason}`, rpm.evidence);
}

async function pending(ctx: CollectContext): Promise<Fact> {
  const apt = await runParsed(ctx, 'apt', ['list', '--upgradable'], (t) => parseAptUpgradable(t));
  if (apt.ok) {
    const { total, security, packages } = apt.value;
    const evidence = { ...apt.evidence, parsed: { total, security, packages: packages.slice(0, 25).map((p) => `${p.name} ${p.from} -> ${p.version}${p.security ? ' (security)' : ''}`) } };
    return pendingFact(total, security, evidence, 'from the cached apt package lists');
  }
  if (!apt.missing) return unknown('patch.pending', apt.reason, apt.evidence);
  const dnf = await runParsed(ctx, 'dnf', ['-q', 'check-update'], parseDnfCheckUpdate, { acceptExit: [0, 100] });
  if (!dnf.ok) {
    const why = dnf.missing ? 'neither apt nor dnf is installed' : dnf.reason;
    return unknown('patch.pending', why, combined(dnf.evidence, [{ label: 'apt', reason: apt.reason }]));
  }
  const sec = await runParsed(ctx, 'dnf', ['-q', 'updateinfo', 'list', '--security'], (t) => parseDnfSecurityList(t));
  if (!sec.ok) return unknown('patch.pending', `${dnf.value.total} update(s) pending, security count unknown: ${sec.reason}`, sec.evidence);
  return pendingFact(dnf.value.total, sec.value.packages, { ...sec.evidence, parsed: { checkUpdate: dnf.value.total, security: sec.value } }, 'dnf');
}

async function diskEncryption(ctx: CollectContext): Promise<Fact> {
  let lsblk = await runParsed(ctx, 'lsblk', ['-J', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINTS'], (t) => parseLsblkRoot(t));
  // util-linux before 2.37 has no MOUNTPOINTS column.
  if (!lsblk.ok && /unknown column/i.test(lsblk.reason)) {
    lsblk = await runParsed(ctx, 'lsblk', ['-J', '-o', 'NAME,TYPE,FSTYPE,MOUNTPOINT'], (t) => parseLsblkRoot(t));
  }
  if (lsblk.ok) {
    const v = lsblk.value;
    if (v.encrypted) {
      return fact('disk.encryption', 'pass', { value: { encrypted: true, method: 'dm-crypt/LUKS', rootDevice: v.rootDevice, via: v.cryptLayer }, reason: `/ is on ${v.chain.join(' > ')} (dm-crypt)`, evidence: lsblk.evidence });
    }
    return fact('disk.encryption', 'fail', { value: { encrypted: false, rootDevice: v.rootDevice }, reason: `/ is on ${v.chain.join(' > ')} with no dm-crypt layer`, evidence: lsblk.evidence });
  }
  try {
    const devices = await ctx.si.blockDevices();
    const root = devices.find((d) => d.mount === '/');
    const evidence = combined({ source: 'systeminformation.blockDevices', parsed: root ?? null }, [{ label: 'lsblk', reason: lsblk.reason }]);
    if (root?.type === 'crypt') return fact('disk.encryption', 'pass', { value: { encrypted: true, method: 'dm-crypt', rootDevice: root.name }, reason: `/ is on dm-crypt device ${root.name}`, evidence });
    return unknown('disk.encryption', `${lsblk.reason}; systeminformation cannot show the layers under /`, evidence);
  } catch (err) {
    return unknown('disk.encryption', lsblk.reason, { ...lsblk.evidence, error: `${lsblk.reason}; systeminformation: ${(err as Error).message}` });
  }
}

async function firewall(ctx: CollectContext): Promise<Fact> {
  const tried: Array<{ label: string; reason: string }> = [];
  const ufw = await runParsed(ctx, 'ufw', ['status'], (t) => parseUfwStatus(t));
  if (ufw.ok && ufw.value.active) return fact('firewall', 'pass', { value: { enabled: true, tool: 'ufw', rules: ufw.value.rules }, reason: 'ufw is active', evidence: ufw.evidence });
  tried.push({ label: 'ufw', reason: ufw.ok ? 'inactive' : ufw.reason });
  const fwd = await runParsed(ctx, 'firewall-cmd', ['--state'], parseFirewalldState, { acceptExit: [0, 252], withStderr: true });
  if (fwd.ok && fwd.value.running) return fact('firewall', 'pass', { value: { enabled: true, tool: 'firewalld' }, reason: 'firewalld is running', evidence: combined(fwd.evidence, tried) });
  tried.push({ label: 'firewall-cmd', reason: fwd.ok ? 'not running' : fwd.reason });
  const nft = await runParsed(ctx, 'nft', ['-j', 'list', 'ruleset'], (t) => parseNftRuleset(t));
  if (nft.ok && nft.value.filtersInput) return fact('firewall', 'pass', { value: { enabled: true, tool: 'nftables', ...nft.value }, reason: 'nftables filters inbound traffic', evidence: combined(nft.evidence, tried) });
  tried.push({ label: 'nft', reason: nft.ok ? 'no input filtering rules' : nft.reason });
  // A definite "off" needs at least one tool that answered; tools that are absent or refused prove nothing.
  const answered = [ufw, fwd, nft].filter((r) => r.ok).length;
  const evidence = combined({ command: 'ufw, firewall-cmd, nft' }, tried);
  if (answered > 0) return fact('firewall', 'fail', { value: { enabled: false }, reason: `no active firewall (${tried.map((t) => `${t.label}: ${t.reason}`).join('; ')})`, evidence });
  const elevation = [ufw, fwd, nft].some((r) => !r.ok && r.elevation) ? 'needs elevation; ' : '';
  return unknown('firewall', `${elevation}no firewall tool answered (${tried.map((t) => `${t.label}: ${t.reason}`).join('; ')})`, evidence);
}

const GNOME_SHELL = ['/usr/bin/gnome-shell', '/usr/local/bin/gnome-shell'];

async function screenLock(ctx: CollectContext): Promise<Fact> {
  // gsettings answers with the schema's defaults even where GNOME never runs (a server, a container,
  // another desktop), which would turn "no lock screen at all" into a pass. Read it only where GNOME
  // Shell, the program that enforces the setting, is installed.
  const shells = await Promise.all(GNOME_SHELL.map((p) => ctx.runner.exists(p)));
  if (!shells.some(Boolean)) {
    return unknown('screenLock', 'GNOME Shell is not installed; the screen lock of other desktops (or none) is not read', {
      source: `looked for ${GNOME_SHELL.join(', ')}`,
    });
  }
  const [lock, idle] = await Promise.all([
    runParsed(ctx, 'gsettings', ['get', 'org.gnome.desktop.screensaver', 'lock-enabled'], (t) => parseGsettingsBool(t)),
    runParsed(ctx, 'gsettings', ['get', 'org.gnome.desktop.session', 'idle-delay'], (t) => parseGsettingsUint(t)),
  ]);
  const evidence = { command: 'gsettings', args: ['get', 'org.gnome.desktop.screensaver', 'lock-enabled'], parsed: { lockEnabled: lock.ok ? lock.value : null, idleDelaySeconds: idle.ok ? idle.value : null }, source: 'GNOME settings (dconf); other desktops are not read' };
  if (!lock.ok) return unknown('screenLock', `GNOME lock setting unreadable: ${lock.reason}`, { ...evidence, error: lock.reason });
  if (!lock.value) return fact('screenLock', 'fail', { value: { enabled: false }, reason: 'GNOME screen lock is disabled', evidence });
  if (!idle.ok) return unknown('screenLock', `lock is enabled but the idle delay is unreadable: ${idle.reason}`, { ...evidence, error: idle.reason });
  if (idle.value === 0) return fact('screenLock', 'fail', { value: { enabled: true, idleDelaySeconds: 0 }, reason: 'lock is enabled but the screen never blanks (idle-delay 0)', evidence });
  return fact('screenLock', 'pass', { value: { enabled: true, idleDelaySeconds: idle.value }, reason: `locks after ${idle.value} s idle`, evidence });
}

async function secureBoot(ctx: CollectContext): Promise<Fact> {
  const mok = await runParsed(ctx, 'mokutil', ['--sb-state'], (t) => parseMokutilSbState(t), { withStderr: true, acceptExit: [0, 1, 255] });
  if (mok.ok) {
    const v = mok.value;
    if (v.enabled) return fact('secureBoot', 'pass', { value: { enabled: true }, reason: 'Secure Boot is enabled', evidence: mok.evidence });
    return fact('secureBoot', 'fail', { value: { enabled: false }, reason: 'noUefi' in v ? 'not booted via UEFI' : 'Secure Boot is disabled', evidence: mok.evidence });
  }
  const tried = [{ label: 'mokutil', reason: mok.reason }];
  if (await ctx.runner.exists('/sys/firmware/efi')) {
    const v = await readParsed(ctx, SECURE_BOOT_VAR, parseSecureBootEfivar, { encoding: 'latin1', maxBytes: 64 });
    if (v.ok) {
      return fact('secureBoot', v.value.enabled ? 'pass' : 'fail', { value: v.value, reason: v.value.enabled ? 'Secure Boot is enabled (EFI variable)' : 'Secure Boot is disabled (EFI variable)', evidence: combined(v.evidence, tried) });
    }
    if (v.missing) return fact('secureBoot', 'fail', { value: { enabled: false }, reason: 'UEFI firmware without a SecureBoot variable (not supported)', evidence: combined(v.evidence, tried) });
    return unknown('secureBoot', v.reason, combined(v.evidence, tried));
  }
  // /sys/firmware visible but no efi/ means the kernel booted through legacy BIOS; a container may hide /sys/firmware entirely.
  if (await ctx.runner.exists('/sys/firmware/acpi')) {
    return fact('secureBoot', 'fail', { value: { enabled: false, uefi: false }, reason: 'booted via legacy BIOS (no /sys/firmware/efi): Secure Boot is not possible', evidence: combined({ source: '/sys/firmware' }, tried) });
  }
  return unknown('secureBoot', `firmware interface not visible (/sys/firmware hidden, container?); ${mok.reason}`, combined({ source: '/sys/firmware' }, tried));
}
