/**
 * `npm run preview -- --port <n>` on a port someone else holds: a plain message naming the port and what to do,
 * exit 1, no stack trace (the demo fixes the port because its gateway's WebAuthn origin names it).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'main/preview/cli.ts', ...args], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? 'unix:path=/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => child.kill('SIGTERM'), 60_000);
    // 'close', not 'exit': by then all of its output has been read.
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

describe('preview --port', () => {
  it('says plainly that a fixed port is taken, and exits 1', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-cli-'));
    const dist = path.join(dir, 'dist');
    mkdirSync(dist);
    // A renderer build newer than every source, so the preview does not build one first.
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>t</title>');
    const future = new Date(Date.now() + 86_400_000);
    utimesSync(path.join(dist, 'index.html'), future, future);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    try {
      const r = await run(['--port', String(port), '--dist', dist, '--data', path.join(dir, 'client'), '--policy', path.join(dir, 'none.json')]);
      expect(r.out).toContain(`parley preview: port ${port} on 127.0.0.1 is already in use`);
      expect(r.out).toMatch(/pass another --port/);
      expect(r.out).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(1);
      const bad = await run(['--port', '70000']);
      expect(bad.out).toContain('--port must be 0..65535, got 70000');
      expect(bad.code).toBe(2);
    } finally {
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
