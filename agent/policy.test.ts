import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, evaluatePosture, loadPosturePolicy, parsePosturePolicy, PolicyFileError, type PosturePolicy } from './policy.ts';
import type { Fact, PostureReport } from './report.ts';

const f = (id: string, status: Fact['status'], value?: unknown, reason?: string): Fact => ({ id, label: id, status, ...(value !== undefined ? { value } : {}), ...(reason ? { reason } : {}), evidence: { source: 'test' } });

const base: PostureReport = {
  agentVersion: '0.1.0',
  collectedAt: '2026-11-21T12:00:00.000Z',
  platform: 'linux',
  os: { platform: 'linux', distro: 'Ubuntu 22.04.4 LTS', id: 'ubuntu', version: '22.04', build: '', kernel: '6.5.0', arch: 'x64' },
  facts: [
    f('os.version', 'pass'),
    f('patch.lastInstalled', 'pass', { date: '2026-11-10T06:00:00.000Z', daysAgo: 11 }),
    f('patch.pending', 'pass', { total: 4, security: 0 }),
    f('disk.encryption', 'pass', { encrypted: true }, '/ is on dm-crypt'),
    f('firewall', 'pass', { enabled: true }, 'ufw is active'),
    f('screenLock', 'pass', { enabled: true, idleDelaySeconds: 300 }),
    f('secureBoot', 'fail', { enabled: false }, 'Secure Boot is disabled'),
    f('hardware.id', 'pass', { serial: 'X' }),
    f('agent.version', 'pass', '0.1.0'),
  ],
};

const with_ = (id: string, fact: Fact): PostureReport => ({ ...base, facts: base.facts.map((x) => (x.id === id ? fact : x)) });

const full: PosturePolicy = {
  minOsVersion: { linux: { ubuntu: '22.04', debian: '12' }, darwin: '14.4', win32: '10.0.22631.3447' },
  maxDaysSinceLastPatch: 30,
  maxPendingSecurityUpdates: 0,
  maxPendingUpdates: 10,
  requireDiskEncryption: true,
  requireFirewall: true,
  requireScreenLock: true,
  maxScreenLockDelaySeconds: 600,
  requireHardwareId: true,
  minAgentVersion: '0.1.0',
};

describe('evaluatePosture', () => {
  it('compliant when every configured rule passes; unconfigured rules are not checked', () => {
    const e = evaluatePosture(base, full);
    expect(e.compliant).toBe('yes');
    expect(e.results.map((r) => r.rule)).toEqual(['os.minVersion', 'patch.maxAge', 'patch.pendingSecurity', 'patch.pendingTotal', 'disk.encryption', 'firewall', 'screenLock', 'hardware.id', 'screenLock.maxDelay', 'agent.minVersion']);
    expect(evaluatePosture(base, {}).compliant).toBe('yes');
  });

  it('fails on each rule', () => {
    expect(evaluatePosture(base, { ...full, requireSecureBoot: true })).toMatchObject({ compliant: 'no' });
    expect(evaluatePosture(base, { minOsVersion: { linux: { ubuntu: '24.04' } } }).results[0]).toMatchObject({ status: 'fail', reason: 'Ubuntu 22.04.4 LTS 22.04 is older than the required 24.04' });
    expect(evaluatePosture(base, { maxDaysSinceLastPatch: 7 }).results[0]).toMatchObject({ status: 'fail', reason: 'last patched 11 days before collection (limit 7)' });
    expect(evaluatePosture(with_('patch.pending', f('patch.pending', 'fail', { total: 9, security: 2 })), { maxPendingSecurityUpdates: 0 }).compliant).toBe('no');
    expect(evaluatePosture(base, { maxPendingUpdates: 3 }).compliant).toBe('no');
    expect(evaluatePosture(base, { maxScreenLockDelaySeconds: 60 }).compliant).toBe('no');
    expect(evaluatePosture(base, { minAgentVersion: '0.2.0' }).compliant).toBe('no');
    expect(evaluatePosture(with_('disk.encryption', f('disk.encryption', 'fail', { encrypted: false })), { requireDiskEncryption: true }).compliant).toBe('no');
  });

  it('unknown facts make the verdict unknown, but a failure wins', () => {
    const r = with_('firewall', f('firewall', 'unknown', undefined, 'nft is not installed'));
    expect(evaluatePosture(r, { requireFirewall: true })).toEqual({ compliant: 'unknown', results: [{ rule: 'firewall', status: 'unknown', reason: 'firewall unknown: nft is not installed' }] });
    expect(evaluatePosture(r, { requireFirewall: true, requireSecureBoot: true }).compliant).toBe('no');
  });

  it('an unlisted distribution or a missing fact is unknown, not pass', () => {
    const arch = { ...base, os: { ...base.os, id: 'arch', version: 'rolling' } };
    expect(evaluatePosture(arch, { minOsVersion: { linux: { ubuntu: '22.04' } } }).results[0]).toMatchObject({ status: 'unknown' });
    expect(evaluatePosture({ ...base, facts: [] }, full).results.every((r) => r.status === 'unknown' || r.rule === 'agent.minVersion')).toBe(true);
  });

  it('Windows compares the full build with its update revision; macOS the product version', () => {
    const win = { ...base, platform: 'win32' as const, os: { platform: 'win32' as const, distro: 'Windows 11', id: 'windows', version: '10.0.22631', build: '10.0.22631.3000', kernel: '', arch: 'x64' } };
    expect(evaluatePosture(win, { minOsVersion: { win32: '10.0.22631.3447' } }).compliant).toBe('no');
    expect(evaluatePosture({ ...win, os: { ...win.os, build: '10.0.22631.4460' } }, { minOsVersion: { win32: '10.0.22631.3447' } }).compliant).toBe('yes');
    const mac = { ...base, platform: 'darwin' as const, os: { platform: 'darwin' as const, distro: 'macOS', id: 'macos', version: '14.10', build: '23X1', kernel: '', arch: 'arm64' } };
    expect(evaluatePosture(mac, { minOsVersion: { darwin: '14.4' } }).compliant).toBe('yes');
  });

  it('hostile fact values never pass', () => {
    const weird = { ...base, facts: base.facts.map((x) => ({ ...x, value: { date: 42, security: '0', total: null, idleDelaySeconds: 'x' } })) };
    const e = evaluatePosture(weird, { maxDaysSinceLastPatch: 30, maxPendingSecurityUpdates: 0, maxScreenLockDelaySeconds: 600 });
    expect(e.results.map((r) => r.status)).toEqual(['unknown', 'unknown', 'unknown']);
  });

  it('compareVersions is numeric', () => {
    expect(compareVersions('10.0.22631.10', '10.0.22631.9')).toBe(1);
    expect(compareVersions('14', '14.0.0')).toBe(0);
    expect(compareVersions('13.6', '14.4')).toBe(-1);
  });
});

describe('policy files', () => {
  it('valid, unknown keys, wrong types', () => {
    expect(parsePosturePolicy(full).ok).toBe(true);
    expect(parsePosturePolicy({ requireFirewal: true })).toMatchObject({ ok: false });
    expect(parsePosturePolicy({ maxDaysSinceLastPatch: -1 })).toMatchObject({ ok: false, error: expect.stringContaining('maxDaysSinceLastPatch') });
    expect(parsePosturePolicy({ minOsVersion: { darwin: 'fourteen' } })).toMatchObject({ ok: false, error: expect.stringContaining('minOsVersion.darwin') });
    expect(parsePosturePolicy([]).ok).toBe(false);
    expect(parsePosturePolicy(null).ok).toBe(false);
  });

  it('loadPosturePolicy gives terminal-ready errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'parley-agent-policy-'));
    try {
      const good = join(dir, 'good.json');
      await writeFile(good, JSON.stringify(full));
      expect(await loadPosturePolicy(good)).toEqual(full);
      await expect(loadPosturePolicy(join(dir, 'missing.json'))).rejects.toThrow(/does not exist/);
      const bad = join(dir, 'bad.json');
      await writeFile(bad, '{ "requireFirewall": tru');
      await expect(loadPosturePolicy(bad)).rejects.toThrow(PolicyFileError);
      await expect(loadPosturePolicy(bad)).rejects.toThrow(/not valid JSON/);
      const big = join(dir, 'big.json');
      await writeFile(big, `{"x":"${'a'.repeat(300_000)}"}`);
      await expect(loadPosturePolicy(big)).rejects.toThrow(/larger than/);
      await expect(loadPosturePolicy(dir)).rejects.toThrow(PolicyFileError);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
