import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * Builds the renderer into a fresh temp folder (so a test never races a developer's renderer/dist), in a
 * child process: vitest's NODE_ENV=test would otherwise make a development build.
 */
export async function buildRenderer(): Promise<string> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'parley-renderer-'));
  await promisify(execFile)(
    process.execPath,
    [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', path.join(ROOT, 'renderer/vite.config.ts'), '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn', '--sourcemap', 'false'],
    { cwd: ROOT, env: { ...process.env, NODE_ENV: 'production' }, timeout: 120_000 },
  );
  return outDir;
}
