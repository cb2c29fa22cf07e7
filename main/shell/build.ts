/**
 * Builds the Electron app into out/ for electron-builder: the main process (out/main/shell.js, ESM, with the
 * project's runtime dependencies left to node_modules) and the sandboxed preload (out/main/preload.js, one
 * CommonJS file with the contract and zod inlined — a sandboxed preload cannot require node_modules), next
 * to the built renderer (out/renderer). `npm run build:shell`.
 */
import { cp, mkdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function buildShell(
  outDir = path.join(ROOT, 'out'),
  rendererSrc = path.join(ROOT, 'renderer', 'dist'),
): Promise<{ main: string; preload: string; renderer: string }> {
  const { build } = await import('vite');
  const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  const deps = Object.keys(pkg.dependencies ?? {});
  const external = (id: string) =>
    id === 'electron' || id.startsWith('node:') || builtinModules.includes(id) || deps.some((d) => id === d || id.startsWith(`${d}/`));
  const mainDir = path.join(outDir, 'main');
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      ssr: path.join(ROOT, 'main/shell/main.ts'),
      outDir: mainDir,
      emptyOutDir: true,
      target: 'node22',
      minify: false,
      rollupOptions: { external, output: { format: 'es', entryFileNames: 'shell.js' } },
    },
  });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: mainDir,
      emptyOutDir: false,
      target: 'chrome120',
      minify: false,
      lib: { entry: path.join(ROOT, 'main/shell/preload.ts'), formats: ['cjs'], fileName: () => 'preload.js' },
      rollupOptions: { external: ['electron'] },
    },
  });
  const rendererOut = path.join(outDir, 'renderer');
  await mkdir(rendererOut, { recursive: true });
  await cp(rendererSrc, rendererOut, { recursive: true }).catch(() => {
    throw new Error(`no built renderer in ${rendererSrc}: run npm run build:renderer first`);
  });
  return { main: path.join(mainDir, 'shell.js'), preload: path.join(mainDir, 'preload.js'), renderer: rendererOut };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await buildShell();
  console.log(`built ${path.relative(ROOT, r.main)}, ${path.relative(ROOT, r.preload)}, ${path.relative(ROOT, r.renderer)}`);
}
