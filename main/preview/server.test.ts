/**
 * The browser preview: the per-run secret, origin and host checks, hostile requests, and the real
 * Chromium (Debian's, via playwright-core) getting window.parley through the bridge from the real
 * ClientCore.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCore } from '../core.ts';
import { MemoryStore } from '../keychain/secret-store.ts';
import { bundleBridge } from './bundle.ts';
import { startPreview, type Preview } from './server.ts';

const CHROMIUM = '/usr/bin/chromium';

type Res = { status: number; headers: Record<string, string | string[] | undefined>; body: string };
function http(p: Preview, pathname: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: p.port, path: pathname, method: o.method ?? 'GET', headers: o.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('browser preview', () => {
  let core: ClientCore;
  let preview: Preview;
  let cookie: string;
  let dist: string;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parley-preview-'));
    dist = path.join(dir, 'dist');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dist);
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><html><head><title>t</title></head><body><p id="x">hello</p></body></html>');
    writeFileSync(path.join(dir, 'secret.txt'), 'outside the dist folder');
    core = new ClientCore({
      dataDir: path.join(dir, 'data'),
      policyPath: path.join(dir, 'no-policy.json'),
      host: 'preview',
      posture: { get: async () => { throw new Error('not used'); }, current: () => undefined },
      secretStore: new MemoryStore(),
    });
    await core.start();
    preview = await startPreview({ services: core.services, events: core.events, distDir: dist, bridgeJs: await bundleBridge(), log: { warn: () => {}, error: () => {} } });
  }, 60_000);
  afterAll(async () => {
    await preview?.close();
    await core?.stop();
  });

  it('requires the per-run secret, exchanged for an HttpOnly SameSite cookie', async () => {
    expect((await http(preview, '/')).status).toBe(403);
    expect((await http(preview, '/auth?k=guess')).status).toBe(403);
    const ok = await http(preview, new URL(preview.url).pathname + new URL(preview.url).search);
    expect(ok.status).toBe(302);
    const set = String(ok.headers['set-cookie']);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    cookie = set.split(';')[0]!;
    const page = await http(preview, '/', { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script src="/__parley/bridge.js"></script>');
    expect(String(page.headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers['x-frame-options']).toBe('DENY');
  });

  it('refuses a foreign origin, a wrong Host, path traversal and garbage, and keeps serving', async () => {
    const call = (body: string, origin = preview.origin, extra: Record<string, string> = {}) =>
      http(preview, '/__parley/call', { method: 'POST', headers: { cookie, origin, 'content-type': 'application/json', ...extra }, body });
    const foreign = await call(JSON.stringify({ call: 'getState', request: {} }), 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect((await http(preview, '/', { headers: { cookie, host: 'evil.example' } })).status).toBe(421);
    expect((await call(JSON.stringify({ call: 'getState', request: {} }), 'http://127.0.0.1:1')).status).toBe(403);
    expect((await call(JSON.stringify({ call: 'getState', request: {} }), 'null')).status).toBe(403);
    // DNS rebinding: a hostile name resolving to 127.0.0.1 still carries that name as Host.
    for (const host of ['evil.example', `evil.example:${preview.port}`, `localhost.evil.example:${preview.port}`, `127.0.0.1.nip.io:${preview.port}`, `localhost:${preview.port + 1}`, 'localhost', '127.0.0.1', `[::1]:${preview.port}`, `0.0.0.0:${preview.port}`, 'x'.repeat(5_000)]) {
      expect((await http(preview, '/', { headers: { cookie, host } })).status, host.slice(0, 40)).toBe(421);
      expect((await http(preview, '/__parley/call', { method: 'POST', headers: { cookie, host, origin: preview.origin, 'content-type': 'application/json' }, body: '{"call":"getState","request":{}}' })).status).toBe(421);
    }
    // No Host at all (HTTP/1.0): refused too.
    const bare = await new Promise<string>((resolve, reject) => {
      const sock = connect(preview.port, '127.0.0.1', () => sock.end(`GET / HTTP/1.0\r\ncookie: ${cookie}\r\n\r\n`));
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    expect(bare).toMatch(/^HTTP\/1\.[01] (421|400)/);
    expect((await http(preview, '/../secret.txt', { headers: { cookie } })).body).not.toContain('outside');
    expect((await http(preview, '/%2e%2e/secret.txt', { headers: { cookie } })).status).toBe(404);
    for (const g of ['', 'null', '{', '[]', '{"call":"nope","request":{}}', JSON.stringify({ call: 'enroll', request: { token: 'x'.repeat(300_000) } })]) {
      const r = await call(g);
      expect(JSON.parse(r.body).ok, g.slice(0, 40)).toBe(false);
    }
    expect((await http(preview, '/__parley/call', { method: 'POST', headers: { cookie, origin: preview.origin, 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    const good = await call(JSON.stringify({ call: 'getState', request: {} }));
    expect(JSON.parse(good.body)).toMatchObject({ ok: true, value: { host: 'preview' } });
  });

  it('answers as localhost (for WebAuthn) and as 127.0.0.1, and prints the localhost URL', async () => {
    expect(preview.url).toMatch(new RegExp(`^http://localhost:${preview.port}/auth\\?k=[A-Za-z0-9_-]{43}$`));
    expect(preview.origin).toBe(`http://localhost:${preview.port}`);
    expect([...preview.origins].sort()).toEqual([`http://127.0.0.1:${preview.port}`, `http://localhost:${preview.port}`]);
    for (const o of preview.origins) {
      const host = new URL(o).host;
      expect((await http(preview, '/', { headers: { cookie, host } })).status, host).toBe(200);
      const r = await http(preview, '/__parley/call', { method: 'POST', headers: { cookie, host, origin: o, 'content-type': 'application/json' }, body: '{"call":"getState","request":{}}' });
      expect(JSON.parse(r.body), o).toMatchObject({ ok: true });
    }
    // Still the per-run secret on either name.
    expect((await http(preview, '/', { headers: { host: `localhost:${preview.port}` } })).status).toBe(403);
    expect((await http(preview, '/auth?k=guess', { headers: { host: `localhost:${preview.port}` } })).status).toBe(403);
  });

  describe.runIf(existsSync(CHROMIUM))('in Debian Chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('the page gets window.parley from the bridge: calls validated both ways, events delivered', async () => {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) problems.push(m.text());
      });
      await page.goto(preview.url);
      expect(new URL(page.url()).pathname).toBe('/');
      const state = await page.evaluate(async () => {
        const w = window as unknown as { parley: { getState(): Promise<{ connection: { state: string }; host: string }> } };
        return w.parley.getState();
      });
      expect(state).toMatchObject({ host: 'preview', connection: { state: 'enrollment-needed' } });
      const refused = await page.evaluate(async () => {
        const w = window as unknown as { parley: { createRfq(r: unknown): Promise<unknown> } };
        try {
          await w.parley.createRfq({ clientRfqId: 'bad id with spaces' });
          return 'accepted';
        } catch (e) {
          return (e as { code?: string }).code;
        }
      });
      expect(refused).toBe('invalid-request');
      await page.evaluate(() => {
        const w = window as unknown as { parley: { on(e: string, l: (p: unknown) => void): void }; got: unknown[] };
        w.got = [];
        w.parley.on('notification', (p) => w.got.push(p));
      });
      await new Promise((r) => setTimeout(r, 200));
      core.events.emit('notification', { id: 'n1', level: 'info', title: 'hello', message: 'from main', at: new Date().toISOString() });
      await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length > 0, undefined, { timeout: 20_000 });
      expect(await page.evaluate(() => Object.getOwnPropertyDescriptor(window, 'parley')?.writable)).toBe(false);
      expect(problems).toEqual([]);
      await page.close();
    });
  });
});
