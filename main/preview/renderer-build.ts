/**
 * Builds the renderer for the preview and `npm start` when its output is missing or older than the sources,
 * so a new user never meets "no built renderer" and a developer never runs yesterday's screens.
 *
 * Staleness is by modification time: the newest file under renderer/ (its tests, dist/ and node_modules/ aside)
 * against dist/index.html, which Vite rewrites on every build.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** A renderer/ tree far larger than this is not ours; stop walking rather than crawl a mistaken folder. */
const MAX_ENTRIES = 20_000;
const MAX_DEPTH = 12;
const SKIP_DIRS = new Set(['dist', 'node_modules', '.vite']);
const TEST_FILE = /\.test\.[cm]?[jt]sx?$/;

export type RendererState = { kind: 'fresh' } | { kind: 'missing' } | { kind: 'stale'; newer: string } | { kind: 'foreign' };

/** The newest source file under rendererDir (relative path and mtime), or null when there is none. */
export function newestSource(rendererDir: string, skip: readonly string[] = []): { file: string; mtimeMs: number } | null {
  let best: { file: string; mtimeMs: number } | null = null;
  let seen = 0;
  const skipAbs = new Set(skip.map((s) => path.resolve(s)));
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (++seen > MAX_ENTRIES) return;
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !skipAbs.has(full)) walk(full, depth + 1);
      } else if (e.isFile() && !TEST_FILE.test(e.name)) {
        const m = statSync(full, { throwIfNoEntry: false })?.mtimeMs;
        if (m !== undefined && (!best || m > best.mtimeMs)) best = { file: path.relative(rendererDir, full), mtimeMs: m };
      }
    }
  };
  walk(rendererDir, 0);
  return best;
}

/**
 * fresh: dist/index.html is newer than every source; missing: no dist or an empty one; stale: a source is
 * newer; foreign: the folder holds other files but no index.html (not a renderer build: never emptied).
 */
export function rendererState(distDir: string, rendererDir = path.join(ROOT, 'renderer')): RendererState {
  const index = path.join(distDir, 'index.html');
  const built = statSync(index, { throwIfNoEntry: false });
  if (!built) {
    if (!existsSync(distDir)) return { kind: 'missing' };
    return readdirSync(distDir).length === 0 ? { kind: 'missing' } : { kind: 'foreign' };
  }
  const newest = newestSource(rendererDir, [distDir]);
  return newest && newest.mtimeMs > built.mtimeMs ? { kind: 'stale', newer: newest.file } : { kind: 'fresh' };
}

/** Runs `vite build -c renderer/vite.config.ts` into distDir in a child process (NODE_ENV=production). */
export function buildRenderer(distDir: string, o: { quiet?: boolean } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', path.join(ROOT, 'renderer/vite.config.ts'), '--outDir', path.resolve(distDir), '--emptyOutDir', '--logLevel', 'warn'],
      { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, stdio: o.quiet ? ['ignore', 'ignore', 'pipe'] : 'inherit' },
    );
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      if (err.length < 16_384) err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`building the renderer failed (${signal ?? `exit ${code}`})${err ? `:\n${err}` : ''}`))));
  });
}

/**
 * Builds distDir when it is missing or stale and says why on the way; refuses a foreign folder. Returns what
 * it found before building.
 */
export async function ensureRendererBuilt(distDir: string, say: (line: string) => void = (l) => console.log(l)): Promise<RendererState> {
  const state = rendererState(distDir);
  if (state.kind === 'fresh') return state;
  if (state.kind === 'foreign') {
    throw new Error(`${distDir} holds files but no index.html: not a renderer build, so it is left alone (pass another --dist or empty it)`);
  }
  say(
    state.kind === 'missing'
      ? `parley: building the renderer into ${distDir} (first run; this takes a moment) …`
      : `parley: rebuilding the renderer into ${distDir} (renderer/${state.newer} is newer than the build) …`,
  );
  await buildRenderer(distDir);
  return state;
}
