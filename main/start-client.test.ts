/**
 * `npm start`'s client half on a machine without the Electron binary (like this one): it says so plainly,
 * builds the renderer when there is none (here: an empty dist folder, never the developer's renderer/dist),
 * and serves the browser preview, printing the URL with its per-run secret.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const electronInstalled = existsSync('node_modules/electron/path.txt');

describe.runIf(!electronInstalled)('npm start without Electron', () => {
  it('builds the renderer into an empty dist folder, explains the preview and serves the app', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-start-'));
    const dist = path.join(dir, 'dist');
    mkdirSync(dist);
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', 'main/start-client.ts', '--policy', path.join(dir, 'no-policy.json'), '--data', path.join(dir, 'client'), '--dist', dist], {
      // No Electron binary is fetched from outside in a test.
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1', DBUS_SESSION_BUS_ADDRESS: process.env.DBUS_SESSION_BUS_ADDRESS ?? 'unix:path=/nonexistent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no preview URL within 150 s:\n${out}`)), 150_000);
        const check = () => {
          const m = /http:\/\/localhost:\d+\/#k=[A-Za-z0-9_-]+/.exec(out);
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
      expect(out).toMatch(/building the renderer into .*first run/);
      expect(out).not.toMatch(/no built renderer/);
      expect(existsSync(path.join(dist, 'index.html'))).toBe(true);
      // The secret is in the URL's fragment (never sent, no cookie: issue 10 item 3); the page itself is public.
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(page.headers.get('set-cookie')).toBeNull();
      const html = await page.text();
      expect(html).toContain('/__parley/bridge.js');
      expect(html).toMatch(/<script type="module"[^>]*src="\.\/assets\/[^"]+\.js"/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
