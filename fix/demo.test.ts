// `npm start`'s engine (fix/demo.ts): a fresh PKI, the FIXS acceptor, and its client getting a Quote back.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const demo = join(dirname(fileURLToPath(import.meta.url)), 'demo.ts');
const cwd = mkdtempSync(join(tmpdir(), 'fix-demo-'));
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

describe('fix/demo.ts', () => {
  it('serves, prints how to connect, and its client gets a Quote for a QuoteRequest', async () => {
    const server = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', demo, 'serve', '--pki', join(cwd, 'pki')], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      server.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
      for (let i = 0; i < 600 && !/127\.0\.0\.1:(\d+)/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
      const port = /127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      expect(port, out).toBeDefined();
      expect(out).toContain('fix/demo.ts client --port');
      const client = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', demo, 'client', '--port', port!, '--pki', join(cwd, 'pki')], { cwd, encoding: 'utf8', timeout: 30_000 });
      expect(client.stdout).toMatch(/logged on over TLSv1\.3/);
      expect(client.stdout).toMatch(/received Quote: .*\|35=S\|.*\|132=99\.50\|/);
      expect(client.stdout).toContain('closed: logged out');
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('refuses a bad port', () => {
    const r = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', demo, 'serve', '--port', '99999'], { cwd, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('--port must be 0..65535');
  });
});
