/**
 * `npm start`'s client half on a machine without the Electron binary (like this one): it says so plainly and
 * serves the browser preview, printing the URL with its per-run secret.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const electronInstalled = existsSync('node_modules/electron/path.txt');

describe.runIf(!electronInstalled)('npm start without Electron', () => {
  it('explains the preview and serves it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-start-'));
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'main/start-client.ts', '--policy', path.join(dir, 'no-policy.json'), '--data', path.join(dir, 'client')], {
      env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? 'unix:path=/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no preview URL within 90 s:\n${out}`)), 90_000);
        const check = () => {
          const m = /http:\/\/localhost:\d+\/auth\?k=[A-Za-z0-9_-]+/.exec(out);
          if (m) {
            clearTimeout(t);
            resolve(m[0]);
          }
        };
        child.stdout.on('data', check);
        child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      expect(out).toMatch(/Electron binary is not installed/);
      expect(out).toMatch(/browser preview/);
      const res = await fetch(url, { redirect: 'manual' });
      expect(res.status).toBe(302);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 120_000);
});
