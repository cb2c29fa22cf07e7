/**
 * The browser preview: the per-run secret, origin and host checks, hostile requests, and the real
 * Chromium (Debian's, via playwright-core) getting window.parley through the bridge from the real
 * ClientCore.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
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
  let token: string;
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

  it('keeps the per-run secret out of cookies: the fragment secret is exchanged, from our origin, for a page token sent as a header', async () => {
    const url = new URL(preview.url);
    expect(url.pathname).toBe('/');
    expect(url.search).toBe('');
    const secret = new URLSearchParams(url.hash.slice(1)).get('k')!;
    // The renderer itself is public code: served, with no cookie set and no secret in it.
    const page = await http(preview, '/');
    expect(page.status).toBe(200);
    expect(page.headers['set-cookie']).toBeUndefined();
    expect(page.body).toContain('<script src="/__parley/bridge.js"></script>');
    expect(page.body).not.toContain(secret);
    expect(String(page.headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await http(preview, '/__parley/bridge.js')).body).not.toContain(secret);
    // Calls and events need a page token; the token needs the secret, from this server's own origin.
    const getState = '{"call":"getState","request":{}}';
    expect((await http(preview, '/__parley/call', { method: 'POST', headers: { origin: preview.origin, 'content-type': 'application/json' }, body: getState })).status).toBe(401);
    expect((await http(preview, '/__parley/events')).status).toBe(401);
    expect((await http(preview, '/__parley/call', { method: 'POST', headers: { origin: preview.origin, 'content-type': 'application/json', 'x-parley-token': 'guess' }, body: getState })).status).toBe(401);
    expect((await http(preview, '/__parley/session', { method: 'POST', headers: { origin: preview.origin, 'x-parley-key': 'guess' } })).status).toBe(403);
    expect((await http(preview, '/__parley/session', { method: 'POST', headers: { origin: 'http://localhost:1', 'x-parley-key': secret } })).status).toBe(403);
    expect((await http(preview, '/__parley/session', { method: 'POST', headers: { 'x-parley-key': secret } })).status).toBe(403);
    expect((await http(preview, '/__parley/session', { headers: { origin: preview.origin, 'x-parley-key': secret } })).status).toBe(405);
    expect((await http(preview, '/auth?k=' + secret)).headers['set-cookie']).toBeUndefined();
    const ex = await http(preview, '/__parley/session', { method: 'POST', headers: { origin: preview.origin, 'x-parley-key': secret } });
    expect(ex.status).toBe(200);
    expect(ex.headers['set-cookie']).toBeUndefined();
    token = (JSON.parse(ex.body) as { token: string }).token;
    expect(token).not.toBe(secret);
    expect(JSON.parse((await http(preview, '/__parley/call', { method: 'POST', headers: { origin: preview.origin, 'content-type': 'application/json', 'x-parley-token': token }, body: getState })).body)).toMatchObject({ ok: true });
  });

  it('one page token holds one event stream; a holder opening many cannot take the UI\'s', async () => {
    const mint = async () => (JSON.parse((await http(preview, '/__parley/session', { method: 'POST', headers: { origin: preview.origin, 'x-parley-key': new URLSearchParams(new URL(preview.url).hash.slice(1)).get('k')! } })).body) as { token: string }).token;
    const ui = await mint();
    const hog = await mint();
    const open = (t: string) => new Promise<{ status: number; got: () => string; close: () => void }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: preview.port, path: '/__parley/events', headers: { 'x-parley-token': t } }, (res) => {
        let got = '';
        res.on('data', (c: Buffer) => { got += c.toString(); });
        resolve({ status: res.statusCode ?? 0, got: () => got, close: () => req.destroy() });
      });
      req.on('error', () => {});
      req.on('close', () => {});
      setTimeout(() => reject(new Error('no answer')), 20_000).unref();
      req.end();
    });
    const streams = [];
    for (let i = 0; i < 40; i++) {
      const s = await open(hog);
      expect(s.status).toBe(200);
      streams.push(s);
    }
    const mine = await open(ui);
    expect(mine.status).toBe(200);
    expect(preview.eventStreams()).toBeLessThanOrEqual(3);
    core.events.emit('notification', { id: 'n-hog', level: 'info', title: 'to the UI', message: 'not starved', at: new Date().toISOString() });
    for (let i = 0; i < 400 && !mine.got().includes('n-hog'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(mine.got()).toContain('n-hog');
    for (const s of [...streams, mine]) s.close();
  });

  it('refuses a foreign origin, a wrong Host, path traversal and garbage, and keeps serving', async () => {
    const call = (body: string, origin = preview.origin, extra: Record<string, string> = {}) =>
      http(preview, '/__parley/call', { method: 'POST', headers: { 'x-parley-token': token, origin, 'content-type': 'application/json', ...extra }, body });
    const foreign = await call(JSON.stringify({ call: 'getState', request: {} }), 'https://evil.example');
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body)).toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    expect((await http(preview, '/', { headers: { host: 'evil.example' } })).status).toBe(421);
    expect((await call(JSON.stringify({ call: 'getState', request: {} }), 'http://127.0.0.1:1')).status).toBe(403);
    expect((await call(JSON.stringify({ call: 'getState', request: {} }), 'null')).status).toBe(403);
    // DNS rebinding: a hostile name resolving to 127.0.0.1 still carries that name as Host.
    for (const host of ['evil.example', `evil.example:${preview.port}`, `localhost.evil.example:${preview.port}`, `127.0.0.1.nip.io:${preview.port}`, `localhost:${preview.port + 1}`, 'localhost', '127.0.0.1', `[::1]:${preview.port}`, `0.0.0.0:${preview.port}`, 'x'.repeat(5_000)]) {
      expect((await http(preview, '/', { headers: { host } })).status, host.slice(0, 40)).toBe(421);
      expect((await http(preview, '/__parley/call', { method: 'POST', headers: { 'x-parley-token': token, host, origin: preview.origin, 'content-type': 'application/json' }, body: '{"call":"getState","request":{}}' })).status).toBe(421);
    }
    // No Host at all (HTTP/1.0): refused too.
    const bare = await new Promise<string>((resolve, reject) => {
      const sock = connect(preview.port, '127.0.0.1', () => sock.end('GET / HTTP/1.0\r\n\r\n'));
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('end', () => resolve(got));
      sock.on('error', reject);
    });
    expect(bare).toMatch(/^HTTP\/1\.[01] (421|400)/);
    expect((await http(preview, '/../secret.txt', {})).body).not.toContain('outside');
    expect((await http(preview, '/%2e%2e/secret.txt', {})).status).toBe(404);
    for (const g of ['', 'null', '{', '[]', '{"call":"nope","request":{}}', JSON.stringify({ call: 'enroll', request: { token: 'x'.repeat(300_000) } })]) {
      const r = await call(g);
      expect(JSON.parse(r.body).ok, g.slice(0, 40)).toBe(false);
    }
    expect((await http(preview, '/__parley/call', { method: 'POST', headers: { 'x-parley-token': token, origin: preview.origin, 'content-type': 'text/plain' }, body: '{}' })).status).toBe(415);
    const good = await call(JSON.stringify({ call: 'getState', request: {} }));
    expect(JSON.parse(good.body)).toMatchObject({ ok: true, value: { host: 'preview' } });
  });

  it('answers as localhost (for WebAuthn) and as 127.0.0.1, and prints the localhost URL', async () => {
    expect(preview.url).toMatch(new RegExp(`^http://localhost:${preview.port}/#k=[A-Za-z0-9_-]{43}$`));
    expect(preview.origin).toBe(`http://localhost:${preview.port}`);
    expect([...preview.origins].sort()).toEqual([`http://127.0.0.1:${preview.port}`, `http://localhost:${preview.port}`]);
    for (const o of preview.origins) {
      const host = new URL(o).host;
      expect((await http(preview, '/', { headers: { host } })).status, host).toBe(200);
      const r = await http(preview, '/__parley/call', { method: 'POST', headers: { 'x-parley-token': token, host, origin: o, 'content-type': 'application/json' }, body: '{"call":"getState","request":{}}' });
      expect(JSON.parse(r.body), o).toMatchObject({ ok: true });
    }
    // Still the per-run secret on either name.
    expect((await http(preview, '/__parley/call', { method: 'POST', headers: { host: `localhost:${preview.port}`, origin: preview.origin, 'content-type': 'application/json' }, body: '{"call":"getState","request":{}}' })).status).toBe(401);
    expect((await http(preview, '/__parley/session', { method: 'POST', headers: { host: `localhost:${preview.port}`, origin: preview.origin, 'x-parley-key': 'guess' } })).status).toBe(403);
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
      // The page's stream opens asynchronously (token exchange, then fetch): emit until it is there.
      const emit = setInterval(() => core.events.emit('notification', { id: 'n1', level: 'info', title: 'hello', message: 'from main', at: new Date().toISOString() }), 100);
      try {
        await page.waitForFunction(() => (window as unknown as { got: unknown[] }).got.length > 0, undefined, { timeout: 20_000 });
      } finally {
        clearInterval(emit);
      }
      expect(await page.evaluate(() => Object.getOwnPropertyDescriptor(window, 'parley')?.writable)).toBe(false);
      expect(problems).toEqual([]);
      await page.close();
    });

    it('a server on another localhost port gets no cookie and cannot read the secret; the page still works after coming back', async () => {
      const secret = new URLSearchParams(new URL(preview.url).hash.slice(1)).get('k')!;
      const seen: string[] = [];
      const neighbour = createServer((req, res) => {
        seen.push(String(req.headers.cookie ?? ''));
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><p>neighbour</p>');
      });
      await new Promise<void>((r) => neighbour.listen(0, '127.0.0.1', () => r()));
      const page = await browser.newPage();
      try {
        await page.goto(preview.url);
        const st = await page.evaluate(() => (window as unknown as { parley: { getState(): Promise<{ host: string }> } }).parley.getState());
        expect(st).toMatchObject({ host: 'preview' });
        expect(new URL(page.url()).hash).toBe('');
        expect(await page.evaluate(() => document.cookie)).toBe('');
        await page.goto(`http://localhost:${(neighbour.address() as AddressInfo).port}/`);
        expect(seen.length).toBeGreaterThan(0);
        for (const c of seen) expect(c).not.toContain(secret);
        expect(await page.evaluate(() => JSON.stringify(sessionStorage) + document.cookie)).not.toContain(secret);
        // Back on the preview without the fragment (as a reload would be): this origin's sessionStorage has it.
        await page.goto(`${preview.origin}/`);
        expect(await page.evaluate(() => (window as unknown as { parley: { getState(): Promise<{ host: string }> } }).parley.getState())).toMatchObject({ host: 'preview' });
      } finally {
        await page.close();
        await new Promise<void>((r) => neighbour.close(() => r()));
      }
    });
  });
});
