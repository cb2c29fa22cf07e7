/** Bundles the browser bridge (TypeScript + the contract + zod) into one classic script with Vite. */
import { fileURLToPath } from 'node:url';

export async function bundleBridge(): Promise<string> {
  const { build } = await import('vite');
  const entry = fileURLToPath(new URL('./bridge/bridge.ts', import.meta.url));
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: {
      write: false,
      minify: true,
      target: 'chrome120',
      lib: { entry, formats: ['iife'], name: 'ParleyBridge', fileName: () => 'bridge.js' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Array<{ output: Array<{ type: string; code?: string }> }>;
  const chunk = outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk' && c.code);
  if (!chunk?.code) throw new Error('the preview bridge did not bundle');
  return chunk.code;
}
