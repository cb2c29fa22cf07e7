import { mkdtempSync, writeFileSync, mkdirSync, chmodSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { defaultPolicyPath, loadConfig, MAX_CONFIG_BYTES, describeConfigError, PolicyFileSchema } from './policy.ts';
import { selfSignedCa } from '../testing/certs.ts';

const PIN = 'A'.repeat(43) + '=';
let dir: string;
let caPem: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'parley-config-'));
  caPem = (await selfSignedCa()).certPem;
  writeFileSync(path.join(dir, 'ca.pem'), caPem);
});

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}
const json = (name: string, v: unknown) => file(name, JSON.stringify(v));

describe('managed configuration', () => {
  it('knows the policy path of each OS', () => {
    expect(defaultPolicyPath('linux')).toBe('/etc/parley/policy.json');
    expect(defaultPolicyPath('darwin')).toBe('/Library/Application Support/Parley/policy.json');
    expect(defaultPolicyPath('win32', { ProgramData: 'D:\\PD' })).toBe('D:\\PD\\Parley\\policy.json');
  });

  it('no policy file: user settings apply', async () => {
    const user = json('user-only.json', { gateway: { host: 'gw.example', port: 9000 }, reattestIntervalSec: 60 });
    const r = await loadConfig({ policyPath: path.join(dir, 'nope.json'), userSettingsPath: user });
    expect(r).toMatchObject({ ok: true, value: { gateway: { host: 'gw.example', port: 9000 }, reattestIntervalSec: 60, policySource: null, managed: [] } });
  });

  it('the policy overrides user settings, which can only tighten it', async () => {
    const policy = json('policy.json', {
      gateway: { host: 'gateway.corp', port: 8443 },
      caBundle: 'ca.pem',
      spkiPins: [PIN],
      enrollmentUrl: 'https://gateway.corp:8444',
      reattestIntervalSec: 120,
      enrollmentToken: 'tok-12345678',
    });
    const user = json('user.json', {
      gateway: { host: 'evil.example', port: 1 },
      spkiPins: ['B'.repeat(43) + '='],
      reattestIntervalSec: 3_600,
    });
    const r = await loadConfig({ policyPath: policy, userSettingsPath: user });
    if (!r.ok) throw new Error(describeConfigError(r.error));
    expect(r.value.gateway).toEqual({ host: 'gateway.corp', port: 8443 });
    expect(r.value.spkiPins).toEqual([PIN]);
    expect(r.value.reattestIntervalSec).toBe(120);
    expect(r.value.caPem).toEqual([caPem.trim()]);
    expect(r.value.enrollmentToken).toBe('tok-12345678');
    expect(r.value.managed.sort()).toEqual(['caBundle', 'enrollmentUrl', 'gateway', 'reattestIntervalSec', 'spkiPins']);

    const stricter = json('user2.json', { reattestIntervalSec: 30 });
    const r2 = await loadConfig({ policyPath: policy, userSettingsPath: stricter });
    expect(r2.ok && r2.value.reattestIntervalSec).toBe(30);
  });

  const bad: Array<[string, string | Buffer, RegExp, string?]> = [
    ['garbage', 'ÿØÿà\u0000garbage{{{', /not valid (JSON|UTF-8)/],
    ['truncated', '{"gateway": {"host": "gw", "po', /not valid JSON/],
    ['empty', '   \n', /is empty/],
    ['not utf8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /UTF-8/],
    ['array', '[1,2,3]', /expected object/i],
    ['unknown key', '{"gatewy": {"host": "x", "port": 1}}', /unknown setting\(s\): gatewy/],
    ['proto pollution', '{"__proto__": {"polluted": true}}', /unknown setting/],
    ['port out of range', '{"gateway": {"host": "gw", "port": 70000}}', /./, 'gateway.port'],
    ['port as string', '{"gateway": {"host": "gw", "port": "443"}}', /expected number/, 'gateway.port'],
    ['host injection', '{"gateway": {"host": "gw; rm -rf /", "port": 1}}', /host name/, 'gateway.host'],
    ['http enrollment', '{"enrollmentUrl": "http://gw/enroll"}', /https/, 'enrollmentUrl'],
    ['bad pin', '{"spkiPins": ["not-a-pin"]}', /SHA-256/, 'spkiPins.0'],
    ['reattest zero', '{"reattestIntervalSec": 0}', /./, 'reattestIntervalSec'],
    ['deep nesting', '['.repeat(20_000) + ']'.repeat(20_000), /./],
    ['missing CA', '{"caBundle": "does-not-exist.pem"}', /cannot be read \(ENOENT\)/, 'caBundle'],
    ['CA not PEM', '{"caBundle": "policy-garbage.json"}', /no PEM certificate/, 'caBundle'],
  ];
  for (const [name, content, problem, field] of bad) {
    it(`a bad policy file is a clear error, not a crash: ${name}`, async () => {
      const p = file(`policy-${name.replace(/\W/g, '_')}.json`, content);
      if (name === 'garbage') file('policy-garbage.json', content);
      const r = await loadConfig({ policyPath: p, userSettingsPath: null });
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.file).toBe(p);
      expect(r.error.problem).toMatch(problem);
      if (field) expect(r.error.field).toBe(field);
      expect(Object.prototype).not.toHaveProperty('polluted');
    });
  }

  it('refuses a huge file without reading it all', async () => {
    const p = file('huge.json', '{"x":"' + 'a'.repeat(MAX_CONFIG_BYTES * 4) + '"}');
    const r = await loadConfig({ policyPath: p });
    expect(r).toMatchObject({ ok: false, error: { file: p, problem: expect.stringMatching(/limit is/) } });
  });

  it('refuses a directory and a FIFO without hanging', async () => {
    const d = path.join(dir, 'as-dir.json');
    mkdirSync(d);
    expect(await loadConfig({ policyPath: d })).toMatchObject({ ok: false, error: { problem: expect.stringMatching(/directory|regular file/) } });
    const fifo = path.join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(await loadConfig({ policyPath: fifo })).toMatchObject({ ok: false, error: { problem: /not a regular file/ } });
  });

  it('follows a symlink to a valid file and reports an unreadable one', async () => {
    const target = json('target.json', { reattestIntervalSec: 90 });
    const link = path.join(dir, 'link.json');
    symlinkSync(target, link);
    expect(await loadConfig({ policyPath: link })).toMatchObject({ ok: true, value: { reattestIntervalSec: 90 } });
    if (process.getuid?.() !== 0) {
      const locked = json('locked.json', {});
      chmodSync(locked, 0o000);
      expect(await loadConfig({ policyPath: locked })).toMatchObject({ ok: false, error: { problem: /permission denied/ } });
    }
  });

  it('the examples for IT in build/managed-config fit the schema', () => {
    for (const f of ['policy.json', 'policy.silent-enrollment.json']) {
      const r = PolicyFileSchema.safeParse(JSON.parse(readFileSync(path.join('build', 'managed-config', f), 'utf8')));
      expect(r.success, f).toBe(true);
    }
  });

  it('a bad user settings file names that file', async () => {
    const user = file('bad-user.json', '{"reattestIntervalSec": "often"}');
    const r = await loadConfig({ policyPath: path.join(dir, 'nope.json'), userSettingsPath: user });
    expect(r).toMatchObject({ ok: false, error: { file: user, field: 'reattestIntervalSec' } });
  });
});
