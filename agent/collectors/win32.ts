import type { Fact, OsSummary } from '../report.ts';
import { parseNetFirewallProfiles, parseNetshFirewallState } from '../parsers/windows-firewall.ts';
import { parseGetHotFixJson, parseWmicQfeCsv } from '../parsers/windows-hotfix.ts';
import { parseManageBdeStatus } from '../parsers/windows-manage-bde.ts';
import { parseRegQuery, type RegQuery, type RegValue } from '../parsers/windows-reg.ts';
import { parseWindowsUpdateSearch } from '../parsers/windows-update-search.ts';
import { combined, fact, lastPatchFact, pendingFact, runParsed, unknown, emptyOs, guarded, withDeadline, type CollectContext, type PlatformCollection } from './common.ts';
import { hardwareFromSystemInfo } from './hardware.ts';

const PS = 'powershell.exe';
const psArgs = (script: string): string[] => [
  '-NoProfile',
  '-NonInteractive',
  '-ExecutionPolicy',
  'Bypass',
  '-Command',
  `[Console]::OutputEncoding=[Text.Encoding]::UTF8; ${script}`,
];

export const HOTFIX_SCRIPT = 'Get-HotFix | Select-Object HotFixID,Description,InstalledOn | ConvertTo-Json -Compress';
// Offline search against the cached catalogue: fast, and never waits on Windows Update servers.
export const UPDATE_SEARCH_SCRIPT =
  "$s=(New-Object -ComObject Microsoft.Update.Session).CreateUpdateSearcher(); $s.Online=$false; " +
  "$r=$s.Search('IsInstalled=0 and IsHidden=0 and Type=''Software'''); " +
  '$u=@($r.Updates | ForEach-Object { [pscustomobject]@{ Title=$_.Title; KBs=@($_.KBArticleIDs); MsrcSeverity=$_.MsrcSeverity; Categories=@($_.Categories | ForEach-Object { $_.CategoryID }) } }); ' +
  '[pscustomobject]@{ count=$u.Count; updates=$u } | ConvertTo-Json -Depth 4 -Compress';
export const FIREWALL_SCRIPT = 'Get-NetFirewallProfile | Select-Object Name,Enabled | ConvertTo-Json -Compress';

const CURRENT_VERSION = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion';
const SECURE_BOOT_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecureBoot\\State';
const DESKTOP_KEY = 'HKCU\\Control Panel\\Desktop';
const DESKTOP_POLICY_KEY = 'HKCU\\Software\\Policies\\Microsoft\\Windows\\Control Panel\\Desktop';
const SYSTEM_POLICY_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\System';

export async function collectWin32(ctx: CollectContext): Promise<PlatformCollection> {
  const osPart = osFact(ctx);
  const facts = await Promise.all([
    guarded(ctx, 'os.version', () => osPart.then((o) => o.fact)),
    guarded(ctx, 'patch.lastInstalled', () => lastPatch(ctx)),
    guarded(ctx, 'patch.pending', () => pending(ctx)),
    guarded(ctx, 'disk.encryption', () => bitLocker(ctx)),
    guarded(ctx, 'firewall', () => firewall(ctx)),
    guarded(ctx, 'screenLock', () => screenLock(ctx)),
    guarded(ctx, 'secureBoot', () => secureBoot(ctx)),
    guarded(ctx, 'hardware.id', () => hardwareFromSystemInfo(ctx)),
  ]);
  const os = await withDeadline(ctx, osPart.then((o) => o.os), emptyOs('win32'));
  return { os, facts };
}

// reg.exe exits 1 when a key is absent; the parser turns its message into {found:false}.
const reg = (ctx: CollectContext, key: string, value?: string) =>
  runParsed<RegQuery>(ctx, 'reg', ['query', key, ...(value ? ['/v', value] : [])], (t) => parseRegQuery(t), { acceptExit: [0, 1], withStderr: true });

function num(v: RegValue | undefined): number | undefined {
  if (!v) return undefined;
  if (v.type === 'REG_DWORD' || v.type === 'REG_QWORD') return v.value;
  const t = String(v.value).trim();
  return /^\d{1,10}$/.test(t) ? Number(t) : undefined;
}

async function osFact(ctx: CollectContext): Promise<{ os: OsSummary; fact: Fact }> {
  const [info, ubr] = await Promise.all([ctx.si.osInfo().catch((e: Error) => e), reg(ctx, CURRENT_VERSION, 'UBR')]);
  if (info instanceof Error) {
    const os: OsSummary = { platform: 'win32', distro: '', id: 'windows', version: '', build: '', kernel: '', arch: '' };
    return { os, fact: unknown('os.version', `systeminformation.osInfo failed: ${info.message}`, { source: 'systeminformation.osInfo', error: info.message }) };
  }
  const rev = ubr.ok && ubr.value.found ? num(ubr.value.values.UBR) : undefined;
  const version = info.release;
  const os: OsSummary = { platform: 'win32', distro: info.distro, id: 'windows', version, build: rev !== undefined ? `${version}.${rev}` : version, kernel: info.kernel, arch: info.arch };
  const evidence = combined({ source: 'systeminformation.osInfo', parsed: { distro: info.distro, release: info.release, build: info.build } }, [{ label: `reg query ${CURRENT_VERSION} /v UBR`, reason: rev !== undefined ? `UBR ${rev}` : ubr.ok ? 'UBR absent' : ubr.reason }]);
  if (!/^\d+\.\d+\.\d+$/.test(version)) return { os, fact: unknown('os.version', `unrecognized Windows version "${version}"`, evidence) };
  return { os, fact: fact('os.version', 'pass', { value: { ...os }, reason: `${os.distro} ${os.build}`, evidence }) };
}

async function lastPatch(ctx: CollectContext): Promise<Fact> {
  const hf = await runParsed(ctx, PS, psArgs(HOTFIX_SCRIPT), (t) => parseGetHotFixJson(t));
  let found = hf.ok ? hf : undefined;
  let tried = hf.ok ? [] : [{ label: 'Get-HotFix', reason: hf.reason }];
  if (!found) {
    const w = await runParsed(ctx, 'wmic', ['qfe', 'get', 'HotFixID,InstalledOn', '/format:csv'], (t) => parseWmicQfeCsv(t));
    if (w.ok) found = w;
    else tried = [...tried, { label: 'wmic qfe', reason: w.reason }];
  }
  if (!found) return unknown('patch.lastInstalled', tried.map((t) => `${t.label}: ${t.reason}`).join('; '), combined({ command: PS }, tried));
  if (!found.value.lastInstalled) return unknown('patch.lastInstalled', `${found.value.count} hotfixes, none with an install date`, combined(found.evidence, tried));
  return lastPatchFact(ctx, found.value.lastInstalled, combined(found.evidence, tried), `${found.value.lastId} installed`);
}

async function pending(ctx: CollectContext): Promise<Fact> {
  const u = await runParsed(ctx, PS, psArgs(UPDATE_SEARCH_SCRIPT), (t) => parseWindowsUpdateSearch(t));
  if (!u.ok) return unknown('patch.pending', u.reason, u.evidence);
  return pendingFact(u.value.total, u.value.security, u.evidence, 'Windows Update Agent, cached catalogue');
}

async function bitLocker(ctx: CollectContext): Promise<Fact> {
  const drive = /^[A-Z]:$/i.test(process.env.SystemDrive ?? '') ? process.env.SystemDrive! : 'C:';
  // manage-bde exits non-zero when refused; the parser recognizes that answer, so every exit code is read.
  const b = await runParsed(ctx, 'manage-bde', ['-status', drive], (t) => parseManageBdeStatus(t), { acceptExit: 'any', withStderr: true });
  if (!b.ok) return unknown('disk.encryption', b.reason, b.evidence);
  const v = b.value;
  if (v.elevationRequired) return unknown('disk.encryption', 'needs elevation (manage-bde requires an administrator)', b.evidence);
  const encrypted = (v.conversion === 'fully-encrypted' || v.conversion === 'used-space-encrypted') && v.percentEncrypted === 100;
  const value = { encrypted: encrypted && v.protectionOn, method: 'BitLocker', conversion: v.conversion, percentEncrypted: v.percentEncrypted, protectionOn: v.protectionOn };
  if (encrypted && v.protectionOn) return fact('disk.encryption', 'pass', { value, reason: `BitLocker on ${v.volume}: encrypted, protection on`, evidence: b.evidence });
  if (encrypted) return fact('disk.encryption', 'fail', { value, reason: `BitLocker on ${v.volume}: encrypted but protection suspended`, evidence: b.evidence });
  return fact('disk.encryption', 'fail', { value, reason: `BitLocker on ${v.volume}: ${v.conversion} (${v.percentEncrypted}%)`, evidence: b.evidence });
}

async function firewall(ctx: CollectContext): Promise<Fact> {
  let f = await runParsed(ctx, PS, psArgs(FIREWALL_SCRIPT), (t) => parseNetFirewallProfiles(t));
  const tried: Array<{ label: string; reason: string }> = [];
  if (!f.ok) {
    tried.push({ label: 'Get-NetFirewallProfile', reason: f.reason });
    f = await runParsed(ctx, 'netsh', ['advfirewall', 'show', 'allprofiles', 'state'], (t) => parseNetshFirewallState(t));
  }
  if (!f.ok) return unknown('firewall', [...tried.map((t) => t.reason), f.reason].join('; '), combined(f.evidence, tried));
  const off = Object.entries(f.value.profiles).filter(([, on]) => !on).map(([n]) => n);
  const evidence = combined(f.evidence, tried);
  if (off.length === 0) return fact('firewall', 'pass', { value: { enabled: true, profiles: f.value.profiles }, reason: 'Windows Firewall on for every profile', evidence });
  return fact('firewall', 'fail', { value: { enabled: false, profiles: f.value.profiles }, reason: `Windows Firewall off for ${off.join(', ')}`, evidence });
}

async function screenLock(ctx: CollectContext): Promise<Fact> {
  const [desk, pol, sys] = await Promise.all([reg(ctx, DESKTOP_KEY), reg(ctx, DESKTOP_POLICY_KEY), reg(ctx, SYSTEM_POLICY_KEY, 'InactivityTimeoutSecs')]);
  const vals = (r: typeof desk): Record<string, RegValue> => (r.ok && r.value.found ? r.value.values : {});
  // Group policy wins over the user's own settings.
  const get = (name: string): number | undefined => num(vals(pol)[name]) ?? num(vals(desk)[name]);
  const inactivity = num(vals(sys).InactivityTimeoutSecs);
  const active = get('ScreenSaveActive');
  const secure = get('ScreenSaverIsSecure');
  const timeout = get('ScreenSaveTimeOut');
  const parsed = { InactivityTimeoutSecs: inactivity ?? null, ScreenSaveActive: active ?? null, ScreenSaverIsSecure: secure ?? null, ScreenSaveTimeOut: timeout ?? null };
  const evidence = { command: 'reg', args: ['query', DESKTOP_KEY], parsed, source: `${DESKTOP_KEY}; ${DESKTOP_POLICY_KEY}; ${SYSTEM_POLICY_KEY}` };
  if (inactivity !== undefined && inactivity > 0) return fact('screenLock', 'pass', { value: { enabled: true, timeoutSeconds: inactivity }, reason: `machine inactivity limit ${inactivity} s (policy)`, evidence });
  if (active === 1 && secure === 1 && timeout !== undefined && timeout > 0) return fact('screenLock', 'pass', { value: { enabled: true, timeoutSeconds: timeout }, reason: `secure screen saver after ${timeout} s`, evidence });
  if (!desk.ok && !pol.ok && !sys.ok) return unknown('screenLock', `registry unreadable: ${desk.reason}`, { ...evidence, error: desk.reason });
  if (active === undefined && secure === undefined && inactivity === undefined) return unknown('screenLock', 'no screen saver or inactivity settings in the registry', evidence);
  const why = active !== 1 ? 'screen saver disabled' : secure !== 1 ? 'screen saver does not ask for a password' : 'screen saver timeout is 0';
  return fact('screenLock', 'fail', { value: { enabled: false }, reason: why, evidence });
}

async function secureBoot(ctx: CollectContext): Promise<Fact> {
  const r = await reg(ctx, SECURE_BOOT_KEY, 'UEFISecureBootEnabled');
  if (!r.ok) return unknown('secureBoot', r.reason, r.evidence);
  if (!r.value.found) return unknown('secureBoot', 'no SecureBoot state in the registry (legacy BIOS boot or unsupported firmware)', r.evidence);
  const v = num(r.value.values.UEFISecureBootEnabled);
  if (v === 1) return fact('secureBoot', 'pass', { value: { enabled: true }, reason: 'UEFI Secure Boot is enabled', evidence: r.evidence });
  if (v === 0) return fact('secureBoot', 'fail', { value: { enabled: false }, reason: 'UEFI Secure Boot is disabled', evidence: r.evidence });
  return unknown('secureBoot', 'UEFISecureBootEnabled has an unexpected value', r.evidence);
}
