import { execFileSync, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectWellFormed } from './testing/well-formed.ts';
import { main } from './cli.ts';
import type { PostureReport } from './report.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'agent', 'bin', 'parley-agent.mjs');

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
const policy = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-agent-cli-'));
  await writeFile(policy('pass.json'), JSON.stringify({ minAgentVersion: '0.1.0' }));
  await writeFile(policy('fail.json'), JSON.stringify({ minAgentVersion: '99.0', requireHardwareId: false }));
  await writeFile(policy('unknown.json'), JSON.stringify({ minOsVersion: { linux: { 'no-such-distro': '1' }, darwin: '99', win32: '99' }, minAgentVersion: '0.1.0' }));
  await writeFile(policy('broken.json'), '{ "minAgentVersion": ');
  await writeFile(policy('typo.json'), JSON.stringify({ requireFirewal: true }));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parley-agent CLI (child process, real collection)', () => {
  it('is linked where `npx parley-agent` finds it', () => {
    expect(realpathSync(join(root, 'node_modules', '.bin', 'parley-agent'))).toBe(realpathSync(bin));
  });

  it('report prints a table with every fact and its evidence; --policy not compliant exits 1', async () => {
    const r = await cli(['report', '--policy', policy('fail.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    for (const id of ['os.version', 'patch.lastInstalled', 'patch.pending', 'disk.encryption', 'firewall', 'screenLock', 'secureBoot', 'hardware.id', 'agent.version']) {
      expect(r.stdout).toMatch(new RegExp(`^${id.replace('.', '\\.')}\\s+(PASS|FAIL|UNKNOWN)\\s`, 'm'));
    }
    expect(r.stdout.match(/^\s+evidence: /gm)).toHaveLength(9);
    expect(r.stdout).toMatch(/^agent\.minVersion\s+FAIL\s+agent \S+ is older than 99\.0$/m);
    expect(r.stdout).toContain('Verdict: NOT COMPLIANT');
  });

  it('--json prints the report; --policy compliant exits 0', async () => {
    const r = await cli(['report', '--json', '--policy', policy('pass.json')]);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { report: PostureReport; evaluation: { compliant: string } };
    expectWellFormed(body.report);
    expect(body.evaluation.compliant).toBe('yes');
  });

  it('--policy with a fact it cannot establish exits 2', async () => {
    const r = await cli(['report', `--policy=${policy('unknown.json')}`]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('Verdict: COMPLIANCE UNKNOWN');
  });

  it('a bad policy file or an unknown flag exits 64 with a clear message, before collecting', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['report', '--policy', policy('broken.json')], /policy file .*broken\.json is not valid JSON/],
      [['report', '--frobnicate'], /unknown option '--frobnicate'/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain("Try 'parley-agent --help'.");
      expect(r.stdout).toBe('');
    }
  });
});

describe('parley-agent CLI (in process)', () => {
  const run = async (args: string[]) => {
    let out = '';
    let err = '';
    // A runner that would fail the test if anything were collected.
    const code = await main(args, { out: (s) => void (out += s), err: (s) => void (err += s) }, { runner: { run: () => Promise.reject(new Error('collected')), readFile: () => Promise.reject(new Error('collected')), exists: () => Promise.reject(new Error('collected')) } });
    return { code, out, err };
  };

  it('usage errors', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['report', '--policy', policy('missing.json')], /policy file .*missing\.json does not exist/],
      [['report', '--policy', policy('typo.json')], /is invalid: .*requireFirewal/],
      [['report', '--policy', dir], /cannot read policy file/],
      [['report', '--policy'], /--policy/],
      [['report', '--policy', ''], /--policy needs a file name/],
      [['report', '--timeout', 'soon'], /--timeout must be/],
      [['report', '--timeout', '5'], /--timeout must be/],
      [['report', 'extra'], /unexpected argument 'extra'/],
      [['status'], /unknown command 'status'/],
      [[], /missing command/],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    }
  });

  it('--help and --version', async () => {
    const h = await run(['--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('Usage:');
    expect(h.out).toContain('Exit status:');
    const v = await run(['-v']);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

// The launcher on a Node too old to strip types (Debian's Node 20 here): it hands over to .tools/ or explains.
const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((n) => {
  if (!existsSync(n)) return false;
  const [a = 0, b = 0] = execFileSync(n, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim().split('.').map(Number);
  return a < 22 || (a === 22 && b < 12);
});

describe.runIf(oldNode !== undefined)('launcher on an old Node', () => {
  const launch = (env: Record<string, string>) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(oldNode!, [bin, '--version'], { cwd: root, env: { ...process.env, ...env } });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it('hands over to the project Node', async () => {
    const r = await launch({});
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('explains when it cannot', async () => {
    const r = await launch({ PARLEY_AGENT_LAUNCHED: '1' });
    expect(r.code).toBe(69);
    expect(r.stderr).toMatch(/needs Node >= 22\.12 .*this is Node/);
  });
});
