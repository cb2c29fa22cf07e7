import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Fact, PostureReport } from '../../agent/report.ts';
import { DEFAULT_POSTURE_POLICY, compareVersions, evaluatePosture, loadPosturePolicy, parsePosturePolicy } from './policy.ts';

const NOW = Date.UTC(2026, 10, 21, 9, 0, 0);
const daysAgo = (d: number) => new Date(NOW - d * 86_400_000).toISOString();

function fact(id: string, status: Fact['status'], value?: unknown, reason?: string): Fact {
  return { id, label: id, status, ...(value === undefined ? {} : { value }), ...(reason ? { reason } : {}), evidence: {} };
}

function report(over: { platform?: 'linux' | 'darwin' | 'win32'; id?: string; version?: string; build?: string; patchDays?: number | null; encrypted?: boolean | null; extras?: Fact['status'] } = {}): PostureReport {
  const platform = over.platform ?? 'linux';
  const extras = over.extras ?? 'pass';
  return {
    agentVersion: '0.1.0', collectedAt: new Date(NOW).toISOString(), platform,
    os: { platform, distro: 'Debian GNU/Linux 12 (bookworm)', id: over.id ?? 'debian', version: over.version ?? '12', build: over.build ?? '', kernel: '6.1.0', arch: 'x64' },
    facts: [
      fact('os.version', 'pass'),
      over.patchDays === null ? fact('patch.lastInstalled', 'unknown', undefined, 'no apt history') : fact('patch.lastInstalled', 'pass', { date: daysAgo(over.patchDays ?? 2), daysAgo: 0 }),
      over.encrypted === null ? fact('disk.encryption', 'unknown', undefined, 'lsblk needs root') : fact('disk.encryption', over.encrypted === false ? 'fail' : 'pass', { encrypted: over.encrypted ?? true }),
      fact('firewall', extras), fact('screenLock', extras), fact('secureBoot', extras),
    ],
  };
}

describe('evaluatePosture', () => {
  it('a patched, encrypted, fully hardened Debian 12 is highly compliant', () => {
    const r = evaluatePosture(report(), DEFAULT_POSTURE_POLICY, NOW);
    expect(r).toMatchObject({ level: 'highly-compliant', compliant: true, failures: [] });
    expect(r.checks.map((c) => c.check)).toEqual(['os.minVersion', 'patch.maxAge', 'disk.encryption']);
  });

  it('compliant but not highly: patched 20 days ago, or a hardening fact not passing', () => {
    expect(evaluatePosture(report({ patchDays: 20 }), DEFAULT_POSTURE_POLICY, NOW).level).toBe('compliant');
    expect(evaluatePosture(report({ extras: 'unknown' }), DEFAULT_POSTURE_POLICY, NOW).level).toBe('compliant');
  });

  it('minimum OS version per platform', () => {
    const p = DEFAULT_POSTURE_POLICY;
    expect(evaluatePosture(report({ version: '11' }), p, NOW)).toMatchObject({ level: 'non-compliant', failures: [expect.stringMatching(/^os.minVersion: Debian .* 11 is older than the required 12$/)] });
    expect(evaluatePosture(report({ id: 'ubuntu', version: '20.04' }), p, NOW).level).toBe('non-compliant');
    expect(evaluatePosture(report({ id: 'ubuntu', version: '24.04' }), p, NOW).compliant).toBe(true);
    expect(evaluatePosture(report({ id: 'arch', version: '2026.01.01' }), p, NOW).compliant).toBe(true); // "*": any
    expect(evaluatePosture(report({ platform: 'darwin', id: 'macos', version: '13.6.1' }), p, NOW).level).toBe('non-compliant');
    expect(evaluatePosture(report({ platform: 'darwin', id: 'macos', version: '14.5' }), p, NOW).compliant).toBe(true);
    expect(evaluatePosture(report({ platform: 'win32', id: 'windows', version: '10', build: '10.0.19044.1234' }), p, NOW).level).toBe('non-compliant');
    expect(evaluatePosture(report({ platform: 'win32', id: 'windows', version: '11', build: '10.0.22631.3447' }), p, NOW).compliant).toBe(true);
    const strict = parsePosturePolicy({ minOsVersion: { linux: { debian: '13' } } });
    expect(evaluatePosture(report(), strict, NOW).level).toBe('non-compliant');
    expect(evaluatePosture(report({ id: 'ubuntu', version: '24.04' }), strict, NOW).failures[0]).toMatch(/^os.minVersion: unknown: policy sets no minimum version for distribution "ubuntu"/);
  });

  it('maximum days since the last patch, judged from the date not the agent\'s count', () => {
    expect(evaluatePosture(report({ patchDays: 30 }), DEFAULT_POSTURE_POLICY, NOW).compliant).toBe(true);
    expect(evaluatePosture(report({ patchDays: 31 }), DEFAULT_POSTURE_POLICY, NOW).failures).toEqual(['patch.maxAge: last patched 31 days before collection (limit 30)']);
    expect(evaluatePosture(report({ patchDays: null }), DEFAULT_POSTURE_POLICY, NOW).failures[0]).toMatch(/^patch.maxAge: unknown: .*no apt history/);
    expect(evaluatePosture(report({ patchDays: -3 }), DEFAULT_POSTURE_POLICY, NOW).failures[0]).toMatch(/in the future/);
  });

  it('disk encryption required (and optional by policy)', () => {
    expect(evaluatePosture(report({ encrypted: false }), DEFAULT_POSTURE_POLICY, NOW).failures).toEqual(['disk.encryption: disk encryption: fail']);
    expect(evaluatePosture(report({ encrypted: null }), DEFAULT_POSTURE_POLICY, NOW).failures[0]).toMatch(/^disk.encryption: unknown: .*lsblk needs root/);
    expect(evaluatePosture(report({ encrypted: false }), parsePosturePolicy({ requireDiskEncryption: false }), NOW).compliant).toBe(true);
  });

  it('a missing, malformed or hostile report is unknown, never compliant', () => {
    const bad: unknown[] = [undefined, null, 'x', [], {}, { ...report(), platform: 'amiga' }, { ...report(), facts: 'none' },
      { ...report(), extra: 1 }, { ...report(), collectedAt: 'yesterday' }, { ...report(), facts: Array(300).fill(fact('x', 'pass')) }];
    for (const b of bad) {
      const r = evaluatePosture(b, DEFAULT_POSTURE_POLICY, NOW);
      expect(r.level).toBe('unknown');
      expect(r.compliant).toBe(false);
      expect(r.failures[0]).toMatch(/posture report/);
    }
    const liar = report();
    liar.os.platform = 'win32';
    expect(evaluatePosture(liar, DEFAULT_POSTURE_POLICY, NOW).level).toBe('non-compliant');
  });
});

describe('posture policy files', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'parley-posture-')); });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('loads a file over the defaults', async () => {
    const f = join(dir, 'posture.json');
    await writeFile(f, JSON.stringify({ maxDaysSinceLastPatch: 14, minOsVersion: { darwin: '15.0' } }));
    const p = await loadPosturePolicy(f);
    expect(p.maxDaysSinceLastPatch).toBe(14);
    expect(p.minOsVersion.darwin).toBe('15.0');
    expect(p.minOsVersion.win32).toBe('10.0.19045');
    expect(p.requireDiskEncryption).toBe(true);
  });

  it.each([
    ['{', /posture.json: not valid JSON/],
    ['[]', /posture.json: must be an object/],
    ['{"maxDaysSinceLastPatch": -1}', /posture.json: maxDaysSinceLastPatch: must be a whole number/],
    ['{"maxDaysSinceLastPatch": "30"}', /maxDaysSinceLastPatch: must be a whole number/],
    ['{"requireDiskEncryption": "yes"}', /requireDiskEncryption: must be true or false/],
    ['{"minOsVersion": {"linux": {"debian": "twelve"}}}', /minOsVersion.linux.debian: must be a version/],
    ['{"minOsVersion": {"linux": {"Deb ian": "12"}}}', /minOsVersion.linux.Deb ian: not an os-release ID/],
    ['{"minOsVersion": {"beos": "5"}}', /minOsVersion.beos: unknown field/],
    ['{"minOsVersion": {"win32": 10}}', /minOsVersion.win32: must be a version/],
    ['{"highlyCompliant": {"requireFacts": ["vibes"]}}', /highlyCompliant.requireFacts\[0\]: must be one of firewall, screenLock/],
    ['{"highlyCompliant": {"requireFacts": ["__proto__"]}}', /highlyCompliant.requireFacts\[0\]: must be one of/],
    ['{"minOsVersion": {"win32": "10.0.22631.3447.1"}}', /minOsVersion.win32: must be a version/],
    ['{"disk": true}', /posture.json: disk: unknown field/],
  ])('refuses %s', async (text, msg) => {
    const f = join(dir, 'posture.json');
    await writeFile(f, text);
    await expect(loadPosturePolicy(f)).rejects.toThrow(msg);
  });

  it('names the config field when parsing a section, and a missing file', async () => {
    expect(() => parsePosturePolicy({ maxDaysSinceLastPatch: 1.5 })).toThrow(/^posture.maxDaysSinceLastPatch: /);
    await expect(loadPosturePolicy(join(dir, 'nope.json'))).rejects.toThrow(/nope.json: cannot read the posture policy \(ENOENT\)/);
  });
});

it('compareVersions', () => {
  expect(compareVersions('14', '14.0')).toBe(0);
  expect(compareVersions('10.0.22631', '10.0.19045')).toBe(1);
  expect(compareVersions('22.04', '22.10')).toBe(-1);
});
