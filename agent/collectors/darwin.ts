import type { Fact, OsSummary } from '../report.ts';
import { parseSocketFilterFwState, parseSysadminctlScreenLock } from '../parsers/macos-firewall.ts';
import { parseFdesetupStatus } from '../parsers/macos-fdesetup.ts';
import { parseIoregPlatform, parseSystemProfilerHardware, parseSystemProfilerSecureBoot } from '../parsers/macos-hardware.ts';
import { parseSoftwareUpdateHistory, parseSoftwareUpdateList } from '../parsers/macos-softwareupdate.ts';
import { parseSwVers } from '../parsers/macos-sw-vers.ts';
import { combined, fact, lastPatchFact, pendingFact, runParsed, unknown, emptyOs, guarded, withDeadline, type CollectContext, type PlatformCollection } from './common.ts';
import { hardwareFromSystemInfo } from './hardware.ts';

export async function collectDarwin(ctx: CollectContext): Promise<PlatformCollection> {
  const osPart = osFact(ctx);
  const facts = await Promise.all([
    guarded(ctx, 'os.version', () => osPart.then((o) => o.fact)),
    guarded(ctx, 'patch.lastInstalled', () => lastPatch(ctx)),
    guarded(ctx, 'patch.pending', () => pending(ctx)),
    guarded(ctx, 'disk.encryption', () => fileVault(ctx)),
    guarded(ctx, 'firewall', () => firewall(ctx)),
    guarded(ctx, 'screenLock', () => screenLock(ctx)),
    guarded(ctx, 'secureBoot', () => secureBoot(ctx)),
    guarded(ctx, 'hardware.id', () => hardware(ctx)),
  ]);
  const os = await withDeadline(ctx, osPart.then((o) => o.os), emptyOs('darwin'));
  return { os, facts };
}

async function osFact(ctx: CollectContext): Promise<{ os: OsSummary; fact: Fact }> {
  const [sw, info] = await Promise.all([runParsed(ctx, 'sw_vers', [], (t) => parseSwVers(t)), ctx.si.osInfo().catch(() => undefined)]);
  const os: OsSummary = {
    platform: 'darwin',
    distro: sw.ok ? sw.value.productName : (info?.distro ?? ''),
    id: 'macos',
    version: sw.ok ? sw.value.productVersion : (info?.release ?? ''),
    build: sw.ok ? `${sw.value.buildVersion}${sw.value.productVersionExtra ? ` ${sw.value.productVersionExtra}` : ''}` : (info?.build ?? ''),
    kernel: info?.kernel ?? '',
    arch: info?.arch ?? '',
  };
  if (!sw.ok) return { os, fact: unknown('os.version', sw.reason, sw.evidence) };
  return { os, fact: fact('os.version', 'pass', { value: { ...os }, reason: `${os.distro} ${os.version} (${os.build})`, evidence: sw.evidence }) };
}

async function lastPatch(ctx: CollectContext): Promise<Fact> {
  const h = await runParsed(ctx, 'softwareupdate', ['--history'], (t) => parseSoftwareUpdateHistory(t));
  if (!h.ok) return unknown('patch.lastInstalled', h.reason, h.evidence);
  const evidence = { ...h.evidence, parsed: { entries: h.value.entries.length, lastOsPatch: h.value.lastOsPatch?.toISOString() ?? null, latest: h.value.entries.slice(-5) } };
  if (!h.value.lastOsPatch) return unknown('patch.lastInstalled', 'softwareupdate --history lists no OS update', evidence);
  return lastPatchFact(ctx, h.value.lastOsPatch, evidence, 'macOS last updated');
}

async function pending(ctx: CollectContext): Promise<Fact> {
  // --no-scan lists what the last background scan found, so the agent never waits on Apple's servers.
  const l = await runParsed(ctx, 'softwareupdate', ['--list', '--no-scan'], (t) => parseSoftwareUpdateList(t), { withStderr: true });
  if (!l.ok) return unknown('patch.pending', l.reason, l.evidence);
  return pendingFact(l.value.total, l.value.security, l.evidence, 'softwareupdate, last background scan');
}

async function fileVault(ctx: CollectContext): Promise<Fact> {
  const f = await runParsed(ctx, 'fdesetup', ['status'], (t) => parseFdesetupStatus(t));
  if (!f.ok) return unknown('disk.encryption', f.reason, f.evidence);
  const v = f.value;
  if (v.state === 'on') return fact('disk.encryption', 'pass', { value: { encrypted: true, method: 'FileVault' }, reason: 'FileVault is on', evidence: f.evidence });
  const pct = v.percent !== undefined ? ` (${v.percent}%)` : '';
  const why = { off: 'FileVault is off', encrypting: `FileVault encryption in progress${pct}`, decrypting: `FileVault decryption in progress${pct}`, deferred: 'FileVault is off until the next restart' }[v.state];
  return fact('disk.encryption', 'fail', { value: { encrypted: false, method: 'FileVault', state: v.state, ...(v.percent !== undefined ? { percent: v.percent } : {}) }, reason: why, evidence: f.evidence });
}

async function firewall(ctx: CollectContext): Promise<Fact> {
  const f = await runParsed(ctx, '/usr/libexec/ApplicationFirewall/socketfilterfw', ['--getglobalstate'], (t) => parseSocketFilterFwState(t));
  if (!f.ok) return unknown('firewall', f.reason, f.evidence);
  if (f.value.enabled) return fact('firewall', 'pass', { value: { enabled: true, tool: 'Application Firewall', blockAll: f.value.blockAll }, reason: 'Application Firewall is on', evidence: f.evidence });
  return fact('firewall', 'fail', { value: { enabled: false, tool: 'Application Firewall' }, reason: 'Application Firewall is off', evidence: f.evidence });
}

async function screenLock(ctx: CollectContext): Promise<Fact> {
  const s = await runParsed(ctx, 'sysadminctl', ['-screenLock', 'status'], (t) => parseSysadminctlScreenLock(t), { withStderr: true });
  if (!s.ok) return unknown('screenLock', s.reason, s.evidence);
  if (!s.value.enabled) return fact('screenLock', 'fail', { value: { enabled: false }, reason: 'no password is asked after sleep or screen saver', evidence: s.evidence });
  const d = s.value.delaySeconds ?? 0;
  return fact('screenLock', 'pass', { value: { enabled: true, delaySeconds: d }, reason: d === 0 ? 'password asked immediately' : `password asked after ${d} s`, evidence: s.evidence });
}

async function secureBoot(ctx: CollectContext): Promise<Fact> {
  const s = await runParsed(ctx, 'system_profiler', ['SPiBridgeDataType', '-json'], (t) => parseSystemProfilerSecureBoot(t), { timeoutMs: ctx.commandTimeoutMs });
  if (!s.ok) return unknown('secureBoot', s.reason, s.evidence);
  const v = s.value;
  if (!v.present) return unknown('secureBoot', 'no Secure Boot data from SPiBridgeDataType (Intel Mac without T2?)', s.evidence);
  if (v.level === 'full') return fact('secureBoot', 'pass', { value: { enabled: true, level: v.level }, reason: 'Full Security', evidence: s.evidence });
  return fact('secureBoot', 'fail', { value: { enabled: v.level !== 'none', level: v.level }, reason: `${v.raw}, not Full Security`, evidence: s.evidence });
}

async function hardware(ctx: CollectContext): Promise<Fact> {
  const io = await runParsed(ctx, 'ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], (t) => parseIoregPlatform(t));
  if (io.ok) return fact('hardware.id', 'pass', { value: io.value, reason: io.value.serial ? 'hardware serial number' : 'platform UUID', evidence: io.evidence });
  const sp = await runParsed(ctx, 'system_profiler', ['SPHardwareDataType', '-json'], (t) => parseSystemProfilerHardware(t));
  if (sp.ok) return fact('hardware.id', 'pass', { value: sp.value, reason: sp.value.serial ? 'hardware serial number' : 'platform UUID', evidence: combined(sp.evidence, [{ label: 'ioreg', reason: io.reason }]) });
  const f = await hardwareFromSystemInfo(ctx);
  return { ...f, evidence: combined(f.evidence, [{ label: 'ioreg', reason: io.reason }, { label: 'system_profiler', reason: sp.reason }]) };
}
