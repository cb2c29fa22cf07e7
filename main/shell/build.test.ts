import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRenderer } from '../preview/renderer-build.ts';
import { buildShell } from './build.ts';

describe('Electron build (out/)', () => {
  it('bundles the main process and a self-contained sandboxed preload', async () => {
    // The renderer is built into a temp folder of its own, so the test neither depends on nor races a
    // developer's renderer/dist.
    const dist = mkdtempSync(path.join(tmpdir(), 'parley-dist-'));
    await buildRenderer(dist, { quiet: true });
    const out = mkdtempSync(path.join(tmpdir(), 'parley-out-'));
    const r = await buildShell(out, dist);
    const preload = readFileSync(r.preload, 'utf8');
    // A sandboxed preload can require only electron (and a few polyfilled built-ins).
    expect([...new Set(preload.match(/require\("[^"]+"\)/g) ?? [])]).toEqual(['require("electron")']);
    expect(preload).toContain('exposeInMainWorld');
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\)/);
    const main = readFileSync(r.main, 'utf8');
    expect(main).toMatch(/from "electron"/);
    expect(existsSync(path.join(r.renderer, 'index.html'))).toBe(true);
    // No source maps ship (issue 10 item 13): neither .map files nor a sourceMappingURL pointing at one.
    const files = readdirSync(r.renderer, { recursive: true, encoding: 'utf8' });
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    for (const f of files.filter((x) => x.endsWith('.js') || x.endsWith('.css'))) {
      expect(readFileSync(path.join(r.renderer, f), 'utf8'), f).not.toContain('sourceMappingURL');
    }
  }, 120_000);
});
