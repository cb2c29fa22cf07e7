import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExecFileRunner } from './runner.ts';

const runner = createExecFileRunner({ timeoutMs: 5_000 });
const node = process.execPath;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-agent-runner-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('command runner (real processes)', () => {
  it('returns stdout, stderr and the exit code', async () => {
    const r = await runner.run(node, ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exitCode = 3']);
    expect(r).toEqual({ ok: true, stdout: 'out', stderr: 'err', exitCode: 3 });
  });

  it('uses no shell: metacharacters arrive as literal arguments', async () => {
    const r = await runner.run(node, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', '$(id)', '; echo hi', '`x`']);
    expect(r.ok && JSON.parse(r.stdout)).toEqual(['$(id)', '; echo hi', '`x`']);
  });

  it('runs in the C locale', async () => {
    const r = await runner.run(node, ['-e', 'console.log(process.env.LC_ALL)']);
    expect(r.ok && r.stdout.trim()).toBe('C');
  });

  it('a missing tool is "missing"', async () => {
    expect(await runner.run('parley-no-such-tool-xyz', [])).toMatchObject({ ok: false, kind: 'missing' });
  });

  it('a hanging tool is killed at its timeout', async () => {
    const r = await runner.run(node, ['-e', 'setInterval(() => {}, 1000)'], { timeoutMs: 200 });
    expect(r).toMatchObject({ ok: false, kind: 'timeout' });
  });

  it('a tool that ignores SIGTERM and leaves a grandchild holding the pipe is cut off, grandchild included', async () => {
    const pidFile = join(dir, 'grandchild.pid');
    const script =
      'process.on("SIGTERM", () => {});' +
      'const c = require("child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "inherit" });' +
      `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));` +
      'setInterval(() => {}, 1000)';
    const r = await runner.run(node, ['-e', script], { timeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, kind: 'timeout' });
    const pid = Number(await readFile(pidFile, 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // The kill is asynchronous: poll (bounded) until the grandchild is gone.
    for (let i = 0; i < 100 && alive(); i++) await new Promise((res) => setTimeout(res, 50));
    expect(alive()).toBe(false);
  });

  it('oversized output is refused', async () => {
    const r = await runner.run(node, ['-e', 'process.stdout.write("x".repeat(300000))'], { maxBuffer: 100_000 });
    expect(r).toMatchObject({ ok: false, kind: 'too-large' });
  });

  it('a file that is not executable is a permission error', async () => {
    const f = join(dir, 'not-exec');
    await writeFile(f, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    expect(await runner.run(f, [])).toMatchObject({ ok: false, kind: 'permission' });
  });
});

describe('file reads', () => {
  it('reads, tails and bounds', async () => {
    const f = join(dir, 'log');
    await writeFile(f, 'first line\nsecond line\nthird line\n');
    expect(await runner.readFile(f)).toEqual({ ok: true, text: 'first line\nsecond line\nthird line\n', truncated: false });
    expect(await runner.readFile(f, { maxBytes: 11, tail: true })).toEqual({ ok: true, text: 'third line\n', truncated: true });
    expect(await runner.readFile(f, { maxBytes: 5 })).toEqual({ ok: true, text: 'first', truncated: true });
  });
  it('latin1 keeps binary bytes one per char', async () => {
    const f = join(dir, 'efivar');
    await writeFile(f, Buffer.from([0x06, 0x00, 0x00, 0x00, 0x01]));
    const r = await runner.readFile(f, { encoding: 'latin1' });
    expect(r.ok && [...r.text].map((c) => c.charCodeAt(0))).toEqual([6, 0, 0, 0, 1]);
  });
  it('missing, directories and exists()', async () => {
    expect(await runner.readFile(join(dir, 'nope'))).toMatchObject({ ok: false, kind: 'missing' });
    expect(await runner.readFile(dir)).toMatchObject({ ok: false, kind: 'failed' });
    expect(await runner.exists(dir)).toBe(true);
    expect(await runner.exists(join(dir, 'nope'))).toBe(false);
  });
});
