/**
 * When the preview and `npm start` rebuild the renderer: missing, empty or stale output is built, a fresh one
 * is left alone, a folder that is not a renderer build is never emptied. Times are set explicitly (utimes),
 * never waited for.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureRendererBuilt, newestSource, rendererState } from './renderer-build.ts';

const dirs: string[] = [];
function tree(): { renderer: string; dist: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'parley-rb-'));
  dirs.push(root);
  const renderer = path.join(root, 'renderer');
  mkdirSync(path.join(renderer, 'src', 'components'), { recursive: true });
  return { renderer, dist: path.join(renderer, 'dist') };
}
function put(file: string, atSec: number, body = 'x'): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, body);
  utimesSync(file, atSec, atSec);
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('renderer build state', () => {
  it('missing and empty dist folders need a build', () => {
    const { renderer, dist } = tree();
    put(path.join(renderer, 'src', 'App.tsx'), 1_000);
    expect(rendererState(dist, renderer)).toEqual({ kind: 'missing' });
    mkdirSync(dist);
    expect(rendererState(dist, renderer)).toEqual({ kind: 'missing' });
  });

  it('a source newer than dist/index.html makes it stale; tests, dist and node_modules do not count', () => {
    const { renderer, dist } = tree();
    put(path.join(renderer, 'src', 'App.tsx'), 1_000);
    put(path.join(renderer, 'index.html'), 1_000);
    put(path.join(dist, 'index.html'), 2_000);
    put(path.join(dist, 'assets', 'index.js'), 3_000);
    put(path.join(renderer, 'node_modules', 'x', 'index.js'), 3_000);
    put(path.join(renderer, 'src', 'App.test.tsx'), 3_000);
    expect(rendererState(dist, renderer)).toEqual({ kind: 'fresh' });
    put(path.join(renderer, 'src', 'components', 'RfqCard.tsx'), 2_500);
    expect(rendererState(dist, renderer)).toEqual({ kind: 'stale', newer: path.join('src', 'components', 'RfqCard.tsx') });
    put(path.join(renderer, 'src', 'styles', 'app.css'), 2_600);
    expect(rendererState(dist, renderer)).toMatchObject({ kind: 'stale', newer: path.join('src', 'styles', 'app.css') });
  });

  it('a dist folder elsewhere is compared with the renderer sources too', () => {
    const { renderer } = tree();
    const other = mkdtempSync(path.join(tmpdir(), 'parley-rb-dist-'));
    dirs.push(other);
    put(path.join(renderer, 'src', 'App.tsx'), 5_000);
    put(path.join(other, 'index.html'), 4_000);
    expect(rendererState(other, renderer)).toMatchObject({ kind: 'stale' });
    utimesSync(path.join(other, 'index.html'), 6_000, 6_000);
    expect(rendererState(other, renderer)).toEqual({ kind: 'fresh' });
  });

  it('a folder of other files without index.html is foreign and never built into (nor emptied)', async () => {
    const { renderer } = tree();
    const other = mkdtempSync(path.join(tmpdir(), 'parley-rb-foreign-'));
    dirs.push(other);
    put(path.join(other, 'thesis.docx'), 1_000);
    expect(rendererState(other, renderer)).toEqual({ kind: 'foreign' });
    await expect(ensureRendererBuilt(other, () => {})).rejects.toThrow(/not a renderer build/);
  });

  it('survives a symlink loop, a dangling link and a deep tree (bounded walk)', () => {
    const { renderer } = tree();
    put(path.join(renderer, 'src', 'main.tsx'), 1_000);
    symlinkSync(renderer, path.join(renderer, 'src', 'loop'));
    symlinkSync(path.join(renderer, 'nowhere'), path.join(renderer, 'src', 'dangling'));
    let deep = path.join(renderer, 'src');
    for (let i = 0; i < 40; i += 1) deep = path.join(deep, 'd');
    put(path.join(deep, 'buried.ts'), 9_000);
    expect(newestSource(renderer)).toEqual({ file: path.join('src', 'main.tsx'), mtimeMs: 1_000_000 });
  });

  it('an empty renderer folder has no newest source', () => {
    const { renderer } = tree();
    expect(newestSource(path.join(renderer, 'src', 'components'))).toBeNull();
    expect(newestSource(path.join(renderer, 'absent'))).toBeNull();
  });
});
